import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The node flags of package.json's `start` script (`node <flags> dist/src/main.js`): the heap limits the product ships with. */
export function shippedNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const match = /\bnode ((?:--[\w-]+=\S+ )*)dist\/src\/main\.js/.exec(start);
  if (!match) throw new Error(`package.json's start script does not run node dist/src/main.js: ${start}`);
  return match[1].split(' ').filter(Boolean);
}

/** True when running compiled from dist/ (npm run bench); false under ts (jest smoke, swc-node). */
export const COMPILED = __filename.endsWith('.js');
export const REPO_ROOT = resolve(__dirname, COMPILED ? '../../..' : '../..');

/** Node arguments that run a repository script: the built .js under dist/, or the .ts through @swc-node/register. */
export function nodeArgs(tsPath: string): string[] {
  if (COMPILED) return [join(REPO_ROOT, 'dist', tsPath.replace(/\.ts$/, '.js'))];
  return ['-r', '@swc-node/register', join(REPO_ROOT, tsPath)];
}

export interface Service {
  name: string;
  pid: number;
  url: string;
  /** The last few KB of the child's stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a Node script as a child process (so its RSS can be read from /proc) and waits
 * until `readyPath` answers on loopback. Fails with the child's output when it exits early.
 */
export async function startService(opts: {
  name: string;
  script: string;
  env: Record<string, string>;
  port: number;
  readyPath: string;
  timeoutMs?: number;
  nodeFlags?: string[];
}): Promise<Service> {
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...nodeArgs(opts.script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  const exit = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? 128 : 1);
      r();
    }),
  );
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (exited !== null) throw new Error(`${opts.name} exited with ${exited} before it was ready:\n${tail}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} was not ready within ${opts.timeoutMs ?? 90_000} ms:\n${tail}`);
    }
    try {
      const res = await fetch(url + opts.readyPath, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return {
    name: opts.name,
    pid: child.pid!,
    url,
    output: () => tail,
    async stop() {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** Reads VmRSS / VmHWM (kB) of a process from /proc; null when it is gone. */
export function readMemory(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * CPU ms used so far by a PostgreSQL server: the postmaster (with its reaped children) and its
 * live backends, found by parent pid, so another server on the machine is not counted.
 */
export function readTreeCpuMs(rootPid: number): number {
  const fields = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  try {
    const root = fields(rootPid);
    let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = fields(Number(entry));
        if (Number(f[1]) === rootPid) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // exited meanwhile
      }
    }
    return ticks * 10;
  } catch {
    return NaN;
  }
}

/** Polls a process's resident set size from outside; the kernel's VmHWM is the exact peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  peakRssKb = 0;
  peakHwmKb = 0;
  samples = 0;

  constructor(private readonly pid: number) {}

  start(intervalMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const m = readMemory(this.pid);
    if (!m) return;
    this.samples++;
    if (m.rssKb > this.peakRssKb) this.peakRssKb = m.rssKb;
    if (m.hwmKb > this.peakHwmKb) this.peakHwmKb = m.hwmKb;
  }

  stop(): void {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Peak in MB: the larger of the sampled maximum and the kernel's high-water mark. */
  peakMb(): number {
    return Math.max(this.peakRssKb, this.peakHwmKb) / 1024;
  }
}
