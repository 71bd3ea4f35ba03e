import { SweeperService } from '../src/reconciliation/sweeper.service';
import {
  createOrders,
  CreatedOrder,
  expireInDb,
  FAST_SWEEP_NO_TIMEOUTS_ENV,
  manualRun,
  merchantWithEveryProvider,
  pay,
  sandboxCalls,
  statuses,
} from './helpers/reconciliation';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

/**
 * The reconciliation guarantee over HTTP, the sandbox and a real database: no paid order stays
 * unseen, nothing is marked twice, and what is past expiry expires after a final check.
 */
describe('reconciliation: one sweep over 300 PENDING orders across providers', () => {
  let t: TestApp;
  let alpha: TestMerchant;
  let beta: TestMerchant;
  const orders: CreatedOrder[] = [];
  const paid = new Set<string>();
  const pastExpiry = new Set<string>();

  // Per provider and merchant: how many orders, how many the customer pays, how many (unpaid) are past expiry.
  const plan = () => [
    { m: alpha, provider: 'raksmeypay', count: 45, pay: 18, expire: 5 },
    { m: beta, provider: 'raksmeypay', count: 45, pay: 17, expire: 5 },
    { m: alpha, provider: 'bakongapi', count: 60, pay: 25, expire: 10 },
    { m: alpha, provider: 'bakong', count: 70, pay: 30, expire: 7 },
    { m: beta, provider: 'bakong', count: 20, pay: 10, expire: 3 },
    { m: alpha, provider: 'ahnajak', count: 30, pay: 0, expire: 10 },
    { m: alpha, provider: 'checkout', count: 30, pay: 0, expire: 10 },
  ];

  beforeAll(async () => {
    t = await startTestApp({ env: FAST_SWEEP_NO_TIMEOUTS_ENV });
    alpha = await merchantWithEveryProvider(t, 'alpha');
    beta = await merchantWithEveryProvider(t, 'beta');
    for (const g of plan()) {
      const created = await createOrders(t, g.m, g.provider, g.count, { expires_in: 3600 });
      created.slice(0, g.pay).forEach((o) => paid.add(o.id));
      created.slice(g.pay, g.pay + g.expire).forEach((o) => pastExpiry.add(o.id));
      orders.push(...created);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves exactly the 100 paid ones PAID, expires the unpaid ones past expiry, leaves the rest PENDING', async () => {
    expect(orders).toHaveLength(300);
    expect(paid.size).toBe(100);
    expect(pastExpiry.size).toBe(50);
    for (const o of orders.filter((x) => paid.has(x.id))) await pay(t, o);
    await expireInDb(t, [...pastExpiry]);
    await t.request('DELETE', '/sandbox/control/stats');

    const run = await manualRun(t);

    // Providers without a verify API (ahnajak, checkout) are claimed and expired on time, never called.
    expect(run).toMatchObject({
      object: 'reconciliation_run',
      trigger: 'manual',
      status: 'completed',
      claimed: 300,
      checked: 240,
      paid: 100,
      expired: 50,
      flagged: 0,
      errors: 0,
    });
    expect(run.providers).toMatchObject({
      raksmeypay: { calls: 90, errors: 0 },
      bakongapi: { calls: 60, errors: 0 },
      // The Bakong Open API in batches of ≤ 50 per merchant account: ⌈70/50⌉ + ⌈20/50⌉.
      bakong: { calls: 3, errors: 0 },
      ahnajak: { calls: 0, errors: 0 },
      checkout: { calls: 0, errors: 0 },
    });
    expect(run.providers.raksmeypay.p99_ms).toBeGreaterThanOrEqual(run.providers.raksmeypay.p50_ms);
    expect(new Date(run.finished_at).getTime()).toBeGreaterThanOrEqual(new Date(run.started_at).getTime());
    // Counted on the gateways' side: one call per transaction, one per batch, none for the rest.
    expect(await sandboxCalls(t)).toEqual({ raksmeypay: 90, bakongapi: 60, bakong: 3 });

    const now = await statuses(
      t,
      orders.map((o) => o.id),
    );
    for (const o of orders) {
      const expected = paid.has(o.id) ? 'PAID' : pastExpiry.has(o.id) ? 'EXPIRED' : 'PENDING';
      expect({ id: o.id, provider: o.provider, status: now.get(o.id)!.status }).toEqual({ id: o.id, provider: o.provider, status: expected });
      expect(now.get(o.id)!.flags).toEqual([]);
    }
    const { rows: events } = await t.db.query(
      `SELECT type, count(*)::int AS n, count(DISTINCT order_id)::int AS orders FROM events WHERE type <> 'order.created' GROUP BY type ORDER BY type`,
    );
    expect(events).toEqual([
      { type: 'order.expired', n: 50, orders: 50 },
      { type: 'order.paid', n: 100, orders: 100 },
    ]);
    const sample = orders.find((o) => o.provider === 'bakong' && paid.has(o.id))!;
    expect((await t.request('GET', `/v1/orders/${sample.id}`, { token: alpha.apiKey })).json).toMatchObject({
      status: 'PAID',
      verification: 'provider_api',
      paid_amount: sample.amount,
    });
  });

  it('records each check on the transaction and schedules the next one with back-off, leases released', async () => {
    const { rows } = await t.db.query(
      `SELECT provider, status, check_count, last_checked_at IS NOT NULL AS checked, last_error, claimed_until, claimed_by,
              next_check_at > now() + interval '20 seconds' AND next_check_at <= now() + interval '31 seconds' AS backed_off,
              next_check_at = expires_at AS at_expiry, next_check_at IS NULL AS unscheduled
       FROM transactions`,
    );
    expect(rows).toHaveLength(300);
    for (const r of rows) {
      expect(r).toMatchObject({ last_error: null, claimed_until: null, claimed_by: null });
      if (r.status !== 'PENDING') expect(r.unscheduled).toBe(true);
      if (r.provider === 'ahnajak' || r.provider === 'checkout') {
        // Never asked: their PENDING ones wait for expiry (or their callback).
        expect(r).toMatchObject({ check_count: 0, checked: false });
        if (r.status === 'PENDING') expect(r.at_expiry).toBe(true);
      } else {
        expect(r).toMatchObject({ check_count: 1, checked: true });
        // Next check 30 s later: the second step of the back-off curve.
        if (r.status === 'PENDING') expect(r.backed_off).toBe(true);
      }
    }
  });

  it('a scheduled sweep right after checks nothing (nothing is due); a second manual sweep re-checks only the PENDING ones', async () => {
    const scheduled = await t.app.get(SweeperService).run('scheduled');
    expect(scheduled).toMatchObject({ trigger: 'scheduled', status: 'completed', claimed: 0, checked: 0 });
    await t.request('DELETE', '/sandbox/control/stats');
    const again = await manualRun(t);
    // PENDING now: raksmeypay 45, bakongapi 25, bakong 33 + 7, ahnajak 20, checkout 20.
    expect(again).toMatchObject({ claimed: 150, checked: 110, paid: 0, expired: 0, errors: 0 });
    expect(await sandboxCalls(t)).toEqual({ raksmeypay: 45, bakongapi: 25, bakong: 2 });
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM events WHERE type = 'order.paid'`);
    expect(rows[0].n).toBe(100);
  });

  it('lists runs newest first with cursor pagination, and fetches one; admin only', async () => {
    const page1 = await t.request('GET', '/admin/reconciliation/runs?limit=2', { token: TEST_ADMIN_TOKEN });
    expect(page1.status).toBe(200);
    expect(page1.json.data.map((r: { trigger: string }) => r.trigger)).toEqual(['manual', 'scheduled']);
    expect(page1.json.has_more).toBe(true);
    const page2 = await t.request('GET', `/admin/reconciliation/runs?limit=2&starting_after=${page1.json.data[1].id}`, { token: TEST_ADMIN_TOKEN });
    expect(page2.json).toMatchObject({ has_more: false, data: [{ trigger: 'manual', paid: 100, expired: 50 }] });
    const one = await t.request('GET', `/admin/reconciliation/runs/${page2.json.data[0].id}`, { token: TEST_ADMIN_TOKEN });
    expect(one.json).toEqual(page2.json.data[0]);
    expect((await t.request('GET', '/admin/reconciliation/runs/run_00000000000000000000000000', { token: TEST_ADMIN_TOKEN })).status).toBe(404);
    expect((await t.request('GET', '/admin/reconciliation/runs/nonsense', { token: TEST_ADMIN_TOKEN })).status).toBe(404);
    expect((await t.request('GET', '/admin/reconciliation/runs')).status).toBe(401);
    expect((await t.request('POST', '/admin/reconciliation/runs', { token: alpha.apiKey })).status).toBe(401);
    expect((await t.request('GET', '/admin/reconciliation/runs?limit=0', { token: TEST_ADMIN_TOKEN })).status).toBe(400);
  });
});
