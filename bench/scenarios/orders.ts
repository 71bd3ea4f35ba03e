import { Pool } from 'pg';
import { newId } from '../../src/common/ids';
import { BenchMerchant } from '../lib/app';
import { BenchContext, check, ScenarioResult } from '../lib/context';
import { api, load, LoadResult } from '../lib/http';
import { judge, Row } from '../lib/report';
import { round, summarize } from '../lib/stats';
import { logStatements, resetStatements, statementsPer } from '../lib/statements';

/** Issue 19's shape: 16 connections (the outside harness's), against a bare pg pool of 16. */
export const ORDER_CONNECTIONS = [16];
export const ORDER_RATIO_TARGET = 0.6;

/** A representative create-order body; `[<id>]` is replaced per request by autocannon with a unique id. */
const orderBody = (reference: string) => ({
  provider: 'raksmeypay',
  amount: '12.50',
  currency: 'USD',
  reference,
  description: 'Bench order: 1 × coffee',
  customer: { name: 'Bench Customer', email: 'bench@example.com' },
  metadata: { cart: 'c-123', channel: 'web' },
});

interface BareResult {
  rps: number;
  count: number;
  p50: number;
  p99: number;
  seconds: number;
}

/**
 * The physical limit: the same three rows (order, transaction, order.created event of the same
 * size) inserted by a bare `pg` client, one database transaction per order, `connections` at once.
 */
export async function bareOrderInserts(
  databaseUrl: string,
  merchantId: string,
  sample: Record<string, unknown>,
  connections: number,
  seconds: number,
  tag: string,
): Promise<BareResult> {
  const pool = new Pool({ connectionString: databaseUrl, max: connections });
  let number = 800_000_000_000 + Math.floor(Math.random() * 1e9) * 100;
  let seq = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const orderId = newId('ord');
        const txnId = newId('txn');
        const n = ++number;
        const reference = `${tag}-${++seq}`;
        const now = new Date();
        const expires = new Date(now.getTime() + 1800_000);
        const data = { order: { ...sample, id: orderId, reference, transaction: { id: txnId, provider_reference: String(n), status: 'PENDING' } } };
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO orders (id, merchant_id, reference, status, amount_minor, currency, provider, description, customer, metadata,
             success_url, cancel_url, checkout_url, qr_payload, qr_md5, qr_image_token, expires_at, event_seq, created_at, updated_at, deeplink)
           VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17, $18)`,
          [
            orderId,
            merchantId,
            reference,
            1250,
            'USD',
            'raksmeypay',
            sample.description,
            JSON.stringify(sample.customer),
            JSON.stringify(sample.metadata),
            null,
            null,
            sample.checkout_url,
            null,
            null,
            null,
            expires,
            now,
            null,
          ],
        );
        await client.query(
          `INSERT INTO transactions (id, number, order_id, merchant_id, provider, provider_reference, status, amount_minor, currency, wire_amount,
             return_token_hash, expires_at, next_check_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $8, $9, $10, $11, $12, $13, $13)`,
          [txnId, n, orderId, merchantId, 'raksmeypay', String(n), 1250, 'USD', '12.5', null, expires, new Date(now.getTime() + 15_000), now],
        );
        await client.query(`INSERT INTO events (id, merchant_id, order_id, type, sequence, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          newId('evt'),
          merchantId,
          orderId,
          'order.created',
          1,
          data,
          now,
        ]);
        await client.query('COMMIT');
        latencies.push(performance.now() - t0);
      }
    } finally {
      client.release();
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    await pool.end();
  }
  const elapsed = (performance.now() - started) / 1000;
  const s = summarize(latencies);
  return { rps: latencies.length / elapsed, count: latencies.length, p50: s.p50, p99: s.p99, seconds: elapsed };
}

/** Requests in flight when autocannon stops still complete on the server: let them land before counting. */
const settle = () => new Promise((res) => setTimeout(res, 1000));

async function countOrders(ctx: BenchContext, merchantId: string): Promise<{ orders: number; withoutTxn: number; withoutEvent: number }> {
  const { rows } = await ctx.pool.query(
    `SELECT count(*)::int AS orders,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.order_id = o.id AND t.status = 'PENDING'))::int AS without_txn,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.order_id = o.id AND e.type = 'order.created'))::int AS without_event
     FROM orders o WHERE merchant_id = $1 AND reference LIKE 'app-%'`,
    [merchantId],
  );
  return { orders: rows[0].orders, withoutTxn: rows[0].without_txn, withoutEvent: rows[0].without_event };
}

