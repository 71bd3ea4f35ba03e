import { randomBytes } from 'node:crypto';
import { newId } from '../../src/common/ids';
import { BenchMerchant } from '../lib/app';
import { BenchContext, check, ScenarioResult } from '../lib/context';
import { api } from '../lib/http';
import { judge, Row } from '../lib/report';
import { round } from '../lib/stats';
import { resetStatements, StatementStat, statementsPer } from '../lib/statements';
import { bareSweepBookkeeping } from './sweep-baseline';

/** Transactions the sweeper claims per statement (src/reconciliation/sweeper.service.ts: CLAIM_BATCH, ten Bakong batches). */
const CLAIM_SIZE = { raksmeypay: 100, bakong: 500 } as const;

/** Simulated gateway latency per call (POST /sandbox/control/faults). */
export const GATEWAY_LATENCY_MS = 20;
/** One in PAID_EVERY transactions is paid at the gateway, so the sweep also applies real transitions. */
export const PAID_EVERY = 10;
export const BAKONG_BATCH = 50;

/**
 * Takes every PENDING transaction left by earlier scenarios out of the way (an on-demand sweep
 * checks every PENDING transaction), so a sweep sees exactly the fixture.
 */
export async function retirePending(ctx: BenchContext): Promise<void> {
  await ctx.pool.query(`UPDATE transactions SET status = 'CANCELLED', next_check_at = NULL WHERE status = 'PENDING'`);
  await ctx.pool.query(`UPDATE orders SET status = 'CANCELLED', status_reason = 'bench: retired between scenarios' WHERE status = 'PENDING'`);
}

/**
 * N PENDING orders with their transactions, written by direct SQL (what POST /v1/orders writes,
 * minus the order.created event, which a sweep never reads). Every PAID_EVERY-th is paid in the
 * sandbox ledger. Returns the provider references.
 */
export async function insertPending(
  ctx: BenchContext,
  merchantId: string,
  provider: 'raksmeypay' | 'bakong',
  n: number,
  prefix = 'sweep',
): Promise<{ refs: string[]; paid: string[] }> {
  const orderIds: string[] = [];
  const txnIds: string[] = [];
  const references: string[] = [];
  const md5s: string[] = [];
  for (let i = 0; i < n; i++) {
    orderIds.push(newId('ord'));
    txnIds.push(newId('txn'));
    references.push(`${prefix}-${provider}-${i}-${randomBytes(4).toString('hex')}`);
    md5s.push(randomBytes(16).toString('hex'));
  }
  const { rows } = await ctx.pool.query<{ provider_reference: string }>(
    `WITH input AS (
       SELECT o, t, r, m, nextval('transaction_number_seq') AS number FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(o, t, r, m)
     ), orders_in AS (
       INSERT INTO orders (id, merchant_id, reference, status, amount_minor, currency, provider, checkout_url, qr_md5, expires_at, event_seq, created_at, updated_at)
       SELECT o, $5, r, 'PENDING', 1250, 'USD', $6, 'http://127.0.0.1/bench', CASE WHEN $6 = 'bakong' THEN m END, now() + interval '1 hour', 1, now(), now() FROM input
     )
     INSERT INTO transactions (id, number, order_id, merchant_id, provider, provider_reference, status, amount_minor, currency, wire_amount, expires_at, next_check_at, created_at, updated_at)
     SELECT t, number, o, $5, $6, CASE WHEN $6 = 'bakong' THEN m ELSE number::text END, 'PENDING', 1250, 'USD', $7, now() + interval '1 hour', now(), now(), now() FROM input
     RETURNING provider_reference`,
    [orderIds, txnIds, references, md5s, merchantId, provider, provider === 'bakong' ? '12.50' : '12.5'],
  );
  const refs = rows.map((r) => r.provider_reference);
  const paid = refs.filter((_, i) => i % PAID_EVERY === 0);
  await ctx.pool.query(
    `INSERT INTO sandbox_payments (provider, provider_reference, amount, currency, gateway_txn_id)
     SELECT $1, ref, '12.50', 'USD', md5(ref || random()::text) FROM unnest($2::text[]) AS ref`,
    [provider, paid],
  );
  return { refs, paid };
}

interface SweepResult {
  n: number;
  calls: number;
  seconds: number;
  runSeconds: number;
  limitSeconds: number;
  /** App CPU per transaction (gateway simulator included: the sandbox runs in the app). */
  cpuMsPerTxn: number;
  run: Record<string, unknown>;
  /** `--pg-stats`: each statement's calls and time per transaction swept. */
  statements?: StatementStat[];
}

