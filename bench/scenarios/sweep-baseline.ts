import { randomBytes } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { newId } from '../../src/common/ids';
import { CLAIM_DUE_SQL, RECORD_CHECKS_SQL } from '../../src/orders/transactions.repository';
import { BenchContext, check } from '../lib/context';

/**
 * The database work a sweep of N transactions cannot avoid, done by a bare `pg` pool on the same
 * database with the same durability (one commit per group of answers, fsync on), no gateway and
 * no app in between: issue 19's "honest limit" counts it beside the calls' own time.
 *
 * - claim: the sweeper's own claim statement (`TransactionsRepository.claimDue`), `claimSize` rows
 *   each, the next claim in flight while a batch is handled, as the sweeper does;
 * - the checks that change nothing: recorded and released with their next check time in ONE
 *   statement per claimed batch (`recordChecks`' statement), plus the batch's `releaseSwept`;
 * - every paid transaction: the compare-and-set on its order and on its transaction, its
 *   `order.paid` event (a body built from the two changed rows) and the webhook fan-out with its
 *   NOTIFY — one prepared statement per payment, the fewest round trips plain SQL allows while
 *   each order keeps its own compare-and-set and event; the payments one gateway call answers
 *   (`group` transactions: 50 for Bakong's batch check, 1 for a one-payment verify) commit together.
 *
 * `concurrency` groups are in flight at once (the sweeper's C). Asserts what the sweep asserts:
 * every transaction checked exactly once, the paid ones PAID with one event each, the rest still
 * PENDING, nothing left claimed.
 */
