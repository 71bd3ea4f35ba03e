import { ProviderLimits } from '../src/reconciliation/provider-limits';
import {
  createOrders,
  CreatedOrder,
  expireInDb,
  FAST_SWEEP_ENV,
  manualRun,
  merchantWithEveryProvider,
  pay,
  sandboxCalls,
  statuses,
} from './helpers/reconciliation';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/**
 * A gateway that misbehaves only hurts its own orders: they stay PENDING with last_error,
 * the sweep completes, and every other provider's orders reconcile in the same run.
 */
describe('reconciliation under gateway faults', () => {
  let t: TestApp;
  let m: TestMerchant;

  beforeAll(async () => {
    t = await startTestApp({ env: FAST_SWEEP_ENV });
    m = await merchantWithEveryProvider(t, 'faulty');
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
    await t.request('DELETE', '/sandbox/control/stats');
    // Each case starts with closed circuits and full budgets (a previous case may have opened one).
    t.app.get(ProviderLimits).reset();
    // Earlier cases' leftovers are not this case's business.
    await t.db.query(`UPDATE transactions SET status = 'CANCELLED' WHERE status = 'PENDING'`);
    await t.db.query(`UPDATE orders SET status = 'CANCELLED' WHERE status = 'PENDING'`);
  });

  const paidOrders = async (provider: string, n: number) => {
    const created = await createOrders(t, m, provider, n, { expires_in: 3600 });
    for (const o of created) await pay(t, o);
    return created;
  };
  const lastErrors = async (list: CreatedOrder[]) =>
    (
      await t.db.query(`SELECT last_error, check_count, next_check_at > now() AS rescheduled FROM transactions WHERE order_id = ANY($1)`, [
        list.map((o) => o.id),
      ])
    ).rows;

  const cases = [
    { mode: 'timeout', provider: 'raksmeypay', error: /^timeout: /, others: ['bakongapi', 'bakong'] },
    { mode: 'http500', provider: 'bakongapi', error: /^unavailable: .*HTTP 500/, others: ['raksmeypay', 'bakong'] },
    { mode: 'garbage', provider: 'bakong', error: /^bad_response: /, others: ['raksmeypay', 'bakongapi'] },
    { mode: 'http429', provider: 'raksmeypay', error: /^rate_limited: .*429/, others: ['bakongapi', 'bakong'] },
  ] as const;

  for (const c of cases) {
    it(`${c.mode} at ${c.provider}: its orders stay PENDING with last_error, the sweep completes, the others reconcile`, async () => {
      const broken = await paidOrders(c.provider, 4);
      const healthy = [...(await paidOrders(c.others[0], 3)), ...(await paidOrders(c.others[1], 3))];
      // One of the broken provider's orders is past expiry: with no answer, it must not be expired blindly.
      await expireInDb(t, [broken[0].id]);
      const fault = await t.request('POST', '/sandbox/control/faults', { body: { provider: c.provider, mode: c.mode } });
      expect(fault.status).toBe(200);

      const started = Date.now();
      const run = await manualRun(t);

      expect(run.status).toBe('completed');
      expect(run).toMatchObject({ claimed: 10, paid: 6, expired: 0, errors: 4 });
      expect(run.providers[c.provider]).toMatchObject({ calls: c.provider === 'bakong' ? 1 : 4, errors: c.provider === 'bakong' ? 1 : 4 });
      for (const other of c.others) expect(run.providers[other].errors).toBe(0);
      // Bounded by PROVIDER_TIMEOUT_MS (1.5 s in tests), not by the sandbox's 30 s hold.
      expect(Date.now() - started).toBeLessThan(10_000);

      const now = await statuses(
        t,
        [...broken, ...healthy].map((o) => o.id),
      );
      for (const o of broken) expect(now.get(o.id)!.status).toBe('PENDING');
      for (const o of healthy) expect(now.get(o.id)!.status).toBe('PAID');
      for (const row of await lastErrors(broken)) {
        expect(row.last_error).toMatch(c.error);
        expect(row).toMatchObject({ check_count: 1, rescheduled: true });
      }

      // The gateway recovers: the next sweep pays them all (the one past expiry is paid late).
      await t.request('DELETE', '/sandbox/control/faults');
      t.app.get(ProviderLimits).reset();
      const recovered = await manualRun(t);
      expect(recovered).toMatchObject({ paid: 4, errors: 0 });
      const after = await statuses(
        t,
        broken.map((o) => o.id),
      );
      expect(broken.map((o) => after.get(o.id)!.status)).toEqual(['PAID', 'PAID', 'PAID', 'PAID']);
      expect(after.get(broken[0].id)!.flags).toEqual(['late_payment']);
      expect((await lastErrors(broken)).every((r) => r.last_error === null)).toBe(true);
    });
  }

  it('a 429 makes the next check wait at least Retry-After and the back-off step', async () => {
    const [order] = await paidOrders('bakongapi', 1);
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'bakongapi', mode: 'http429' } });
    await manualRun(t);
    const { rows } = await t.db.query(`SELECT EXTRACT(EPOCH FROM next_check_at - last_checked_at)::int AS wait FROM transactions WHERE order_id = $1`, [
      order.id,
    ]);
    expect(rows[0].wait).toBeGreaterThanOrEqual(29);
  });

  it('the circuit breaker stops hammering a gateway that keeps failing; the other providers are not slowed', async () => {
    const broken = await paidOrders('raksmeypay', 40);
    const healthy = await paidOrders('bakongapi', 20);
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', mode: 'http500' } });
    await t.request('DELETE', '/sandbox/control/stats');

    const run = await manualRun(t);

    const calls = (await sandboxCalls(t)).raksmeypay;
    // After 5 consecutive failures the circuit opens: the calls already in flight (≤ RECONCILE_CONCURRENCY) finish, no more are made.
    expect(calls).toBeGreaterThanOrEqual(5);
    expect(calls).toBeLessThanOrEqual(5 + 8);
    expect(run.providers.raksmeypay).toMatchObject({ calls, errors: calls });
    expect(run).toMatchObject({ claimed: 60, checked: 20 + calls, paid: 20, errors: 40 });
    const { rows } = await t.db.query(`SELECT last_error, check_count FROM transactions WHERE order_id = ANY($1)`, [broken.map((o) => o.id)]);
    const skipped = rows.filter((r) => r.last_error.startsWith('circuit_open: '));
    expect(skipped).toHaveLength(40 - calls);
    // A skipped transaction was not checked: its count is unchanged.
    expect(skipped.every((r) => r.check_count === 0)).toBe(true);
    const now = await statuses(
      t,
      [...broken, ...healthy].map((o) => o.id),
    );
    expect(healthy.every((o) => now.get(o.id)!.status === 'PAID')).toBe(true);
    expect(broken.every((o) => now.get(o.id)!.status === 'PENDING')).toBe(true);
  });

  it('flags a late payment (paid after expires_at) and an amount mismatch (not PAID), each once', async () => {
    const [late, wrong, wrongBatch] = [
      ...(await createOrders(t, m, 'raksmeypay', 2, { expires_in: 3600 })),
      ...(await createOrders(t, m, 'bakong', 1, { expires_in: 3600 })),
    ];
    await expireInDb(t, [late.id]);
    await pay(t, late);
    await pay(t, wrong, '1.00');
    await pay(t, wrongBatch, '1.11');

    const run = await manualRun(t);
    expect(run).toMatchObject({ paid: 1, flagged: 3, expired: 0, errors: 0 });
    const now = await statuses(t, [late.id, wrong.id, wrongBatch.id]);
    expect(now.get(late.id)).toEqual({ status: 'PAID', flags: ['late_payment'] });
    expect(now.get(wrong.id)).toEqual({ status: 'PENDING', flags: ['amount_mismatch'] });
    expect(now.get(wrongBatch.id)).toEqual({ status: 'PENDING', flags: ['amount_mismatch'] });
    const lateView = (await t.request('GET', `/v1/orders/${late.id}`, { token: m.apiKey })).json;
    expect(lateView).toMatchObject({ status: 'PAID', verification: 'provider_api', flags: ['late_payment'] });

    // Checking again does not flag again; at expiry the mismatched order expires, keeping its flag.
    await manualRun(t);
    await expireInDb(t, [wrong.id]);
    const final = await manualRun(t);
    expect(final).toMatchObject({ expired: 1, flagged: 0, paid: 0 });
    expect((await statuses(t, [wrong.id])).get(wrong.id)).toEqual({ status: 'EXPIRED', flags: ['amount_mismatch'] });
    const { rows } = await t.db.query(`SELECT order_id, type FROM events WHERE order_id = ANY($1) AND type <> 'order.created' ORDER BY order_id, sequence`, [
      [late.id, wrong.id, wrongBatch.id],
    ]);
    expect(rows.filter((r) => r.order_id === late.id).map((r) => r.type)).toEqual(['order.paid']);
    expect(rows.filter((r) => r.order_id === wrong.id).map((r) => r.type)).toEqual(['order.flagged', 'order.expired']);
    expect(rows.filter((r) => r.order_id === wrongBatch.id).map((r) => r.type)).toEqual(['order.flagged']);
  });
});
