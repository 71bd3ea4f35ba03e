import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../../../src/database/embedded-postgres';
import { buildApp } from './build';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TestResponse } from '../../helpers/test-app';
import { send, SendOptions } from './http';

const ROOT = resolve(__dirname, '../../..');

/**
 * The real app as a separate process (src/main.ts, compiled once by swc), so a test
 * can kill -9 it and start it again on the same port and database. Everything it prints is
 * kept in `lines` (for the secret scan).
 */
export class ChildApp {
  readonly lines: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  port = 0;
  starts = 0;
  /** Milliseconds each start took until the port answered. */
  readonly startupMs: number[] = [];

  constructor(
    readonly databaseUrl: string,
    private readonly env: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error('already running');
    if (!this.port) this.port = await freePort();
    const started = Date.now();
    const child = spawn(process.execPath, [buildApp()], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'test',
        DATABASE_URL: this.databaseUrl,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: this.url,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        SANDBOX: 'true',
        // Beside a real database loopback is reached only through the allow-list (the sandbox, local receivers).
        OUTBOUND_ALLOWLIST: '127.0.0.1',
        SEED_DEMO: 'false',
        BACKGROUND_JOBS: 'true',
        RECONCILE_INTERVAL_SECONDS: '1',
        LOG_LEVEL: 'info',
        PROVIDER_TIMEOUT_MS: '1500',
        RATE_LIMIT_PER_KEY_PER_S: '100000',
        RATE_LIMIT_PER_IP_PER_S: '100000',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        this.lines.push(...parts);
      });
      stream.on('end', () => partial && this.lines.push(partial));
    }
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    while (Date.now() - started < timeoutMs) {
      if (!this.child) throw new Error(`the app exited during start:\n${this.lines.slice(-30).join('\n')}`);
      try {
        await fetch(`${this.url}/health/live`, { signal: AbortSignal.timeout(1000) });
        this.startupMs.push(Date.now() - started);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await this.kill9();
    throw new Error(`the app did not listen within ${timeoutMs} ms:\n${this.lines.slice(-30).join('\n')}`);
  }

  /** kill -9: no shutdown hooks, no flushing, connections cut mid-flight. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  /** A graceful stop (SIGTERM), used at the end of a spec. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
  }

  request(method: string, path: string, opts: SendOptions = {}): Promise<TestResponse> {
    return send(this.url + path, method, opts);
  }
}