export async function bareSweepBookkeeping(
  ctx: BenchContext,
  opts: { merchantId: string; provider: 'raksmeypay' | 'bakong'; refs: string[]; paid: string[]; claimSize: number; group: number; concurrency: number },
): Promise<{ seconds: number; commits: number }> {
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: opts.concurrency + 1 });
  const holder = `bare_${randomBytes(6).toString('hex')}`;
  const paid = new Set(opts.paid);
  const startedAt = new Date((await pool.query<{ now: Date }>('SELECT now()')).rows[0].now);
  let commits = 0;
  const claim = () =>
    pool.query<{ id: string; order_id: string; provider_reference: string }>(CLAIM_DUE_SQL, [opts.provider, startedAt, true, opts.claimSize, 30, holder]);
  const pay = (client: PoolClient, row: { id: string; order_id: string }) =>
    client.query({
      name: 'bench_bare_pay',
      text: `WITH o AS (
           UPDATE orders SET status = 'PAID', paid_at = now(), paid_amount_minor = amount_minor, paid_currency = currency, verification = 'provider_api',
             status_reason = 'the gateway reported the payment', flags = ARRAY(SELECT DISTINCT unnest(flags) ORDER BY 1), event_seq = event_seq + 1, updated_at = now()
           WHERE id = $1 AND status = 'PENDING' RETURNING *
         ), t AS (
           UPDATE transactions SET status = 'PAID', provider_proof = $3, next_check_at = NULL, updated_at = now()
           WHERE id = $2 AND status = 'PENDING' AND EXISTS (SELECT 1 FROM o) RETURNING *
         ), ev AS (
           INSERT INTO events (id, merchant_id, order_id, type, sequence, data, created_at, livemode)
           SELECT $4, o.merchant_id, o.id, 'order.paid', o.event_seq, jsonb_build_object('order', to_jsonb(o) || jsonb_build_object('transaction', to_jsonb(t))), now(), o.livemode
           FROM o, t RETURNING id, merchant_id, livemode
         ), e AS (
           SELECT ep.id, row_number() OVER (ORDER BY ep.id) AS i FROM webhook_endpoints ep, ev
           WHERE ep.merchant_id = ev.merchant_id AND ep.livemode = ev.livemode AND ep.status = 'enabled' AND ep.deleted_at IS NULL
             AND (cardinality(ep.events) = 0 OR 'order.paid' = ANY(ep.events))
         ), ins AS (
           INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, status, next_attempt_at)
           SELECT ev.id || '_' || e.id, ev.id, e.id, ev.merchant_id, 'pending', now() FROM e, ev RETURNING 1
         )
         SELECT (SELECT count(*)::int FROM ev) AS events, CASE WHEN (SELECT count(*) FROM ins) > 0 THEN pg_notify('webhook_deliveries', '') END AS notified`,
      values: [row.order_id, row.id, `bare-${randomBytes(10).toString('hex')}`, newId('evt')],
    });
  const applyGroup = async (rows: { id: string; order_id: string }[]) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const row of rows) {
        const r = await pay(client, row);
        check(r.rows[0].events === 1, `bare sweep baseline: the compare-and-set of ${row.id} found it no longer PENDING`);
      }
      await client.query('COMMIT');
      commits++;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  const finish = async (ids: string[], next: Date[]) => {
    await pool.query(RECORD_CHECKS_SQL, [ids, next, holder]);
    await pool.query(`UPDATE transactions SET claimed_until = NULL, claimed_by = NULL, swept_at = now() WHERE claimed_by = $1 AND id = ANY($2)`, [holder, ids]);
  };

  const t0 = performance.now();
  let finishing: Promise<void> = Promise.resolve();
  try {
    let next = claim();
    for (;;) {
      const { rows } = await next;
      if (!rows.length) break;
      next = claim();
      // The groups one gateway call would answer; only those with a payment cost a transaction.
      const groups: { id: string; order_id: string }[][] = [];
      for (let i = 0; i < rows.length; i += opts.group) {
        const payments = rows.slice(i, i + opts.group).filter((r) => paid.has(r.provider_reference));
        if (payments.length) groups.push(payments);
      }
      let g = 0;
      await Promise.all(
        Array.from({ length: Math.min(opts.concurrency, groups.length) }, async () => {
          while (g < groups.length) await applyGroup(groups[g++]);
        }),
      );
      await finishing;
      const nextCheck = new Date(Date.now() + 60_000);
      finishing = finish(
        rows.map((r) => r.id),
        rows.map(() => nextCheck),
      );
    }
    await finishing;
  } finally {
    await finishing.catch(() => undefined);
    await pool.end();
  }
  const seconds = (performance.now() - t0) / 1000;

  const n = opts.refs.length;
  const { rows } = await ctx.pool.query(
    `SELECT count(*) FILTER (WHERE t.check_count = 1 AND t.last_checked_at IS NOT NULL)::int AS checked_once,
            count(*) FILTER (WHERE o.status = 'PAID' AND t.status = 'PAID')::int AS paid,
            count(*) FILTER (WHERE o.status = 'PENDING' AND t.status = 'PENDING')::int AS pending,
            count(*) FILTER (WHERE t.claimed_by IS NOT NULL)::int AS still_claimed,
            sum((SELECT count(*) FROM events e WHERE e.order_id = o.id AND e.type = 'order.paid'))::int AS paid_events
     FROM transactions t JOIN orders o ON o.id = t.order_id WHERE t.merchant_id = $1 AND t.provider = $2 AND t.provider_reference = ANY($3)`,
    [opts.merchantId, opts.provider, opts.refs],
  );
  const db = rows[0];
  check(db.checked_once === n, `bare ${opts.provider} baseline: ${db.checked_once} of ${n} transactions show exactly one check`);
  check(
    db.paid === paid.size && db.paid_events === paid.size,
    `bare ${opts.provider} baseline: ${db.paid} PAID, ${db.paid_events} events, expected ${paid.size}`,
  );
  check(db.pending === n - paid.size && db.still_claimed === 0, `bare ${opts.provider} baseline: ${db.pending} PENDING, ${db.still_claimed} still claimed`);
  return { seconds, commits };
}