/** `--pg-stats`: the statements of a sweep (or its baseline), per transaction swept. */
function logStatements(ctx: BenchContext, what: string, statements: StatementStat[] | undefined): void {
  if (!statements) return;
  ctx.log(`${what}: statements per transaction (calls, exec ms, plan ms):`);
  for (const s of statements) ctx.log(`  ${s.callsPerOrder}  ${s.msPerOrder}  ${s.planMsPerOrder}  ${s.query}`);
}

async function sweep(ctx: BenchContext, merchant: BenchMerchant, provider: 'raksmeypay' | 'bakong', n: number): Promise<SweepResult> {
  const { app } = ctx;
  await retirePending(ctx);
  const { paid } = await insertPending(ctx, merchant.id, provider, n);
  await ctx.pool.query('ANALYZE transactions');
  await api(app.url, 'POST', '/sandbox/control/faults', { token: app.adminToken, body: { provider, latency_ms: GATEWAY_LATENCY_MS }, expect: 200 });
  const c = app.reconcileConcurrency;
  const calls = provider === 'bakong' ? Math.ceil(n / BAKONG_BATCH) : n;
  const limitSeconds = (calls * GATEWAY_LATENCY_MS) / c / 1000;
  ctx.log(`reconciliation ${provider}: ${n} PENDING, ${calls} calls at ${GATEWAY_LATENCY_MS} ms, C=${c}: limit ${round(limitSeconds)} s`);
  await resetStatements(ctx);
  const t0 = performance.now();
  const cpu0 = app.cpuMs();
  let res;
  try {
    res = await api(app.url, 'POST', '/admin/reconciliation/runs', { token: app.adminToken, expect: 201, timeoutMs: Math.max(120_000, limitSeconds * 20_000) });
  } finally {
    await api(app.url, 'DELETE', '/sandbox/control/faults', { token: app.adminToken });
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuMsPerTxn = (app.cpuMs() - cpu0) / n;
  const statements = await statementsPer(ctx, n);
  logStatements(ctx, `${provider} sweep`, statements);
  const run = res.json as Record<string, unknown> & { providers: Record<string, { calls: number; errors: number; p50_ms: number; p99_ms: number }> };
  const stats = run.providers?.[provider];
  ctx.log(
    `reconciliation ${provider}: ${round(seconds)} s, run ${JSON.stringify({ claimed: run.claimed, checked: run.checked, paid: run.paid, errors: run.errors, stats })}`,
  );

  // Correctness: every transaction checked exactly once, every paid one PAID with its event, nothing left claimed.
  check(run.claimed === n && run.checked === n, `${provider} sweep: claimed ${String(run.claimed)} / checked ${String(run.checked)} of ${n}`);
  check(run.errors === 0, `${provider} sweep: ${String(run.errors)} errors`);
  check(run.paid === paid.length, `${provider} sweep: ${String(run.paid)} paid, expected ${paid.length}`);
  check(stats && stats.calls === calls && stats.errors === 0, `${provider} sweep: ${JSON.stringify(stats)} but expected ${calls} calls without errors`);
  const { rows } = await ctx.pool.query(
    `SELECT count(*) FILTER (WHERE t.check_count = 1 AND t.last_checked_at IS NOT NULL)::int AS checked_once,
            count(*) FILTER (WHERE o.status = 'PAID' AND t.status = 'PAID')::int AS paid,
            count(*) FILTER (WHERE o.status = 'PENDING' AND t.status = 'PENDING')::int AS pending,
            count(*) FILTER (WHERE t.claimed_by IS NOT NULL)::int AS still_claimed,
            (SELECT count(*)::int FROM events e JOIN orders o2 ON o2.id = e.order_id WHERE o2.merchant_id = $1 AND o2.provider = $2 AND e.type = 'order.paid') AS paid_events
     FROM transactions t JOIN orders o ON o.id = t.order_id WHERE t.merchant_id = $1 AND t.provider = $2 AND o.reference LIKE 'sweep-%'`,
    [merchant.id, provider],
  );
  const db = rows[0];
  check(db.checked_once === n, `${provider} sweep: ${db.checked_once} of ${n} transactions show exactly one check`);
  check(
    db.paid === paid.length && db.paid_events === paid.length,
    `${provider} sweep: ${db.paid} PAID orders and ${db.paid_events} order.paid events, expected ${paid.length}`,
  );
  check(
    db.pending === n - paid.length && db.still_claimed === 0,
    `${provider} sweep: ${db.pending} still PENDING (expected ${n - paid.length}), ${db.still_claimed} still claimed`,
  );
  const runSeconds = (Date.parse(String(run.finished_at)) - Date.parse(String(run.started_at))) / 1000;
  return { n, calls, seconds, runSeconds, limitSeconds, cpuMsPerTxn, run, statements };
}

/** Scenario 3: an on-demand sweep of N PENDING transactions against gateways answering in 20 ms, vs calls × 20 ms ÷ C. */
export async function reconciliation(ctx: BenchContext, merchant: BenchMerchant): Promise<ScenarioResult> {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const c = ctx.app.reconcileConcurrency;
  for (const provider of ['raksmeypay', 'bakong'] as const) {
    const r = await sweep(ctx, merchant, provider, ctx.sizes.reconcileN);
    // The honest limit (issue 19): the calls' own time, or the database work of the same checks done by bare SQL, whichever is longer.
    await retirePending(ctx);
    const fixture = await insertPending(ctx, merchant.id, provider, ctx.sizes.reconcileN, 'bare');
    await ctx.pool.query('ANALYZE transactions');
    await resetStatements(ctx);
    const bare = await bareSweepBookkeeping(ctx, {
      merchantId: merchant.id,
      provider,
      refs: fixture.refs,
      paid: fixture.paid,
      claimSize: CLAIM_SIZE[provider],
      group: provider === 'bakong' ? BAKONG_BATCH : 1,
      concurrency: c,
    });
    ctx.log(`reconciliation ${provider}: bare-SQL bookkeeping of the same checks ${round(bare.seconds)} s (${bare.commits} commits)`);
    const bareStatements = await statementsPer(ctx, ctx.sizes.reconcileN);
    logStatements(ctx, `${provider} bare baseline`, bareStatements);
    const limit = Math.max(r.limitSeconds, bare.seconds);
    raw[provider] = { ...r, bareStatements, bareSeconds: bare.seconds, bareCommits: bare.commits, limitSeconds: limit, callsLimitSeconds: r.limitSeconds };
    const stats = (r.run.providers as Record<string, { p50_ms: number; p99_ms: number }>)[provider];
    const callsLabel = `${r.calls.toLocaleString('en-US')} × ${GATEWAY_LATENCY_MS} ms ÷ ${c} = ${round(r.limitSeconds, 2)} s`;
    const bareLabel = `bare SQL of the same checks' bookkeeping ${round(bare.seconds, 2)} s`;
    rows.push(
      judge({
        id: `reconcile_${provider}`,
        scenario: `Reconciliation ${provider}: ${r.n.toLocaleString('en-US')} PENDING, ${r.calls.toLocaleString('en-US')} calls, C=${c}`,
        unit: 's',
        app: r.seconds,
        appDetail: `gateway call p50 ${round(stats.p50_ms, 1)} ms, p99 ${round(stats.p99_ms, 1)} ms, ${round(r.cpuMsPerTxn, 2)} ms app CPU/txn`,
        baseline: limit,
        baselineLabel: `limit max(calls ${callsLabel}; ${bareLabel})`,
        baselineDetail: `bare SQL: claims of ${CLAIM_SIZE[provider]}, one check-recording statement per claim, ${paidLabel(provider, fixture.paid.length, bare.commits)}`,
        ratio: limit / r.seconds,
        target:
          provider === 'raksmeypay'
            ? { on: 'ratio', dir: 'min', value: 0.9, text: '≥ 0.9 of the limit' }
            : { on: 'ratio', dir: 'min', value: 0.8, text: '≥ 0.8 of the limit' },
      }),
    );
  }
  return { rows, raw };
}

function paidLabel(provider: string, paid: number, commits: number): string {
  return `${paid.toLocaleString('en-US')} PAID transitions (compare-and-set on order and transaction, order.paid event, webhook fan-out: one statement each) in ${commits.toLocaleString('en-US')} commits (${provider === 'bakong' ? 'one per batch call' : 'one per payment'})`;
}

/** A merchant with a Bakong Open API account on the sandbox too (token any string the sandbox then recognises). */
export async function addBakongAccount(ctx: BenchContext, merchant: BenchMerchant): Promise<void> {
  await api(ctx.app.url, 'PUT', '/v1/provider-accounts/bakong', {
    token: merchant.apiKey,
    body: {
      account_id: 'bench_shop@aclb',
      merchant_name: 'Bench Shop',
      merchant_city: 'Phnom Penh',
      token: `bench-bakong-${randomBytes(12).toString('hex')}`,
      base_url: `${ctx.app.url}/sandbox/bakong`,
    },
    expect: 200,
  });
}
