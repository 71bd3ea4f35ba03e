import { configurePayway, refundedAtPaywayUsd } from '../helpers/payway';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant, TestResponse } from '../helpers/test-app';
import { send, sent } from './support/http';
import { AppLike, createOrder, KITS, mapLimit, Merchant, OrderView, sandboxPay } from './support/providers';
import { newTally, writeTally } from './support/summary';

/**
 * Races: every paid order is hit at once by the gateway's own notification (signed return,
 * signed webhook or browser return), POST /verify, an admin resolve and a reconciliation
 * sweep. Whatever the interleaving, each order makes exactly one transition and writes
 * exactly one order.paid event.
 */
const ORDERS = 500;
const BATCH = 100;
/** Gateways with a confirmation path of their own besides their API. */
const RACE_PROVIDERS = ['raksmeypay', 'ahnajak', 'checkout'];

describe('reliability: racing confirmations', () => {
  const tally = newTally();
  let t: TestApp;
  let app: AppLike;
  let m: Merchant;
  const providers = RACE_PROVIDERS.map((id) => KITS[id]).filter(Boolean);

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        RATE_LIMIT_PER_KEY_PER_S: '100000',
        RATE_LIMIT_PER_IP_PER_S: '100000',
        RECONCILE_RATE_PER_S: '100000',
        RECONCILE_CONCURRENCY: '32',
        PROVIDER_TIMEOUT_MS: '10000',
      },
    });
    app = { url: t.url, request: (method, path, opts) => send(t.url + path, method, opts) };
    m = await t.createMerchant('Race Shop');
    for (const kit of providers) await kit.configure(app, m);
  });

  afterAll(async () => {
    tally.requests = sent.count;
    writeTally('races', tally);
    await t?.close();
  });

  it(`${ORDERS} paid orders, each confirmed four ways at once: one transition, one order.paid`, async () => {
    expect(providers.map((p) => p.id)).toEqual(RACE_PROVIDERS);
    // 1. Create the orders, spread over the providers, and pay each at its gateway. Ahnajak's sandbox
    //    would deliver its webhook during the payment itself, so for Ahnajak the test holds the signed
    //    webhook and fires it in the race (no verify API or sweep asks Ahnajak: its webhook is the only word).
    const orders = await mapLimit(
      Array.from({ length: ORDERS }, (_, i) => i),
      16,
      async (i) => {
        const kit = providers[i % providers.length];
        const order = await createOrder(app, m, kit.id, `race-${i}`, `${1 + (i % 50)}.${String(i % 100).padStart(2, '0')}`);
        if (kit.id !== 'ahnajak') await sandboxPay(app, order, kit.id);
        const notify = await kit.capture!(app, order, m);
        return { order, kit, notify };
      },
    );
    const statuses: Record<string, Record<number, number>> = {};
    const failures: string[] = [];
    const record = (who: string, res: TestResponse) => {
      if (res.status >= 500) failures.push(`${who} ${res.status} ${res.text.slice(0, 300)}`);
      statuses[who] ??= {};
      statuses[who][res.status] = (statuses[who][res.status] ?? 0) + 1;
    };

    // 2. In batches: each order's notification, verify and resolve at once, with a sweep racing the batch.
    for (let start = 0; start < orders.length; start += BATCH) {
      const batch = orders.slice(start, start + BATCH);
      const racers: Promise<void>[] = [];
      racers.push(app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 }).then((r) => record('sweep', r)));
      for (const { order, notify } of batch) {
        racers.push(notify().then((r) => record('notify', r)));
        racers.push(app.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey }).then((r) => record('verify', r)));
        racers.push(
          app
            .request('POST', `/admin/transactions/${order.transaction.id}/resolve`, {
              token: TEST_ADMIN_TOKEN,
              body: { status: 'PAID', reason: 'race test: operator confirmed with the bank' },
            })
            .then((r) => record('resolve', r)),
        );
      }
      await Promise.all(racers);
    }
    tally.cases += orders.length;

    // 3. No racer failed: notifications redirect or acknowledge, verify 200 (422 without a verify API), resolve 200 or 409, the sweep 201.
    const bad = Object.entries(statuses).flatMap(([who, byStatus]) =>
      Object.keys(byStatus)
        .filter((s) => Number(s) >= 500 || Number(s) === 400 || Number(s) === 401 || Number(s) === 404)
        .map((s) => `${who} ${s}`),
    );
    expect({ bad, failures }).toEqual({ bad: [], failures: [] });
    for (const s of Object.keys(statuses.resolve)) expect(['200', '409']).toContain(s);
    expect(Object.keys(statuses.sweep)).toEqual(['201']);

    // 4. In SQL: every order PAID once, with exactly one order.paid and no other transition.
    const ids = orders.map((o) => o.order.id);
    const { rows } = await t.db.query<{ id: string; status: string; verification: string; txn_status: string; paid: number; events: number }>(
      `SELECT o.id, o.status, o.verification, t.status AS txn_status,
              (SELECT count(*)::int FROM events e WHERE e.order_id = o.id AND e.type = 'order.paid') AS paid,
              (SELECT count(*)::int FROM events e WHERE e.order_id = o.id) AS events
         FROM orders o JOIN transactions t ON t.order_id = o.id WHERE o.id = ANY($1)`,
      [ids],
    );
    expect(rows.length).toBe(ORDERS);
    const notPaid = rows.filter((r) => r.status !== 'PAID' || r.txn_status !== 'PAID');
    const twice = rows.filter((r) => r.paid !== 1 || r.events !== 2);
    tally.lost += notPaid.length;
    tally.duplicated += twice.length;
    expect(notPaid).toEqual([]);
    expect(twice).toEqual([]);
    // Every sequence number is used once per order (the outbox's unique key would refuse a second anyway).
    const seq = await t.db.query(`SELECT order_id, sequence FROM events WHERE order_id = ANY($1) GROUP BY 1, 2 HAVING count(*) > 1`, [ids]);
    expect(seq.rows).toEqual([]);
    // The resolve audit log has one entry per order that resolve actually won, and no more.
    const manual = rows.filter((r) => r.verification === 'manual').length;
    const audits = await t.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'transaction.resolve' AND subject_id = ANY($1)`, [
      orders.map((o) => o.order.transaction.id),
    ]);
    expect(audits.rows[0].n).toBe(manual);
    const winners = rows.reduce<Record<string, number>>((acc, r) => ((acc[r.verification] = (acc[r.verification] ?? 0) + 1), acc), {});
    tally.notes.push(`winners by verification: ${JSON.stringify(winners)}; responses: ${JSON.stringify(statuses)}`);
  });

  it('an order confirmed again later (replayed notification, verify, sweep) stays at one transition', async () => {
    for (const kit of providers) {
      const order: OrderView = await createOrder(app, m, kit.id, `race-replay-${kit.id}`);
      if (kit.id !== 'ahnajak') await sandboxPay(app, order, kit.id);
      const notify = await kit.capture!(app, order, m);
      const first = await notify();
      expect(first.status).toBeLessThan(400);
      for (let i = 0; i < 3; i++) {
        const again = await notify();
        // A replayed signed return or webhook is acknowledged; a single-use browser return refuses (409). Neither changes anything.
        expect([200, 302, 409]).toContain(again.status);
        await app.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
        await app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
      }
      const resolve = await app.request('POST', `/admin/transactions/${order.transaction.id}/resolve`, {
        token: TEST_ADMIN_TOKEN,
        body: { status: 'FAILED', reason: 'late operator mistake' },
      });
      expect(resolve.status).toBe(409);
      const events = await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [order.id]);
      expect(events.rows.map((r) => r.type)).toEqual(['order.created', 'order.paid']);
      tally.cases++;
    }
  });

  describe('payway refunds racing each other, a sweep, verify, cancel and a late payment', () => {
    const REFUND_ORDERS = 8;
    let pm: TestMerchant;
    /** The order's refunds and reservation, and what PayWay itself has refunded on its transaction. */
    const ledger = async (order: OrderView) => {
      const { rows } = await t.db.query(
        `SELECT o.status, o.paid_amount_minor::int AS paid, o.refunded_minor::int AS reserved,
                (SELECT coalesce(sum(amount_minor), 0)::int FROM refunds WHERE order_id = o.id AND status <> 'FAILED') AS not_failed,
                (SELECT coalesce(sum(amount_minor), 0)::int FROM refunds WHERE order_id = o.id AND status = 'SUCCEEDED') AS succeeded,
                (SELECT count(*)::int FROM refunds WHERE order_id = o.id AND status <> 'SUCCEEDED') AS unsettled
           FROM orders o WHERE o.id = $1`,
        [order.id],
      );
      return { ...rows[0], atPayway: await paywayRefunded(order) };
    };
    const paywayRefunded = (order: OrderView) => refundedAtPaywayUsd(app, pm, order.transaction.provider_reference);

    beforeAll(async () => {
      pm = await t.createMerchant('Race Refund Shop');
      await configurePayway(t, pm);
    });

    it(`${REFUND_ORDERS} paid orders, each hit by 20 refunds of 1.00 (of 12.50), verify, cancel and a sweep at once: 12 refunds each, PayWay agrees`, async () => {
      const orders = await mapLimit(
        Array.from({ length: REFUND_ORDERS }, (_, i) => i),
        4,
        async (i) => {
          const order = await createOrder(app, pm, 'payway', `race-refund-${i}`, '12.50');
          await sandboxPay(app, order, 'payway');
          return order;
        },
      );
      const racers: Promise<TestResponse>[] = [app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 })];
      const refunds: Promise<TestResponse>[] = [];
      for (const order of orders) {
        for (let k = 0; k < 20; k++) refunds.push(app.request('POST', `/v1/orders/${order.id}/refunds`, { token: pm.apiKey, body: { amount: '1.00' } }));
        racers.push(app.request('POST', `/v1/orders/${order.id}/verify`, { token: pm.apiKey }));
        racers.push(app.request('POST', `/v1/orders/${order.id}/cancel`, { token: pm.apiKey }));
        racers.push(app.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN, timeoutMs: 60_000 }));
      }
      const answers = await Promise.all(refunds);
      await Promise.all(racers);
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      expect(answers.filter((a) => a.status === 201).map((a) => a.json.status)).toEqual(Array(12 * REFUND_ORDERS).fill('SUCCEEDED'));
      expect(answers.filter((a) => a.status === 422)).toHaveLength(8 * REFUND_ORDERS);
      for (const order of orders) {
        expect(await ledger(order)).toEqual({ status: 'PAID', paid: 1250, reserved: 1200, not_failed: 1200, succeeded: 1200, unsettled: 0, atPayway: 1200 });
      }
      tally.cases += REFUND_ORDERS;
    });

    it(`${REFUND_ORDERS} pending orders: refunds race the late payment (pushback), verify and cancel; refunds only of what was paid, PayWay agrees`, async () => {
      const orders = await mapLimit(
        Array.from({ length: REFUND_ORDERS }, (_, i) => i),
        4,
        (i) => createOrder(app, pm, 'payway', `race-late-${i}`, '10.00'),
      );
      const statuses: number[] = [];
      await Promise.all(
        orders.flatMap((order, i) => [
          sandboxPay(app, order, 'payway'),
          app.request('POST', `/v1/orders/${order.id}/verify`, { token: pm.apiKey }),
          // Every other order also races a cancel: it may win (nothing refundable) or lose to the payment.
          ...(i % 2 ? [app.request('POST', `/v1/orders/${order.id}/cancel`, { token: pm.apiKey })] : []),
          ...Array.from({ length: 6 }, () =>
            app.request('POST', `/v1/orders/${order.id}/refunds`, { token: pm.apiKey, body: { amount: '2.00' } }).then((r) => {
              statuses.push(r.status);
              if (r.status === 201) expect(r.json.status).toBe('SUCCEEDED');
              return r;
            }),
          ),
        ]),
      );
      expect(statuses.filter((s) => ![201, 409, 422].includes(s))).toEqual([]);
      for (const order of orders) {
        const l = await ledger(order);
        expect(l.not_failed).toBeLessThanOrEqual(l.paid ?? 0);
        expect({ reserved: l.reserved, atPayway: l.atPayway, unsettled: l.unsettled }).toEqual({ reserved: l.succeeded, atPayway: l.succeeded, unsettled: 0 });
        if (l.succeeded > 0) expect(l.status).toBe('PAID');
      }
      tally.notes.push(
        `late-payment refund race answers: ${JSON.stringify(statuses.reduce<Record<number, number>>((a, s) => ((a[s] = (a[s] ?? 0) + 1), a), {}))}`,
      );
      tally.cases += REFUND_ORDERS;
    });
  });
});
