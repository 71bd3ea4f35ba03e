import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'pg';
import { freePort } from '../src/database/embedded-postgres';
import { createTestDatabase, httpRequest, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from './helpers/test-app';

/**
 * The real entry point (src/main.ts) in its own process, stopped with SIGTERM while a request
 * is in flight and the background loops run: the request completes, the loops drain, the
 * process exits 0, and nothing is left claimed.
 */
describe('SIGTERM on a running process', () => {
  let child: ChildProcess | null = null;
  let output = '';
  let databaseUrl: string;
  let db: Pool;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    db = new Pool({ connectionString: databaseUrl, max: 2 });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await db.end();
  });

  it('finishes the in-flight request, drains and exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, '..', 'src', 'main.ts')], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: url,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        SANDBOX: 'true',
        // Beside a real database loopback is reached only through the allow-list (the sandbox, local receivers).
        OUTBOUND_ALLOWLIST: '127.0.0.1',
        SEED_DEMO: 'false',
        BACKGROUND_JOBS: 'true',
        RECONCILE_INTERVAL_SECONDS: '1',
        LOG_LEVEL: 'info',
        PROVIDER_TIMEOUT_MS: '5000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const until = Date.now() + 60_000;
    while (!output.includes('listening on port')) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ready = await httpRequest(`${url}/health/ready`, 'GET');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.json.details.background_loops.loops)).toEqual(expect.arrayContaining(['reconciliation-sweeper', 'webhook-dispatcher']));

    const merchant = await httpRequest(`${url}/admin/merchants`, 'POST', { token: TEST_ADMIN_TOKEN, body: { name: 'Signal Shop' } });
    const key = merchant.json.api_key;
    await httpRequest(`${url}/v1/provider-accounts/raksmeypay`, 'PUT', {
      token: key,
      body: { profile_id: 'p-sig', profile_key: 'sig-key-123', base_url: `${url}/sandbox/raksmeypay` },
    });
    const order = (await httpRequest(`${url}/v1/orders`, 'POST', { token: key, body: { provider: 'raksmeypay', amount: '2.00', reference: 'SIG-1' } })).json;
    await httpRequest(`${url}/sandbox/control/pay`, 'POST', { body: { provider: 'raksmeypay', provider_reference: order.transaction.provider_reference } });
    await httpRequest(`${url}/sandbox/control/faults`, 'POST', { body: { provider: 'raksmeypay', latency_ms: 1500 } });

    const inFlight = httpRequest(`${url}/v1/orders/${order.id}/verify`, 'POST', { token: key });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.json.status).toBe('PAID');
    expect(await exited).toBe(0);

    // JSON log lines (production format) for what happened, none of them a crash.
    const json = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(json.some((l) => l.msg === 'request completed')).toBe(true);
    expect(json.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    const rows = await db.query(`SELECT count(*)::int AS claimed FROM transactions WHERE claimed_until IS NOT NULL`);
    expect(rows.rows[0].claimed).toBe(0);
    const runs = await db.query(`SELECT count(*)::int AS running FROM reconciliation_runs WHERE status = 'running'`);
    expect(runs.rows[0].running).toBe(0);
  });
});
