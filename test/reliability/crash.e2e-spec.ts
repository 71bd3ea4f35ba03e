import { Webhook } from 'standardwebhooks';
import { Pool } from 'pg';
import { createTestDatabase, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from '../helpers/test-app';
import { removeBuild } from './support/build';
import { ChildApp } from './support/child-app';
import { sent } from './support/http';
import { ahnajakSecret, createOrder, KITS, Merchant, OrderView, sandboxPay } from './support/providers';
import { Receiver } from './support/receiver';
import { newTally, writeTally } from './support/summary';

/**
 * Crash recovery: the app runs as a child process under a mixed load of creates, payments,
 * confirmations and sweeps, and is killed with SIGKILL at a random moment, ten times, being
 * restarted each time. Afterwards: every order acknowledged with 201 exists, every
 * transition has its event, every event reaches the merchant's receiver (duplicates only
 * under the same webhook-id), and no claim outlives its lease.
 */
const CYCLES = 10;
/** The load runs this long (random within) before the kill. */
const LOAD_MS: [number, number] = [400, 2500];
/** Gateways in the mix; each confirms by its API, and some by a notification too. */
const CRASH_PROVIDERS = ['raksmeypay', 'bakongapi', 'bakong', 'ahnajak', 'checkout'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

describe('reliability: kill -9 under load, ten times', () => {
  jest.setTimeout(240_000);
  const tally = newTally();
  const receiver = new Receiver();
  let app: ChildApp;
  let db: Pool;
  let m: Merchant;
  let secret: string;
  const acknowledged = new Map<string, { provider: string; order: OrderView }>();
  const paidAtGateway = new Set<string>();
  const kits = CRASH_PROVIDERS.map((id) => KITS[id]).filter(Boolean);

  beforeAll(async () => {
    await receiver.start();
    const databaseUrl = await createTestDatabase();
    db = new Pool({ connectionString: databaseUrl, max: 3 });
    app = new ChildApp(databaseUrl, {
      // Fast retries and short delivery leases, so recovery completes within the test.
      WEBHOOK_RETRY_SCHEDULE_MS: '200,500,1000,2000,2000,2000,2000,2000',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_POLL_INTERVAL_MS: '200',
      RECONCILE_RATE_PER_S: '1000',
      RECONCILE_CONCURRENCY: '16',
    });
    await app.start();
    const res = await app.request('POST', '/admin/merchants', { token: TEST_ADMIN_TOKEN, body: { name: 'Crash Shop' } });
    expect(res.status).toBe(201);
    m = { id: res.json.id, apiKey: res.json.api_key };
    for (const kit of kits) await kit.configure(app, m);
    const endpoint = await app.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: `${receiver.url}/hooks` } });
    expect(endpoint.status).toBe(201);
    secret = endpoint.json.secret;
  });

  afterAll(async () => {
    tally.requests = sent.count;
    writeTally('crash', tally);
    await app?.stop();
    removeBuild();
    await receiver.close();
    await db?.end();
  });

  /** One worker of the mixed load; stops at `until` or when a request fails because the app died. */
  async function worker(role: 'create' | 'pay' | 'sweep', stop: { now: boolean }, cycle: number, w: number): Promise<void> {
    let n = 0;
    while (!stop.now) {
      try {
        if (role === 'create') {
          const kit = kits[(cycle + w + n) % kits.length];
          const order = await createOrder(app, m, kit.id, `crash-${cycle}-${w}-${n++}`, `${rand(1, 90)}.${rand(10, 99)}`);
          acknowledged.set(order.id, { provider: kit.id, order });
        } else if (role === 'pay') {
          const pending = [...acknowledged.values()].filter((o) => !paidAtGateway.has(o.order.id));
          if (!pending.length) {
            await sleep(20);
            continue;
          }
          const { provider, order } = pending[rand(0, pending.length)];
          await sandboxPay(app, order, provider);
          paidAtGateway.add(order.id);
          const kit = KITS[provider];
          // Half the time the gateway's own notification too, else the merchant asks.
          if (kit.capture && Math.random() < 0.5) await (await kit.capture(app, order, m))();
          else if (kit.verify) await app.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey, timeoutMs: 5000 });
        } else {
          await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 5000 });
          await sleep(rand(50, 300));
        }
      } catch {
        // The app was killed under this request: not acknowledged, nothing to check.
        if (!app.running) return;
      }
    }
  }

  it(`${CYCLES} kill -9 cycles, then nothing lost, nothing doubled, every event delivered`, async () => {
    expect(kits.length).toBeGreaterThan(0);
    expect(kits.map((k) => k.id)).toEqual(CRASH_PROVIDERS);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      if (!app.running) await app.start();
      const stop = { now: false };
      const roles = ['create', 'create', 'create', 'pay', 'pay', 'sweep'] as const;
      const workers = roles.map((role, w) => worker(role, stop, cycle, w));
      await sleep(rand(LOAD_MS[0], LOAD_MS[1]));
      await app.kill9();
      stop.now = true;
      await Promise.all(workers);
      tally.faults_injected++;
      if (process.env.RELIABILITY_DEBUG)
        console.log(`cycle ${cycle}: ${acknowledged.size} acknowledged, ${paidAtGateway.size} paid, ${sent.count} requests, start ${app.startupMs.at(-1)} ms`);
    }
    const [{ restartedAt }] = (await db.query<{ restartedAt: Date }>(`SELECT now() AS "restartedAt"`)).rows;
    await app.start();
    tally.notes.push(`startup ms per start: ${app.startupMs.join(', ')}`);
    // A restart is quick enough to be a recovery strategy (compiled app, migrations already applied).
    expect(Math.max(...app.startupMs)).toBeLessThan(20_000);

    // 1. Every order acknowledged with 201 exists, with its transaction and its order.created.
    const ids = [...acknowledged.keys()];
    expect(ids.length).toBeGreaterThan(CYCLES * 5);
    const found = await db.query<{ id: string; has_txn: boolean; created: number }>(
      `SELECT o.id, EXISTS (SELECT 1 FROM transactions t WHERE t.order_id = o.id) AS has_txn,
              (SELECT count(*)::int FROM events e WHERE e.order_id = o.id AND e.type = 'order.created') AS created
         FROM orders o WHERE o.id = ANY($1)`,
      [ids],
    );
    const missing = ids.filter((id) => !found.rows.some((r) => r.id === id && r.has_txn && r.created === 1));
    tally.lost += missing.length;
    expect(missing).toEqual([]);
    tally.cases += ids.length;

    // 2. Payments made at the gateway are all found after recovery, and no claim outlives its lease:
    //    on-demand sweeps until nothing paid is PENDING and nothing is still claimed by a run of a killed instance.
    const deadClaims = async () =>
      (
        await db.query(
          `SELECT count(*)::int AS n FROM transactions WHERE claimed_until > now() AND claimed_by IN (SELECT id FROM reconciliation_runs WHERE started_at < $1)`,
          [restartedAt],
        )
      ).rows[0].n as number;
    const deadline = Date.now() + 60_000;
    let stillPending: string[] = [];
    let stillClaimed = 0;
    for (;;) {
      const run = await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 });
      expect(run.status).toBe(201);
      const rows = await db.query<{ id: string; provider: string }>(`SELECT id, provider FROM orders WHERE id = ANY($1) AND status = 'PENDING'`, [
        [...paidAtGateway],
      ]);
      // Gateways without a verify API learn of payments only from their notification, which the kill may have cut.
      stillPending = rows.rows.filter((r) => KITS[r.provider]?.verify).map((r) => r.id);
      stillClaimed = await deadClaims();
      if ((!stillPending.length && !stillClaimed) || Date.now() > deadline) break;
      await sleep(1000);
    }
    tally.notes.push(`recovered ${Math.round((Date.now() - (deadline - 60_000)) / 1000)} s after the last restart`);
    tally.lost += stillPending.length;
    expect(stillPending).toEqual([]);
    expect(stillClaimed).toBe(0);
    // With the leases lapsed, an on-demand sweep claims every PENDING transaction: none is stuck.
    const pendingCount = (await db.query(`SELECT count(*)::int AS n FROM transactions WHERE merchant_id = $1 AND status = 'PENDING'`, [m.id])).rows[0].n;
    const finalRun = await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 });
    expect(finalRun.json.claimed).toBe(pendingCount);

    // 4. Every transition has its event: event sequences are 1..event_seq with no gap, and the last event matches the status.
    const gaps = await db.query(
      `SELECT o.id, o.status, o.event_seq, array_agg(e.sequence ORDER BY e.sequence) AS seqs, (array_agg(e.type ORDER BY e.sequence DESC))[1] AS last
         FROM orders o JOIN events e ON e.order_id = o.id WHERE o.merchant_id = $1 GROUP BY o.id`,
      [m.id],
    );
    const expectedLast: Record<string, string[]> = {
      PENDING: ['order.created', 'order.flagged'],
      PAID: ['order.paid'],
      EXPIRED: ['order.expired'],
      CANCELLED: ['order.cancelled'],
      FAILED: ['order.failed'],
    };
    const broken = gaps.rows.filter(
      (r: { status: string; event_seq: number; seqs: number[]; last: string }) =>
        r.seqs.length !== r.event_seq || r.seqs.some((s, i) => s !== i + 1) || !expectedLast[r.status].includes(r.last),
    );
    expect(broken).toEqual([]);
    const doubled = await db.query(`SELECT order_id FROM events WHERE merchant_id = $1 AND type = 'order.paid' GROUP BY order_id HAVING count(*) > 1`, [m.id]);
    tally.duplicated += doubled.rows.length;
    expect(doubled.rows).toEqual([]);

    // 5. Every event reaches the receiver at least once, signed; a repeat only ever under the same webhook-id.
    const events = (await db.query<{ id: string }>(`SELECT id FROM events WHERE merchant_id = $1`, [m.id])).rows.map((r) => r.id);
    const wh = new Webhook(secret);
    const deliveredIds = () => new Set(receiver.deliveries.map((d) => d.webhookId));
    const until = Date.now() + 90_000;
    while (events.some((id) => !deliveredIds().has(id)) && Date.now() < until) await sleep(250);
    const undelivered = events.filter((id) => !deliveredIds().has(id));
    tally.lost += undelivered.length;
    expect(undelivered).toEqual([]);
    const idsByEvent = new Map<string, Set<string>>();
    for (const d of receiver.deliveries) {
      const body = wh.verify(d.body, { 'webhook-id': d.webhookId, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature }) as { id: string };
      expect(body.id).toBe(d.webhookId);
      idsByEvent.set(body.id, (idsByEvent.get(body.id) ?? new Set()).add(d.webhookId));
    }
    const underTwoIds = [...idsByEvent.values()].filter((s) => s.size > 1).length;
    tally.duplicated += underTwoIds;
    expect(underTwoIds).toBe(0);
    // The delivery log agrees: nothing left pending or stuck delivering (the last acknowledgements may take a moment to be recorded).
    const notDelivered = async () =>
      (await db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE merchant_id = $1 AND status <> 'delivered'`, [m.id])).rows[0].n as number;
    for (let i = 0; i < 40 && (await notDelivered()) > 0; i++) await sleep(250);
    expect(await notDelivered()).toBe(0);
    // 6. Everything the process printed over eleven lives (LOG_LEVEL=info, stdout and stderr) is free of secrets.
    const secrets = [m.apiKey, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, secret, 'rk-reliability-key-0001', ahnajakSecret(m), `ck-key-${m.id}`, `tok-${m.id}`];
    expect(app.lines.length).toBeGreaterThan(100);
    expect(app.lines.filter((line) => secrets.some((s) => line.includes(s)))).toEqual([]);
    tally.notes.push(
      `${ids.length} orders acknowledged, ${paidAtGateway.size} paid at the gateway, ${events.length} events, ${receiver.deliveries.length} deliveries (${receiver.deliveries.length - events.length} repeats, each under its event's webhook-id)`,
    );
  }, 240_000);
});
