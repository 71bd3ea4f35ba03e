import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { configurePayway, refundedAtPaywayUsd } from '../helpers/payway';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from '../helpers/test-app';
import { send, sent } from './support/http';
import { ALL_PROVIDERS, AppLike, createOrder, KITS, Merchant, sandboxPay } from './support/providers';
import { newTally, writeTally } from './support/summary';

/**
 * Provider faults: every fault mode of the sandbox on every gateway, during order creation,
 * POST /verify, a reconciliation sweep and the gateway's own callbacks, with the merchant's
 * webhook receiver failing the same way. Nothing may change state wrongly, nothing may
 * crash, errors must be clear problems (502/504 with a provider_* code), and once the fault
 * clears everything completes: the order is PAID once and its events are delivered.
 */
const MODES = ['timeout', 'http500', 'http429', 'garbage'] as const;
type Mode = (typeof MODES)[number];
/** What a failed gateway call answers, by fault mode. */
const EXPECTED: Record<Mode, { status: number; code: string }> = {
  timeout: { status: 504, code: 'provider_timeout' },
  http500: { status: 502, code: 'provider_unavailable' },
  http429: { status: 502, code: 'provider_rate_limited' },
  garbage: { status: 502, code: 'provider_bad_response' },
};
/** Gateways whose order creation calls their API (the others sign a link or build the KHQR locally). */
const CREATE_CALLS_GATEWAY = new Set(['bakongapi', 'checkout', 'payway']);

