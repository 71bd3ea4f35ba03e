import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/database/embedded-postgres';
import { runMigrations } from '../src/database/migrate';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp } from './helpers/test-app';

/** Polls `fn` until it returns true (bounded). */
async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** A PostgreSQL server in a child process (see helpers/standalone-postgres.ts). */
class StandalonePostgres {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static start(dir: string, port: number): Promise<StandalonePostgres> {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'helpers', 'standalone-postgres.ts'), dir, String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('PostgreSQL did not start within 60 s')), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /READY (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(new StandalonePostgres(child, m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL helper exited with ${code}`));
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/**
 * Readiness against a PostgreSQL of its own (not the shared test server), which this spec
 * stops and starts again on the same port and data directory.
 */
describe('readiness follows the database', () => {
  let dir: string;
  let port: number;
  let pg: StandalonePostgres | null = null;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'khqr-ready-pg-'));
    port = await freePort();
    pg = await StandalonePostgres.start(dir, port);
    await runMigrations(pg.url);
    t = await startTestApp({ databaseUrl: pg.url });
    // The test's own pool sees its idle connections killed when the server stops; that is expected here.
    t.db.on('error', () => undefined);
  });
  afterAll(async () => {
    await t?.close();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('red while PostgreSQL is down (liveness stays green, the API answers 503 problems), green and serving once it is back', async () => {
    const m = await t.createMerchant('Outage Shop');
    await configureRaksmeypay(t, m);
    expect((await t.request('GET', '/health/ready')).status).toBe(200);

    await pg!.stop();
    pg = null;
    await eventually('ready to go red', async () => (await t.request('GET', '/health/ready')).status === 503);
    const down = await t.request('GET', '/health/ready');
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(down.json).toMatchObject({ code: 'not_ready' });
    expect(down.json.checks.database.status).toBe('down');
    // Each check is bounded: the probe answers quickly even though the database does not.
    const started = Date.now();
    await t.request('GET', '/health/ready');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect((await t.request('GET', '/health/live')).status).toBe(200);
    const api = await t.request('GET', '/v1/orders', { token: 'sk_never_seen_before_key_000000000000' });
    expect(api.status).toBe(503);
    expect(api.json.code).toBe('service_unavailable');
    expect(api.headers.get('retry-after')).toBeTruthy();

    pg = await StandalonePostgres.start(dir, port);
    await eventually('ready to turn green', async () => (await t.request('GET', '/health/ready')).status === 200);

    // The same process serves again without a restart: reads, writes, a provider round trip.
    const order = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '2.00', reference: 'AFTER-OUTAGE' } });
    expect(order.status).toBe(201);
    await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: order.json.transaction.provider_reference } });
    const verified = await t.request('POST', `/v1/orders/${order.json.id}/verify`, { token: m.apiKey });
    expect(verified.status).toBe(200);
    expect(verified.json.status).toBe('PAID');
    expect((await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [order.json.id])).rows.map((r) => r.type)).toEqual([
      'order.created',
      'order.paid',
    ]);
  });
});
