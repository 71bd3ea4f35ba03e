import { createServer, Server } from 'node:http';
import { SweeperService } from '../src/reconciliation/sweeper.service';
import { AddressInfo } from 'node:net';
import { createOrders, expireInDb, FAST_SWEEP_ENV, manualRun, merchantWithRaksmeypay, pay, statuses } from './helpers/reconciliation';
import { startTestApp, TestApp } from './helpers/test-app';

/**
 * Issue 20, item 3: a merchant's own "gateway" (its base_url) answering every call with 429 and
 * `Retry-After: 1000000000` must not stall reconciliation for the other merchants of the same
 * provider: the scheduled sweeps keep finishing, the healthy merchant's payment is found, and
 * /health/ready stays green.
 */
describe('one merchant cannot stall reconciliation for all', () => {
  let t: TestApp;
  let greedy: Server;
  let greedyHits = 0;

  beforeAll(async () => {
    greedy = createServer((req, res) => {
      greedyHits++;
      req.resume();
      res.writeHead(429, { 'retry-after': '1000000000', 'content-type': 'application/json' }).end('{"message":"Too Many Requests"}');
    });
    await new Promise<void>((resolve) => greedy.listen(0, '127.0.0.1', resolve));
    // The scheduled job on a 1 s tick: its heartbeat must be fresh within 2 s for /health/ready.
    t = await startTestApp({ env: { ...FAST_SWEEP_ENV, BACKGROUND_JOBS: 'true', RECONCILE_INTERVAL_SECONDS: '1' } });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => greedy.close(resolve));
  });

  it('a base_url answering 429 with Retry-After: 1000000000 only slows its own merchant', async () => {
    const evil = await t.createMerchant('greedy gateway');
    const configured = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
      token: evil.apiKey,
      body: { profile_id: 'p-greedy', profile_key: 'greedy-profile-key', base_url: `http://127.0.0.1:${(greedy.address() as AddressInfo).port}` },
    });
    expect(configured.status).toBe(200);
    const stalled = await createOrders(t, evil, 'raksmeypay', 20, { expires_in: 3600 });
    // One of them is past expiry: its next check is not clamped to expires_at, only Retry-After's cap bounds it.
    await expireInDb(t, [stalled[0].id]);

    const shop = await merchantWithRaksmeypay(t, 'healthy shop');
    const [paid] = await createOrders(t, shop, 'raksmeypay', 1, { expires_in: 3600 });
    await pay(t, paid);

    // Everything due at once, the greedy merchant's transactions first in the claim order (ahead of the healthy one, more than RECONCILE_CONCURRENCY of them).
    await t.db.query(`UPDATE transactions SET next_check_at = now() - interval '1 hour' WHERE merchant_id = $1`, [evil.id]);
    await t.db.query(`UPDATE transactions SET next_check_at = now() - interval '1 minute' WHERE merchant_id = $1`, [shop.id]);
    const since = new Date();

    // Bounded polling (not a speed assertion): the sweeps either keep finishing or they do not.
    const until = Date.now() + 20_000;
    const readiness: number[] = [];
    let finishedRuns = 0;
    let status = 'PENDING';
    while (Date.now() < until) {
      readiness.push((await t.request('GET', '/health/ready')).status);
      status = (await statuses(t, [paid.id])).get(paid.id)!.status;
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS n FROM reconciliation_runs WHERE trigger = 'scheduled' AND status = 'completed' AND started_at >= $1`,
        [since],
      );
      finishedRuns = rows[0].n;
      if (status === 'PAID' && finishedRuns >= 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    expect(status).toBe('PAID');
    // The run that met the 429s ended, and later ticks ran (not skipped behind a run that never ends).
    expect(finishedRuns).toBeGreaterThanOrEqual(3);
    expect(readiness.every((s) => s === 200)).toBe(true);
    const { rows: running } = await t.db.query(
      `SELECT count(*)::int AS n FROM reconciliation_runs WHERE status = 'running' AND started_at < now() - interval '5 seconds'`,
    );
    expect(running[0].n).toBe(0);

    // The greedy merchant's orders stay PENDING, rescheduled at most Retry-After's cap (60 s) out, not decades.
    const now = await statuses(
      t,
      stalled.map((o) => o.id),
    );
    expect(stalled.every((o) => now.get(o.id)!.status === 'PENDING')).toBe(true);
    const { rows } = await t.db.query(
      `SELECT last_error, check_count, EXTRACT(EPOCH FROM next_check_at - now()) AS wait FROM transactions WHERE merchant_id = $1`,
      [evil.id],
    );
    for (const row of rows) {
      expect(row.last_error).toMatch(/^(rate_limited|circuit_open|paused): /);
      expect(Number(row.wait)).toBeLessThanOrEqual(61);
    }
    // The host's breaker opened: the gateway was not hammered with every transaction on every tick.
    expect(greedyHits).toBeLessThanOrEqual(20);
    expect(rows.filter((r) => r.check_count > 0).length).toBe(greedyHits);
  }, 60_000);
});

/** A slow gateway cannot keep a run open: each provider's part of a run has its own time budget. */
describe('the time budget of a provider within a run', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...FAST_SWEEP_ENV, RECONCILE_CONCURRENCY: '2', RECONCILE_BUDGET_SECONDS: '1' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('past RECONCILE_BUDGET_SECONDS no new call starts; what is left is released unchanged and checked by the next sweep', async () => {
    const shop = await merchantWithRaksmeypay(t, 'slow gateway shop');
    const orders = await createOrders(t, shop, 'raksmeypay', 20, { expires_in: 3600 });
    for (const o of orders) await pay(t, o);
    // 20 calls of 800 ms, 2 at a time: 8 s of calls for a budget of 1 s.
    expect((await t.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', latency_ms: 800 } })).status).toBe(200);
    // Due now, for the scheduled sweep (the budget bounds scheduled runs; an on-demand run checks everything).
    await t.db.query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE merchant_id = $1`, [shop.id]);
    const before = new Map(
      (await t.db.query(`SELECT id, next_check_at FROM transactions WHERE merchant_id = $1`, [shop.id])).rows.map((r) => [
        r.id as string,
        (r.next_check_at as Date).getTime(),
      ]),
    );

    const run = await t.app.get(SweeperService).run('scheduled');

    expect(run).toMatchObject({ status: 'completed', claimed: 20, errors: 0 });
    expect(run.checked).toBeGreaterThan(0);
    expect(run.checked).toBeLessThan(20);
    expect(run.paid).toBe(run.checked);
    const { rows } = await t.db.query(
      `SELECT t.id, t.check_count, t.last_error, t.claimed_by, t.next_check_at, o.status FROM transactions t JOIN orders o ON o.id = t.order_id WHERE t.merchant_id = $1`,
      [shop.id],
    );
    const left = rows.filter((r) => r.status === 'PENDING');
    expect(left).toHaveLength(20 - run.checked);
    for (const r of left) {
      // Not checked, so nothing about it changed: no check counted, no error, still due, not held.
      expect(r).toMatchObject({ check_count: 0, last_error: null, claimed_by: null });
      expect((r.next_check_at as Date).getTime()).toBe(before.get(r.id));
    }

    // The next sweep takes up where the budget stopped this one; an on-demand run is not cut short by the budget.
    await t.request('DELETE', '/sandbox/control/faults');
    const rest = await manualRun(t);
    expect(rest).toMatchObject({ status: 'completed', paid: 20 - run.checked, errors: 0 });
    expect(
      [
        ...(
          await statuses(
            t,
            orders.map((o) => o.id),
          )
        ).values(),
      ].every((o) => o.status === 'PAID'),
    ).toBe(true);
  });
});
