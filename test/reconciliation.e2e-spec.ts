import { SweeperService } from '../src/reconciliation/sweeper.service';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';
import { createOrders, CreatedOrder, expireInDb, FAST_SWEEP_ENV, manualRun, merchantWithRaksmeypay, pay, sandboxCalls, statuses } from './helpers/reconciliation';

/**
 * The reconciliation guarantee over HTTP, the sandbox and a real database: no paid order stays
 * unseen, nothing is marked twice, and what is past expiry expires after a final check.
 */
describe('reconciliation: one sweep over 300 PENDING orders', () => {
  let t: TestApp;
  let merchants: TestMerchant[];
  let orders: CreatedOrder[];
  let paid: Set<string>;
  let pastExpiry: Set<string>;

  beforeAll(async () => {
    t = await startTestApp({ env: FAST_SWEEP_ENV });
    merchants = [await merchantWithRaksmeypay(t, 'alpha'), await merchantWithRaksmeypay(t, 'beta')];
    orders = [...(await createOrders(t, merchants[0], 'raksmeypay', 150, { expires_in: 3600 })), ...(await createOrders(t, merchants[1], 'raksmeypay', 150, { expires_in: 3600 }))];
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves exactly the 100 paid ones PAID, expires the unpaid ones past expiry, leaves the rest PENDING', async () => {
    // Every third order is paid (100); of the unpaid ones, every fourth is moved past expiry (50).
    const toPay = orders.filter((_, i) => i % 3 === 0);
    paid = new Set(toPay.map((o) => o.id));
    const unpaid = orders.filter((o) => !paid.has(o.id));
    pastExpiry = new Set(unpaid.filter((_, i) => i % 4 === 0).map((o) => o.id));
    expect(paid.size).toBe(100);
    expect(pastExpiry.size).toBe(50);
    for (const o of toPay) await pay(t, o);
    await expireInDb(t, [...pastExpiry]);
    await t.request('DELETE', '/sandbox/control/stats');

    const run = await manualRun(t);

    expect(run).toMatchObject({ object: 'reconciliation_run', trigger: 'manual', status: 'completed', claimed: 300, checked: 300, paid: 100, expired: 50, errors: 0 });
    expect(run.providers.raksmeypay).toMatchObject({ calls: 300, errors: 0 });
    expect(run.providers.raksmeypay.p99_ms).toBeGreaterThanOrEqual(run.providers.raksmeypay.p50_ms);
    expect(new Date(run.finished_at).getTime()).toBeGreaterThanOrEqual(new Date(run.started_at).getTime());
    // One gateway call per transaction, counted on the gateway's side.
    expect((await sandboxCalls(t)).raksmeypay).toBe(300);

    const now = await statuses(t, orders.map((o) => o.id));
    for (const o of orders) {
      const expected = paid.has(o.id) ? 'PAID' : pastExpiry.has(o.id) ? 'EXPIRED' : 'PENDING';
      expect({ id: o.id, status: now.get(o.id)!.status }).toEqual({ id: o.id, status: expected });
      expect(now.get(o.id)!.flags).toEqual([]);
    }
    const { rows: events } = await t.db.query(`SELECT type, count(*)::int AS n, count(DISTINCT order_id)::int AS orders FROM events WHERE type <> 'order.created' GROUP BY type ORDER BY type`);
    expect(events).toEqual([
      { type: 'order.expired', n: 50, orders: 50 },
      { type: 'order.paid', n: 100, orders: 100 },
    ]);
    const paidView = (await t.request('GET', `/v1/orders/${toPay[0].id}`, { token: merchants[0].apiKey })).json;
    expect(paidView).toMatchObject({ status: 'PAID', verification: 'provider_api', paid_amount: '5.25' });
  });

  it('records each check on the transaction and schedules the next one with back-off, leases released', async () => {
    const { rows } = await t.db.query(
      `SELECT status, check_count, last_checked_at IS NOT NULL AS checked, last_error, claimed_until, claimed_by,
              next_check_at > now() + interval '20 seconds' AND next_check_at <= now() + interval '31 seconds' AS backed_off, next_check_at IS NULL AS unscheduled
       FROM transactions`,
    );
    expect(rows).toHaveLength(300);
    for (const r of rows) {
      expect(r).toMatchObject({ check_count: 1, checked: true, last_error: null, claimed_until: null, claimed_by: null });
      // PENDING: next check 30 s later (the second step of the curve); final ones are no longer scheduled.
      if (r.status === 'PENDING') expect(r.backed_off).toBe(true);
      else expect(r.unscheduled).toBe(true);
    }
  });

  it('a scheduled sweep right after checks nothing (nothing is due); a second manual sweep re-checks only the PENDING ones', async () => {
    const scheduled = await t.app.get(SweeperService).run('scheduled');
    expect(scheduled).toMatchObject({ trigger: 'scheduled', status: 'completed', claimed: 0, checked: 0 });
    await t.request('DELETE', '/sandbox/control/stats');
    const again = await manualRun(t);
    expect(again).toMatchObject({ claimed: 150, checked: 150, paid: 0, expired: 0, errors: 0 });
    expect((await sandboxCalls(t)).raksmeypay).toBe(150);
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
    expect((await t.request('POST', '/admin/reconciliation/runs', { token: merchants[0].apiKey })).status).toBe(401);
    expect((await t.request('GET', '/admin/reconciliation/runs?limit=0', { token: TEST_ADMIN_TOKEN })).status).toBe(400);
  });
});
