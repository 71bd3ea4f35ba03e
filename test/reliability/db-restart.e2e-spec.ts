import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { freePort } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TestResponse } from '../helpers/test-app';
import { removeBuild } from './support/build';
import { ChildApp } from './support/child-app';
import { OwnPostgres } from './support/own-postgres';
import { sent } from './support/http';
import { createOrder, KITS, Merchant, OrderView, sandboxPay } from './support/providers';
import { Receiver } from './support/receiver';
import { newTally, writeTally } from './support/summary';

/**
 * PostgreSQL restarts under load. The app (a child process, background jobs on) has its own
 * embedded PostgreSQL, stopped for a few seconds mid-load and started again on the same port:
 * while it is down every request fails cleanly and promptly (503 problem with Retry-After,
 * never a 500, never a hang), the process survives, it recovers by itself when the database
 * is back, and nothing it acknowledged is lost.
 */
const DOWN_MS = 4000;
/** A request may wait this long for a connection while the database is down, never more. */
const PROMPT_MS = 12_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability: the database restarts mid-load', () => {
  jest.setTimeout(180_000);
  const tally = newTally();
  const receiver = new Receiver();
  let dir: string;
  let port: number;
  let pg: OwnPostgres;
  let app: ChildApp;
  let db: Pool;
  let m: Merchant;

  beforeAll(async () => {
    await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'khqr-dbrestart-'));
    port = await freePort();
    pg = new OwnPostgres(dir, port);
    const url = await pg.start();
    await runMigrations(url);
    db = new Pool({ connectionString: url, max: 2 });
    db.on('error', () => undefined); // the test's own pool loses its connections too
    app = new ChildApp(url, { WEBHOOK_RETRY_SCHEDULE_MS: '200,500,1000,2000,2000,2000', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_POLL_INTERVAL_MS: '200' });
    await app.start();
    const res = await app.request('POST', '/admin/merchants', { token: TEST_ADMIN_TOKEN, body: { name: 'DB Restart Shop' } });
    m = { id: res.json.id, apiKey: res.json.api_key };
    await KITS.raksmeypay.configure(app, m);
    await KITS.bakongapi.configure(app, m);
    expect((await app.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: `${receiver.url}/hooks` } })).status).toBe(201);
  });

  afterAll(async () => {
    tally.requests = sent.count;
    writeTally('db-restart', tally);
    await app?.stop();
    removeBuild();
    await db?.end().catch(() => undefined);
    await pg?.stop();
    await receiver.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('503 problems while it is down, no 500, no hang, no crash; recovers alone; nothing acknowledged is lost', async () => {
    const acknowledged = new Map<string, OrderView>();
    const seen: { phase: string; status: number; ms: number; code?: string; retryAfter: string | null; body: string }[] = [];
    let phase = 'up';
    let stop = false;
    let n = 0;
    const observe = async (what: () => Promise<TestResponse>) => {
      const started = Date.now();
      const p = phase;
      try {
        const res = await what();
        seen.push({
          phase: p,
          status: res.status,
          ms: Date.now() - started,
          code: res.json?.code,
          retryAfter: res.headers.get('retry-after'),
          body: res.text.slice(0, 300),
        });
        return res;
      } catch (err) {
        // A hang or a dropped connection: recorded as status 0 and fails the test below.
        seen.push({ phase: p, status: 0, ms: Date.now() - started, retryAfter: null, body: String(err) });
        return null;
      }
    };
    const creator = async (w: number) => {
      while (!stop) {
        const provider = w % 2 ? 'raksmeypay' : 'bakongapi';
        const reference = `dbr-${w}-${n++}`;
        const res = await observe(() =>
          app.request('POST', '/v1/orders', { token: m.apiKey, body: { provider, amount: '3.25', reference }, timeoutMs: PROMPT_MS + 3000 }),
        );
        if (res?.status === 201) acknowledged.set(res.json.id, res.json);
        await sleep(30);
      }
    };
    const reader = async () => {
      while (!stop) {
        await observe(() => app.request('GET', '/v1/orders?limit=5', { token: m.apiKey, timeoutMs: PROMPT_MS + 3000 }));
        await observe(() => app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: PROMPT_MS + 3000 }));
        await sleep(100);
      }
    };
    const load = [creator(0), creator(1), creator(2), reader()];
    await sleep(2000);

    // Down: a fast shutdown terminates every connection (57P01), then nothing listens on the port.
    phase = 'down';
    await pg.stop();
    const readiness = await app.request('GET', '/health/ready', { timeoutMs: PROMPT_MS });
    await sleep(DOWN_MS);
    tally.faults_injected++;

    // Back: same data directory, same port. The app must find it again without being restarted.
    phase = 'recovering';
    await pg.start();
    const backAt = Date.now();
    let recoveredAfterMs = -1;
    while (Date.now() - backAt < 30_000) {
      const res = await app.request('GET', `/v1/orders?limit=1`, { token: m.apiKey, timeoutMs: PROMPT_MS });
      if (res.status === 200) {
        recoveredAfterMs = Date.now() - backAt;
        break;
      }
      await sleep(200);
    }
    phase = 'up-again';
    await sleep(2000);
    stop = true;
    await Promise.all(load);
    const histogram = seen.reduce<Record<string, number>>((acc, s) => ((acc[`${s.phase}:${s.status}`] = (acc[`${s.phase}:${s.status}`] ?? 0) + 1), acc), {});
    tally.notes.push(`recovered ${recoveredAfterMs} ms after PostgreSQL was back; answers by phase: ${JSON.stringify(histogram)}`);

    // While down: /health/ready says so, and every request failed cleanly and promptly.
    expect(readiness.status).toBe(503);
    expect(app.running).toBe(true);
    const unclean = seen.filter((s) => s.status === 0 || s.status === 500 || (s.status >= 500 && s.status !== 503) || s.ms > PROMPT_MS);
    expect(unclean).toEqual([]);
    const refused = seen.filter((s) => s.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.code).toBe('service_unavailable');
      expect(r.retryAfter).toBeTruthy();
      expect(r.body).not.toMatch(/ECONNREFUSED|terminat|postgres|SELECT|INSERT|at .*\.ts:\d+/i);
    }
    // Recovered by itself, quickly, and serving again.
    expect(recoveredAfterMs).toBeGreaterThanOrEqual(0);
    expect(seen.filter((s) => s.phase === 'up-again' && s.status === 201).length).toBeGreaterThan(0);
    tally.cases += seen.length;

    // Nothing acknowledged is lost, and everything still works end to end: pay one order of each provider and verify.
    const ids = [...acknowledged.keys()];
    const found = await db.query(`SELECT id FROM orders WHERE id = ANY($1)`, [ids]);
    const lost = ids.filter((id) => !found.rows.some((r) => r.id === id));
    tally.lost += lost.length;
    expect(lost).toEqual([]);
    for (const provider of ['raksmeypay', 'bakongapi']) {
      const order = await createOrder(app, m, provider, `dbr-after-${provider}`);
      await sandboxPay(app, order, provider);
      const verified = await app.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
      expect(verified.json.status).toBe('PAID');
    }

    // The webhook dispatcher found the database again too: every event is delivered.
    const events = (await db.query<{ id: string }>(`SELECT id FROM events WHERE merchant_id = $1`, [m.id])).rows.map((r) => r.id);
    const until = Date.now() + 30_000;
    const delivered = () => new Set(receiver.deliveries.map((d) => d.webhookId));
    while (events.some((id) => !delivered().has(id)) && Date.now() < until) await sleep(250);
    const undelivered = events.filter((id) => !delivered().has(id));
    tally.lost += undelivered.length;
    expect(undelivered).toEqual([]);

    // The outage was logged (a database error is worth a line), but no line carries a secret or a connection string's password.
    const secrets = [m.apiKey, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, 'rk-reliability-key-0001', 'postgres:postgres@'];
    expect(app.lines.filter((line) => secrets.some((s) => line.includes(s)))).toEqual([]);
  });
});