/** Scenario 1: POST /v1/orders (raksmeypay: a signed link, no outbound call) vs bare inserts, at 16 connections. */
export async function orderCreation(ctx: BenchContext, merchant: BenchMerchant): Promise<ScenarioResult> {
  const { app, sizes } = ctx;
  const sample = await api(app.url, 'POST', '/v1/orders', { token: merchant.apiKey, body: orderBody('sample-1'), expect: 201 });
  check(sample.json.status === 'PENDING' && /^ord_/.test(sample.json.id), `order creation returned ${sample.text.slice(0, 300)}`);
  const request = {
    url: `${app.url}/v1/orders`,
    method: 'POST',
    headers: { authorization: `Bearer ${merchant.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(orderBody('app-[<id>]')),
    idReplacement: true,
  };
  ctx.log(`orders: warm-up ${sizes.warmupSeconds}s`);
  const warm = await load({ ...request, connections: 8, seconds: sizes.warmupSeconds });
  check(warm.non2xx === 0 && warm.errors === 0, `order warm-up failed: ${JSON.stringify(warm.statusCodes)} errors=${warm.errors}`);
  await settle();

  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  for (const connections of ORDER_CONNECTIONS) {
    const before = await countOrders(ctx, merchant.id);
    await resetStatements(ctx);
    const cpu0 = app.cpuMs();
    const db0 = ctx.dbCpuMs();
    const r: LoadResult = await load({ ...request, connections, seconds: sizes.loadSeconds });
    await settle();
    const cpuPerOrder = (app.cpuMs() - cpu0) / r.ok;
    const dbCpuPerOrder = (ctx.dbCpuMs() - db0) / r.ok;
    const appStatements = await statementsPer(ctx, r.ok);
    const after = await countOrders(ctx, merchant.id);
    const created = after.orders - before.orders;
    check(
      r.non2xx === 0 && r.errors === 0 && r.timeouts === 0,
      `orders @${connections}: non-2xx ${r.non2xx} errors ${r.errors} timeouts ${r.timeouts} ${JSON.stringify(r.statusCodes)}`,
    );
    check(r.ok > 0, `orders @${connections}: no order was created`);
    check(created >= r.ok && created <= r.ok + connections, `orders @${connections}: ${r.ok} responses 201 but ${created} orders in the database`);
    check(
      after.withoutTxn === 0 && after.withoutEvent === 0,
      `orders @${connections}: ${after.withoutTxn} orders without a PENDING transaction, ${after.withoutEvent} without order.created`,
    );
    ctx.log(
      `orders @${connections}: app ${round(r.rps)} /s p50 ${r.p50} p99 ${r.p99}, ${round(cpuPerOrder)} ms app CPU and ${round(dbCpuPerOrder)} ms PostgreSQL CPU per order`,
    );

    await resetStatements(ctx);
    const bareDb0 = ctx.dbCpuMs();
    const bare = await bareOrderInserts(ctx.databaseUrl, merchant.id, sample.json, connections, sizes.loadSeconds, `bare${connections}-${Date.now()}`);
    await settle(); // the baseline's backends exit after its pool ends; their CPU reaches the postmaster's count once reaped
    const bareDbCpuPerTx = (ctx.dbCpuMs() - bareDb0) / bare.count;
    const bareStatements = await statementsPer(ctx, bare.count);
    const { rows: inserted } = await ctx.pool.query(
      `SELECT count(*)::int AS n FROM orders o JOIN transactions t ON t.order_id = o.id JOIN events e ON e.order_id = o.id WHERE o.merchant_id = $1 AND o.reference LIKE $2`,
      [merchant.id, `bare${connections}-%`],
    );
    check(inserted[0].n === bare.count, `bare inserts @${connections}: ${bare.count} commits but ${inserted[0].n} complete rows`);
    ctx.log(
      `orders @${connections}: bare pg ${round(bare.rps)} /s p50 ${round(bare.p50)} p99 ${round(bare.p99)}, ${round(bareDbCpuPerTx)} ms PostgreSQL CPU per tx`,
    );
    logStatements(ctx, 'app', 'order', appStatements);
    logStatements(ctx, 'bare', 'order', bareStatements);
    raw[`c${connections}`] = {
      app: r,
      bare,
      createdInDb: created,
      appCpuMsPerOrder: cpuPerOrder,
      dbCpuMsPerOrder: dbCpuPerOrder,
      bareDbCpuMsPerTx: bareDbCpuPerTx,
      ...(appStatements ? { appStatements, bareStatements } : {}),
    };
    rows.push(
      judge({
        id: `orders_c${connections}`,
        scenario: `Order creation, ${connections} connections`,
        unit: 'orders/s',
        app: r.rps,
        appDetail: `p50 ${round(r.p50, 1)} ms, p99 ${round(r.p99, 1)} ms, ${round(cpuPerOrder, 2)} ms app CPU/order${Number.isFinite(dbCpuPerOrder) ? `, ${round(dbCpuPerOrder, 2)} ms PostgreSQL CPU/order` : ''}`,
        baseline: bare.rps,
        baselineLabel: 'bare pg, same 3 inserts',
        baselineDetail: `p50 ${round(bare.p50, 1)} ms, p99 ${round(bare.p99, 1)} ms${Number.isFinite(bareDbCpuPerTx) ? `, ${round(bareDbCpuPerTx, 2)} ms PostgreSQL CPU/tx` : ''}`,
        ratio: r.rps / bare.rps,
        target: { on: 'ratio', dir: 'min', value: ORDER_RATIO_TARGET, text: `≥ ${ORDER_RATIO_TARGET}` },
      }),
    );
  }
  return { rows, raw };
}