/** A merchant webhook receiver that fails the way it is told to, then recovers. */
class FaultyReceiver {
  mode: Mode | null = null;
  faults = 0;
  readonly delivered = new Map<string, number>();
  private server: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = String(req.headers['webhook-id'] ?? '');
        const mode = this.mode;
        if (mode) this.faults++;
        switch (mode) {
          case 'http500':
            return void res.writeHead(500).end('boom');
          case 'http429':
            return void res.writeHead(429, { 'retry-after': '1' }).end();
          case 'garbage':
            // Not HTTP at all: the connection answers noise and closes.
            return void req.socket.end('\x00\x01garbage, not a status line\r\n\r\n');
          case 'timeout':
            return void setTimeout(() => res.writeHead(200).end(), 2500).unref();
          default:
            this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
            res.writeHead(200).end('ok');
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability: every fault mode on every provider', () => {
  jest.setTimeout(240_000);
  const tally = newTally();
  const receiver = new FaultyReceiver();
  let t: TestApp;
  let app: AppLike;
  let m: Merchant;

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      env: {
        BACKGROUND_JOBS: 'true',
        // The sweep runs only when the test asks; the webhook dispatcher runs on its own with quick retries.
        RECONCILE_INTERVAL_SECONDS: '86400',
        WEBHOOK_RETRY_SCHEDULE_MS: '200,300,500,500,500,500,500,500,500,500,500,500,500,500,500,500,500,500,500,500',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_POLL_INTERVAL_MS: '100',
        // The receiver times out or breaks connections for a whole case: its breaker opens; keep the cool-down short.
        WEBHOOK_BREAKER_COOLDOWN_MS: '500',
        RATE_LIMIT_PER_KEY_PER_S: '100000',
        RATE_LIMIT_PER_IP_PER_S: '100000',
      },
    });
    app = { url: t.url, request: (method, path, opts) => send(t.url + path, method, opts) };
    m = await t.createMerchant('Faulty Shop');
    for (const id of ALL_PROVIDERS) await KITS[id].configure(app, m);
    expect((await app.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: `${receiver.url}/hooks` } })).status).toBe(201);
  });

  afterAll(async () => {
    const injected = await app?.request('GET', '/sandbox/control/faults');
    tally.faults_injected += (injected?.json?.injected ?? 0) + receiver.faults;
    tally.requests = sent.count;
    writeTally('faults', tally);
    await t?.close();
    await receiver.close();
  });

  const counts = async () =>
    (
      await t.db.query(
        `SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM transactions)::int AS txns, (SELECT count(*) FROM events)::int AS events`,
      )
    ).rows[0];
  const setFault = (provider: string, mode: Mode) => app.request('POST', '/sandbox/control/faults', { body: { provider, mode } });
  const clearFaults = () => app.request('DELETE', '/sandbox/control/faults');
  const eventsOf = async (orderId: string) =>
    (await t.db.query(`SELECT id, type FROM events WHERE order_id = $1 ORDER BY sequence`, [orderId])).rows as { id: string; type: string }[];
  const expectClearProblem = (
    res: { status: number; json: { code?: string; detail?: string }; headers: Headers; text: string },
    provider: string,
    mode: Mode,
  ) => {
    expect({ status: res.status, code: res.json?.code }).toEqual(EXPECTED[mode]);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json.detail).toMatch(new RegExp(`^${provider}: `));
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+|<html|SELECT |INSERT /i);
  };

  const combos = ALL_PROVIDERS.flatMap((provider) => MODES.map((mode) => [provider, mode] as const));

  it.each(combos)('%s with %s: create, verify, sweep, callbacks and merchant webhooks', async (provider, mode) => {
    const kit = KITS[provider];
    const ref = `flt-${provider}-${mode}`;
    receiver.mode = mode;
    await setFault(provider, mode);

    // 1. Create while the gateway is down: nothing written when it was needed, a clear problem.
    const before = await counts();
    const created = await app.request('POST', '/v1/orders', { token: m.apiKey, body: { provider, amount: '7.25', reference: `${ref}-a` } });
    if (CREATE_CALLS_GATEWAY.has(provider)) {
      expectClearProblem(created, provider, mode);
      expect(await counts()).toEqual(before);
      // The refusal did not burn the reference: the same create succeeds once the gateway is back.
      await clearFaults();
      expect((await app.request('POST', '/v1/orders', { token: m.apiKey, body: { provider, amount: '7.25', reference: `${ref}-a` } })).status).toBe(201);
    } else {
      expect(created.status).toBe(201);
    }
    // Not needed further: cancelled, so the sweeps below see only the order under test.
    const first = (await app.request('GET', `/v1/orders?reference=${ref}-a`, { token: m.apiKey })).json.data[0];
    expect((await app.request('POST', `/v1/orders/${first.id}/cancel`, { token: m.apiKey })).status).toBe(200);

    // 2. The order under test, paid at the gateway, its notification held; then the gateway's API breaks.
    await clearFaults();
    const order = await createOrder(app, m, provider, `${ref}-b`, '7.25');
    const notify = kit.capture && provider !== 'ahnajak' ? (await sandboxPay(app, order, provider), await kit.capture(app, order, m)) : null;
    await setFault(provider, mode);
    // Ahnajak's payment (and so its webhook) happens while its API is broken: the webhook needs no API.
    if (provider === 'ahnajak') await sandboxPay(app, order, provider);
    if (!kit.capture) await sandboxPay(app, order, provider);
    const eventsBefore = await eventsOf(order.id);

    // 3. POST /verify: a clear 502/504 and no change (gateways without a verify API: 422, or 200 once paid by webhook).
    const verified = await app.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    if (kit.verify) {
      expectClearProblem(verified, provider, mode);
      expect((await app.request('GET', `/v1/orders/${order.id}`, { token: m.apiKey })).json.status).toBe('PENDING');
      expect(await eventsOf(order.id)).toEqual(eventsBefore);
      const { rows } = await t.db.query(`SELECT last_error FROM transactions WHERE order_id = $1`, [order.id]);
      expect(rows[0].last_error).toMatch(/^(timeout|unavailable|rate_limited|bad_response)/);
    } else {
      expect([200, 422]).toContain(verified.status);
    }

    // 4. A sweep during the fault: it finishes (201), counts the error, changes nothing.
    const sweep = await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 });
    expect(sweep.status).toBe(201);
    if (kit.verify) {
      expect(sweep.json.errors).toBeGreaterThan(0);
      expect(await eventsOf(order.id)).toEqual(eventsBefore);
    }

    // 5. The gateway's own notification still confirms: callbacks never need its API.
    if (notify) {
      const res = await notify();
      expect(res.status).toBe(302);
    }

    // 6. The fault clears: a sweep finds what the API could not say, and the order ends PAID exactly once.
    await clearFaults();
    if (kit.verify && !notify) {
      for (let i = 0; i < 10; i++) {
        const run = await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 });
        expect(run.status).toBe(201);
        if ((await app.request('GET', `/v1/orders/${order.id}`, { token: m.apiKey })).json.status === 'PAID') break;
        await sleep(500); // a 429 pauses this provider's calls for a moment
      }
    }
    const final = (await app.request('GET', `/v1/orders/${order.id}`, { token: m.apiKey })).json;
    expect(final.status).toBe('PAID');
    expect(final.flags).toEqual([]);
    const events = await eventsOf(order.id);
    expect(events.map((e) => e.type)).toEqual(['order.created', 'order.paid']);
    tally.duplicated += events.filter((e) => e.type === 'order.paid').length - 1;

    // 7. The merchant's receiver failed the same way all along; once it recovers, every event arrives.
    receiver.mode = null;
    const ids = [...(await eventsOf(first.id)), ...events].map((e) => e.id);
    const until = Date.now() + 30_000;
    while (ids.some((id) => !receiver.delivered.has(id)) && Date.now() < until) await sleep(100);
    const undelivered = ids.filter((id) => !receiver.delivered.has(id));
    tally.lost += undelivered.length;
    expect(undelivered).toEqual([]);
    tally.cases++;
  });

  describe('the PayWay Refund API under every fault mode', () => {
    let rm: TestMerchant;
    const refundedAtPayway = (tranId: string) => refundedAtPaywayUsd(app, rm, tranId);
    const refundRow = async (id: string) =>
      (await t.db.query(`SELECT status, last_error, failure_reason FROM refunds WHERE id = $1`, [id])).rows[0] as { status: string; last_error: string | null };

    beforeAll(async () => {
      rm = await t.createMerchant('Faulty Refund Shop');
      await configurePayway(t, rm);
      expect((await app.request('POST', '/v1/webhook-endpoints', { token: rm.apiKey, body: { url: `${receiver.url}/refunds` } })).status).toBe(201);
    });

    it.each(MODES)('%s: the refund answers 201 PENDING (reserved), sweeps during the fault change nothing, then it settles once', async (mode) => {
      const order = await createOrder(app, rm, 'payway', `flt-refund-${mode}`, '7.25');
      await sandboxPay(app, order, 'payway');
      expect((await app.request('GET', `/v1/orders/${order.id}`, { token: rm.apiKey })).json.status).toBe('PAID');
      receiver.mode = mode;
      await setFault('payway', mode);

      const asked = await app.request('POST', `/v1/orders/${order.id}/refunds`, { token: rm.apiKey, body: { amount: '3.00' } });
      expect(asked.status).toBe(201);
      expect(asked.json).toMatchObject({ status: 'PENDING', amount: '3.00' });
      expect((await refundRow(asked.json.id)).last_error).toMatch(/^(timeout|unavailable|rate_limited|bad_response)/);
      const over = await app.request('POST', `/v1/orders/${order.id}/refunds`, { token: rm.apiKey, body: { amount: '5.00' } });
      expect(over.json).toMatchObject({ code: 'amount_exceeds_refundable', amount_refundable: '4.25' });

      const sweep = await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 });
      expect(sweep.status).toBe(201);
      expect(sweep.json.errors).toBeGreaterThan(0);
      expect((await refundRow(asked.json.id)).status).toBe('PENDING');

      await clearFaults();
      for (let i = 0; i < 10 && (await refundRow(asked.json.id)).status === 'PENDING'; i++) {
        expect((await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 })).status).toBe(201);
        if ((await refundRow(asked.json.id)).status === 'PENDING') await sleep(500); // a 429 pauses PayWay's calls for a moment
      }
      // The call never reached PayWay: FAILED, and the whole amount is refundable again, once.
      expect((await refundRow(asked.json.id)).status).toBe('FAILED');
      const rest = await app.request('POST', `/v1/orders/${order.id}/refunds`, { token: rm.apiKey, body: {} });
      expect(rest.json).toMatchObject({ status: 'SUCCEEDED', amount: '7.25' });
      expect(await refundedAtPayway(order.transaction.provider_reference)).toBe(725);
      const events = await eventsOf(order.id);
      expect(events.map((e) => e.type)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.failed', 'refund.created', 'refund.succeeded']);

      // The receiver failed the same way all along; once it recovers, every refund event arrives.
      receiver.mode = null;
      const until = Date.now() + 30_000;
      while (events.some((e) => !receiver.delivered.has(e.id)) && Date.now() < until) await sleep(100);
      const undelivered = events.filter((e) => !receiver.delivered.has(e.id));
      tally.lost += undelivered.length;
      expect(undelivered).toEqual([]);
      tally.cases++;
    });
  });

  it('the app is still healthy after every fault', async () => {
    expect((await app.request('GET', '/health/ready')).status).toBe(200);
    const dead = await t.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'dead'`);
    expect(dead.rows[0].n).toBe(0);
  });
});
