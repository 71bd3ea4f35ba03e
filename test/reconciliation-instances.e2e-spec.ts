import { Heartbeats } from '../src/common/heartbeats';
import { SWEEPER_LOOP } from '../src/reconciliation/reconciliation.job';
import { SweeperService } from '../src/reconciliation/sweeper.service';
import { createOrders, CreatedOrder, FAST_SWEEP_NO_TIMEOUTS_ENV, merchantWithRaksmeypay, pay, sandboxCalls, statuses } from './helpers/reconciliation';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/**
 * Several instances sweeping one database: SKIP LOCKED claims with leases mean no transaction
 * is checked twice, gateway calls equal transactions checked, and the state machine's
 * compare-and-set means no order transitions twice.
 */
describe('reconciliation with two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;
  let m: TestMerchant;

  beforeAll(async () => {
    a = await startTestApp({ env: FAST_SWEEP_NO_TIMEOUTS_ENV });
    b = await startTestApp({ databaseUrl: a.databaseUrl, env: FAST_SWEEP_NO_TIMEOUTS_ENV });
    // The merchant's gateway is instance A's sandbox: every provider call, from either sweeper, is counted there.
    m = await merchantWithRaksmeypay(a, 'shared');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const dueNow = (t: TestApp, orderIds: string[]) =>
    t.db.query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE order_id = ANY($1)`, [orderIds]);

  it('two sweepers at the same time: calls = transactions checked, none checked twice, one order.paid per order', async () => {
    const orders = await createOrders(a, m, 'raksmeypay', 300, { expires_in: 3600 });
    const toPay = orders.filter((_, i) => i % 3 === 1);
    for (const o of toPay) await pay(a, o);
    await dueNow(
      a,
      orders.map((o) => o.id),
    );
    await a.request('DELETE', '/sandbox/control/stats');

    const [runA, runB] = await Promise.all([a.app.get(SweeperService).run('scheduled'), b.app.get(SweeperService).run('scheduled')]);

    expect(runA.instance).not.toBe('');
    expect(runA.claimed).toBeGreaterThan(0);
    expect(runB.claimed).toBeGreaterThan(0);
    expect(runA.claimed + runB.claimed).toBe(300);
    expect(runA.checked + runB.checked).toBe(300);
    expect(runA.paid + runB.paid).toBe(100);
    expect(runA.errors + runB.errors).toBe(0);
    expect((runA.providers.raksmeypay?.calls ?? 0) + (runB.providers.raksmeypay?.calls ?? 0)).toBe(300);
    expect((await sandboxCalls(a)).raksmeypay).toBe(300);
    expect((await sandboxCalls(b)).raksmeypay ?? 0).toBe(0);

    const { rows: counts } = await a.db.query(`SELECT check_count, count(*)::int AS n FROM transactions GROUP BY check_count`);
    expect(counts).toEqual([{ check_count: 1, n: 300 }]);
    const { rows: paidEvents } = await a.db.query(`SELECT order_id, count(*)::int AS n FROM events WHERE type = 'order.paid' GROUP BY order_id`);
    expect(paidEvents).toHaveLength(100);
    expect(paidEvents.every((r) => r.n === 1)).toBe(true);
    const now = await statuses(
      a,
      orders.map((o) => o.id),
    );
    expect(toPay.every((o) => now.get(o.id)!.status === 'PAID')).toBe(true);
    expect([...now.values()].filter((s) => s.status === 'PAID')).toHaveLength(100);
  });

  it('skips transactions another sweeper holds a lease on, and takes them over once the lease lapses (crash safety)', async () => {
    const orders: CreatedOrder[] = await createOrders(a, m, 'raksmeypay', 6, { expires_in: 3600 });
    for (const o of orders) await pay(a, o);
    const ids = orders.map((o) => o.id);
    // A sweeper that crashed mid-batch: its leases still run for a while.
    await a.db.query(`UPDATE transactions SET claimed_until = now() + interval '5 minutes', claimed_by = 'run_crashed' WHERE order_id = ANY($1)`, [
      ids.slice(0, 3),
    ]);
    await a.db.query(`UPDATE transactions SET claimed_until = now() - interval '1 second', claimed_by = 'run_crashed' WHERE order_id = ANY($1)`, [
      ids.slice(3),
    ]);
    await dueNow(a, ids);

    const run = await b.app.get(SweeperService).run('scheduled');
    expect(run).toMatchObject({ claimed: 3, checked: 3, paid: 3 });
    let now = await statuses(a, ids);
    expect(ids.map((id) => now.get(id)!.status)).toEqual(['PENDING', 'PENDING', 'PENDING', 'PAID', 'PAID', 'PAID']);

    await a.db.query(`UPDATE transactions SET claimed_until = now() - interval '1 second' WHERE claimed_by = 'run_crashed'`);
    const later = await a.app.get(SweeperService).run('scheduled');
    expect(later).toMatchObject({ claimed: 3, paid: 3 });
    now = await statuses(a, ids);
    expect(ids.every((id) => now.get(id)!.status === 'PAID')).toBe(true);
  });

  it("closes a dead instance's run (no heartbeat for 60 s) as interrupted, and leaves a live one running", async () => {
    await a.db.query(
      `INSERT INTO reconciliation_runs (id, trigger, status, instance, started_at, heartbeat_at) VALUES
         ('run_killed_instance_000000', 'scheduled', 'running', 'dead-host:1', now() - interval '10 minutes', now() - interval '9 minutes'),
         ('run_live_instance_00000000', 'scheduled', 'running', 'live-host:1', now() - interval '10 minutes', now() - interval '5 seconds')`,
    );
    await b.app.get(SweeperService).run('scheduled');
    const { rows } = await a.db.query(
      `SELECT id, status, finished_at IS NOT NULL AS finished, error FROM reconciliation_runs WHERE id LIKE 'run_%_instance_%' ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 'run_killed_instance_000000', status: 'interrupted', finished: true, error: expect.stringMatching(/stopped without finishing/) },
      { id: 'run_live_instance_00000000', status: 'running', finished: false, error: null },
    ]);
    await a.db.query(`DELETE FROM reconciliation_runs WHERE id LIKE 'run_%_instance_%'`);
  });

  it('shutting an instance down mid-sweep finishes the in-flight batch, records the run and releases every lease', async () => {
    const c = await startTestApp({ databaseUrl: a.databaseUrl, env: { ...FAST_SWEEP_NO_TIMEOUTS_ENV, RECONCILE_CONCURRENCY: '2' } });
    const { rows: pending } = await a.db.query(`SELECT count(*)::int AS n FROM transactions WHERE status = 'PENDING'`);
    expect(pending[0].n).toBe(200); // left by the first test: more than one claim batch
    // A slow gateway so that the sweep is still going when the shutdown starts.
    await a.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', latency_ms: 25 } });
    try {
      const running = c.app.get(SweeperService).run('manual');
      await new Promise((r) => setTimeout(r, 400));
      await c.close();
      const run = await running;
      expect(run.status).toBe('interrupted');
      expect(run.finishedAt).not.toBeNull();
      expect(run.claimed).toBeGreaterThan(0);
      expect(run.claimed).toBeLessThan(200);
      // Every claimed transaction of the in-flight batch was checked before the instance stopped.
      expect(run.checked).toBe(run.claimed);
      const { rows } = await a.db.query(`SELECT count(*)::int AS n FROM transactions WHERE claimed_by IS NOT NULL OR claimed_until IS NOT NULL`);
      expect(rows[0].n).toBe(0);
      const stored = (await a.db.query(`SELECT status, finished_at FROM reconciliation_runs WHERE id = $1`, [run.id])).rows[0];
      expect(stored.status).toBe('interrupted');
      expect(stored.finished_at).not.toBeNull();
    } finally {
      await a.request('DELETE', '/sandbox/control/faults');
    }
  });

  it('the scheduled job sweeps on its own every RECONCILE_INTERVAL_SECONDS and beats its heartbeat', async () => {
    const d = await startTestApp({
      databaseUrl: a.databaseUrl,
      env: { ...FAST_SWEEP_NO_TIMEOUTS_ENV, BACKGROUND_JOBS: 'true', RECONCILE_INTERVAL_SECONDS: '1' },
    });
    try {
      const [order] = await createOrders(a, m, 'raksmeypay', 1, { expires_in: 3600 });
      await pay(a, order);
      await a.db.query(`UPDATE transactions SET next_check_at = now() WHERE order_id = $1`, [order.id]);
      let status = 'PENDING';
      for (let i = 0; i < 40 && status !== 'PAID'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await statuses(a, [order.id])).get(order.id)!.status;
      }
      expect(status).toBe('PAID');
      const loop = d.app
        .get(Heartbeats)
        .status()
        .find((l) => l.name === SWEEPER_LOOP);
      expect(loop).toMatchObject({ fresh: true });
      const { rows } = await a.db.query(
        `SELECT count(*)::int AS n FROM reconciliation_runs WHERE trigger = 'scheduled' AND status = 'completed' AND instance LIKE '%:' || $1`,
        [String(process.pid)],
      );
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await d.close();
    }
    expect(
      d.app
        .get(Heartbeats)
        .status()
        .find((l) => l.name === SWEEPER_LOOP),
    ).toBeUndefined();
  });
});
