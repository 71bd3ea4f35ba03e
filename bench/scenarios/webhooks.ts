import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { newId } from '../../src/common/ids';
import { NOTIFY_CHANNEL } from '../../src/events/webhook-deliveries.repository';
import { BenchMerchant } from '../lib/app';
import { BenchContext, check, ScenarioResult } from '../lib/context';
import { api } from '../lib/http';
import { judge, Row } from '../lib/report';
import { logStatements, resetStatements, statementsPer } from '../lib/statements';
import { round, summarize } from '../lib/stats';

/** The dispatcher's in-flight limit (WEBHOOK_CONCURRENCY default); the baseline uses the same. */
export const DELIVERY_CONCURRENCY = 32;
/** Rows claimed per query, as the dispatcher does. */
const CLAIM_BATCH = 50;
/** Signatures checked with the standardwebhooks library: the first ones and then one in SAMPLE_EVERY. */
const SAMPLE_EVERY = 50;

interface Arrival {
  at: number;
  createdAt: number;
}

/** The merchant's webhook receiver: node:http on loopback, counting deliveries per webhook-id, verifying a sample of signatures. */
class Receiver {
  private server: Server;
  readonly seen = new Map<string, number>();
  readonly arrivals = new Map<string, Arrival>();
  verified = 0;
  badSignatures: string[] = [];
  total = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  private webhook: Webhook | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks`;
  }

  useSecret(secret: string): void {
    this.webhook = new Webhook(secret);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      this.total++;
      const count = (this.seen.get(id) ?? 0) + 1;
      this.seen.set(id, count);
      if (count === 1) {
        let createdAt = NaN;
        try {
          createdAt = Date.parse((JSON.parse(body) as { created_at: string }).created_at);
        } catch {
          // counted as a bad delivery below
        }
        this.arrivals.set(id, { at, createdAt });
      }
      if (this.webhook && (this.total <= 20 || this.total % SAMPLE_EVERY === 0)) {
        try {
          this.webhook.verify(body, {
            'webhook-id': id,
            'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
            'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
          });
          this.verified++;
        } catch (err) {
          this.badSignatures.push(`${id}: ${(err as Error).message}`);
        }
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      this.waiters = this.waiters.filter((w) => {
        if (this.seen.size < w.n) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** Resolves when `n` distinct webhook-ids have arrived. */
  waitFor(n: number, timeoutMs: number): Promise<void> {
    if (this.seen.size >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`webhooks: ${this.seen.size} of ${n} events delivered within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  reset(): void {
    this.seen.clear();
    this.arrivals.clear();
    this.total = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * N events with their delivery rows for one endpoint, written by direct SQL in one transaction
 * as the outbox fan-out writes them (order, event with a full order view, delivery 'pending'),
 * plus the NOTIFY that wakes dispatchers. `dueAt` null: due now.
 */
async function insertEvents(
  pool: Pool,
  merchantId: string,
  endpointId: string,
  sample: Record<string, unknown>,
  n: number,
  opts: { dueAt?: string; tag: string },
): Promise<string[]> {
  const orderIds = Array.from({ length: n }, () => newId('ord'));
  const eventIds = Array.from({ length: n }, () => newId('evt'));
  const deliveryIds = Array.from({ length: n }, () => newId('whd'));
  const data = orderIds.map((id, i) => JSON.stringify({ order: { ...sample, id, reference: `${opts.tag}-${i}` } }));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO orders (id, merchant_id, reference, status, amount_minor, currency, provider, checkout_url, expires_at, event_seq)
       SELECT o, $2, $3 || '-' || ord, 'PENDING', 1250, 'USD', 'raksmeypay', 'http://127.0.0.1/bench', now() + interval '1 hour', 1
       FROM unnest($1::text[]) WITH ORDINALITY AS u(o, ord)`,
      [orderIds, merchantId, opts.tag],
    );
    await client.query(
      `INSERT INTO events (id, merchant_id, order_id, type, sequence, data, created_at)
       SELECT e, $3, o, 'order.created', 1, d::jsonb, now() FROM unnest($1::text[], $2::text[], $4::text[]) AS u(e, o, d)`,
      [eventIds, orderIds, merchantId, data],
    );
    await client.query(
      `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, status, next_attempt_at)
       SELECT d, e, $3, $4, 'pending', COALESCE($5::timestamptz, now()) FROM unnest($1::text[], $2::text[]) AS u(d, e)`,
      [deliveryIds, eventIds, endpointId, merchantId, opts.dueAt ?? null],
    );
    await client.query(`SELECT pg_notify($1, '')`, [NOTIFY_CHANNEL]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  return eventIds;
}

/** The deliveries table's live and dead rows, its autovacuums and the server's checkpoints so far: what the claim's index scans wade through. */
async function deliveriesTable(ctx: BenchContext): Promise<Record<string, unknown>> {
  const table = `SELECT n_live_tup AS live, n_dead_tup AS dead, autovacuum_count AS autovacuums, autoanalyze_count AS autoanalyzes`;
  // pg_stat_checkpointer since PostgreSQL 17 (the embedded build), pg_stat_bgwriter before.
  const { rows } = await ctx.pool
    .query(
      `${table}, (SELECT num_timed + num_requested FROM pg_stat_checkpointer) AS checkpoints FROM pg_stat_user_tables WHERE relname = 'webhook_deliveries'`,
    )
    .catch(() =>
      ctx.pool.query(
        `${table}, (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) AS checkpoints FROM pg_stat_user_tables WHERE relname = 'webhook_deliveries'`,
      ),
    );
  return (rows[0] as Record<string, unknown>) ?? {};
}

/** Far-future due date: rows the app's dispatcher never claims, kept for the baseline loop. */
const BASELINE_DUE = '9999-01-01T00:00:00Z';
/** While claimed, a baseline row is due at the lease's end, as the dispatcher does it: before BASELINE_DUE, so no second claim takes it. */
const BASELINE_CLAIMED = '9998-01-01T00:00:00Z';

/**
 * The baseline: the raw claim-and-mark rate of the deliveries table. The dispatcher's own claim
 * statement (batches of ≤ 50, SKIP LOCKED) and its own per-delivery bookkeeping transaction
 * (UPDATE the row, INSERT the attempt), DELIVERY_CONCURRENCY at once, with no HTTP in between.
 */
export async function bareClaimAndMark(databaseUrl: string, expected: number): Promise<{ rate: number; marked: number; seconds: number }> {
  const pool = new Pool({ connectionString: databaseUrl, max: DELIVERY_CONCURRENCY + 1 });
  const claimedBy = `bench_${newId('wd').slice(3)}`;
  let marked = 0;
  const inFlight = new Set<Promise<void>>();
  const claim = async (limit: number) =>
    (
      await pool.query(
        `WITH due AS (
           SELECT id FROM webhook_deliveries
           WHERE status IN ('pending', 'failed', 'delivering') AND next_attempt_at >= $3::timestamptz
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED
         )
         UPDATE webhook_deliveries d
         SET status = 'delivering', claimed_by = $2, claimed_until = now() + interval '45 seconds', next_attempt_at = $4::timestamptz, updated_at = now()
         FROM due, events e, webhook_endpoints ep
         WHERE d.id = due.id AND e.id = d.event_id AND ep.id = d.endpoint_id
         RETURNING d.id, d.attempts, d.endpoint_id, e.id AS event_id, e.type, e.sequence, e.data, e.created_at AS event_created_at, e.order_id,
                   ep.url, ep.secret_sealed, ep.previous_secret_sealed, ep.previous_secret_expires_at, ep.status AS endpoint_status, ep.deleted_at AS endpoint_deleted_at`,
        [limit, claimedBy, BASELINE_DUE, BASELINE_CLAIMED],
      )
    ).rows as { id: string; attempts: number }[];
  const mark = async (row: { id: string; attempts: number }) => {
    const client = await pool.connect();
    try {
      const startedAt = new Date();
      await client.query('BEGIN');
      const r = await client.query(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL, claimed_by = NULL, claimed_until = NULL,
           last_attempt_at = $3, last_status = 200, last_latency_ms = 1, last_response = 'ok', last_error = NULL, delivered_at = now(), updated_at = now()
         WHERE id = $1 AND claimed_by = $2 AND status = 'delivering' RETURNING id`,
        [row.id, claimedBy, startedAt],
      );
      await client.query(
        `INSERT INTO webhook_attempts (id, delivery_id, attempt, started_at, status, latency_ms, response_snippet, error) VALUES ($1, $2, $3, $4, 200, 1, 'ok', NULL)`,
        [newId('wha'), row.id, row.attempts + 1, startedAt],
      );
      await client.query('COMMIT');
      marked += r.rowCount ?? 0;
    } finally {
      client.release();
    }
  };
  const t0 = performance.now();
  try {
    for (;;) {
      const want = Math.min(DELIVERY_CONCURRENCY - inFlight.size, CLAIM_BATCH);
      const rows = want > 0 ? await claim(want) : [];
      for (const row of rows) {
        const p: Promise<void> = mark(row).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      if (!rows.length && inFlight.size === 0) break;
      if (rows.length < want || want === 0) await Promise.race(inFlight);
    }
  } finally {
    await Promise.allSettled([...inFlight]);
    await pool.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  check(marked === expected, `claim-and-mark baseline: marked ${marked} of ${expected}`);
  return { rate: marked / seconds, marked, seconds };
}

/**
 * What batching would unlock: the same rows claimed 50 at a time and marked delivered 50 at a
 * time (one UPDATE and one multi-row attempts INSERT per batch), DELIVERY_CONCURRENCY / 4
 * workers. Not the product's pattern: reported beside the baseline as headroom.
 */
export async function batchedClaimAndMark(databaseUrl: string, expected: number): Promise<{ rate: number; marked: number; seconds: number }> {
  const workers = Math.max(1, DELIVERY_CONCURRENCY / 4);
  const pool = new Pool({ connectionString: databaseUrl, max: workers });
  const claimedBy = `bench_${newId('wd').slice(3)}`;
  let marked = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const { rows } = await pool.query<{ id: string; attempts: number }>(
        `WITH due AS (
           SELECT id FROM webhook_deliveries WHERE status IN ('pending', 'failed', 'delivering') AND next_attempt_at >= $3::timestamptz
           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         UPDATE webhook_deliveries d SET status = 'delivering', claimed_by = $2, claimed_until = now() + interval '45 seconds', next_attempt_at = $4::timestamptz, updated_at = now()
         FROM due WHERE d.id = due.id RETURNING d.id, d.attempts`,
        [CLAIM_BATCH, claimedBy, BASELINE_DUE, BASELINE_CLAIMED],
      );
      if (!rows.length) return;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const r = await client.query(
          `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL, claimed_by = NULL, claimed_until = NULL,
             last_attempt_at = now(), last_status = 200, last_latency_ms = 1, last_response = 'ok', delivered_at = now(), updated_at = now()
           WHERE id = ANY($1) AND claimed_by = $2 AND status = 'delivering'`,
          [rows.map((x) => x.id), claimedBy],
        );
        await client.query(
          `INSERT INTO webhook_attempts (id, delivery_id, attempt, started_at, status, latency_ms, response_snippet)
           SELECT a, d, n, now(), 200, 1, 'ok' FROM unnest($1::text[], $2::text[], $3::int[]) AS u(a, d, n)`,
          [rows.map(() => newId('wha')), rows.map((x) => x.id), rows.map((x) => x.attempts + 1)],
        );
        await client.query('COMMIT');
        marked += r.rowCount ?? 0;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await pool.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  check(marked === expected, `batched claim-and-mark: marked ${marked} of ${expected}`);
  return { rate: marked / seconds, marked, seconds };
}

/** Scenario 4: webhook throughput (N events, deliveries/s vs the claim-and-mark rate) and event-to-delivery latency at 100 events/s. */
export async function webhookDelivery(ctx: BenchContext, merchant: BenchMerchant): Promise<ScenarioResult> {
  const { app, sizes, pool } = ctx;
  const receiver = new Receiver();
  await receiver.start();
  try {
    const sample = await api(app.url, 'POST', '/v1/orders', {
      token: merchant.apiKey,
      body: {
        provider: 'raksmeypay',
        amount: '12.50',
        reference: `wh-sample-${Date.now()}`,
        description: 'Bench order: 1 × coffee',
        customer: { name: 'Bench Customer', email: 'bench@example.com' },
        metadata: { cart: 'c-123' },
      },
      expect: 201,
    });
    const endpoint = await api(app.url, 'POST', '/v1/webhook-endpoints', { token: merchant.apiKey, body: { url: receiver.url }, expect: 201 });
    const endpointId = String(endpoint.json.id);
    receiver.useSecret(String(endpoint.json.secret));

    // Throughput: N deliveries due at once; the clock runs from the commit that makes them due to the last arrival.
    const n = sizes.webhookN;
    ctx.log(`webhooks: ${n} events to ${receiver.url}`);
    await resetStatements(ctx);
    const t0 = Date.now();
    const cpu0 = app.cpuMs();
    const db0 = ctx.dbCpuMs();
    const eventIds = await insertEvents(pool, merchant.id, endpointId, sample.json, n, { tag: 'wh-burst' });
    await receiver.waitFor(n, Math.max(60_000, n * 20));
    const seconds = (Date.now() - t0) / 1000;
    const cpuMsPerDelivery = (app.cpuMs() - cpu0) / n;
    // Read at the last arrival: the last outcomes may still be in their group write (the statement table below waits for them).
    const dbCpuMsPerDelivery = (ctx.dbCpuMs() - db0) / n;
    // Give a stray duplicate (a double claim) the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 500));
    const rate = n / seconds;
    const verified = receiver.verified;
    check(
      eventIds.every((id) => receiver.seen.get(id) === 1),
      `webhooks: not every event delivered exactly once (${[...receiver.seen.values()].filter((c) => c > 1).length} duplicated)`,
    );
    check(receiver.seen.size === n && receiver.total === n, `webhooks: received ${receiver.total} requests for ${receiver.seen.size} ids, expected ${n}`);
    check(
      receiver.badSignatures.length === 0 && receiver.verified > 0,
      `webhooks: ${receiver.badSignatures.length} signatures failed standardwebhooks verification: ${receiver.badSignatures.slice(0, 3).join('; ')}`,
    );
    const { rows: delivered } = await pool.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered' AND attempts = 1`,
      [endpointId],
    );
    check(delivered[0].n === n, `webhooks: ${delivered[0].n} of ${n} deliveries recorded as delivered on the first attempt`);
    const statements = await statementsPer(ctx, n);
    ctx.log(
      `webhooks: ${n} delivered in ${round(seconds)} s = ${round(rate)} /s (${receiver.verified} signatures verified), ` +
        `${round(cpuMsPerDelivery, 3)} ms app CPU and ${round(dbCpuMsPerDelivery, 3)} ms PostgreSQL CPU per delivery`,
    );
    logStatements(ctx, 'app', 'delivery', statements);

    // Baseline: the same number of rows, claimed and marked by bare SQL (due far in the future so the app's dispatcher leaves them alone).
    await insertEvents(pool, merchant.id, endpointId, sample.json, n, { tag: 'wh-base', dueAt: BASELINE_DUE });
    const bare = await bareClaimAndMark(ctx.databaseUrl, n);
    ctx.log(`webhooks: bare claim-and-mark ${round(bare.rate)} /s`);
    await insertEvents(pool, merchant.id, endpointId, sample.json, n, { tag: 'wh-batch', dueAt: BASELINE_DUE });
    const batched = await batchedClaimAndMark(ctx.databaseUrl, n);
    ctx.log(`webhooks: batched claim-and-mark (50 per statement) ${round(batched.rate)} /s`);

    // Latency: orders created through the API at a steady rate; each order.created event travels outbox → NOTIFY → dispatcher → receiver.
    receiver.reset();
    const tableBefore = await deliveriesTable(ctx);
    await resetStatements(ctx);
    const total = sizes.latencyRate * sizes.latencySeconds;
    const interval = 1000 / sizes.latencyRate;
    const failures: string[] = [];
    const inFlight = new Set<Promise<void>>();
    const start = performance.now();
    ctx.log(`webhooks: latency run, ${total} orders at ${sizes.latencyRate}/s`);
    for (let i = 0; i < total; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Open loop: the next request leaves on schedule whether or not the previous one has answered.
      const p: Promise<void> = api(app.url, 'POST', '/v1/orders', {
        token: merchant.apiKey,
        body: { provider: 'raksmeypay', amount: '3.00', reference: `wh-lat-${i}-${Date.now()}` },
      })
        .then((r) => {
          if (r.status !== 201) failures.push(`${r.status} ${r.text.slice(0, 200)}`);
        })
        .catch((err: unknown) => {
          failures.push(String(err));
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all([...inFlight]);
    const sendSeconds = (performance.now() - start) / 1000;
    check(failures.length === 0, `webhooks latency run: ${failures.length} order creations failed: ${failures.slice(0, 3).join('; ')}`);
    await receiver.waitFor(total, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const { rows: created } = await pool.query(
      `SELECT e.id FROM events e JOIN orders o ON o.id = e.order_id WHERE o.merchant_id = $1 AND o.reference LIKE 'wh-lat-%' AND e.type = 'order.created'`,
      [merchant.id],
    );
    check(created.length === total, `webhooks latency run: ${created.length} order.created events for ${total} orders`);
    check(
      created.every((r: { id: string }) => receiver.seen.get(r.id) === 1) && receiver.total === total,
      `webhooks latency run: ${receiver.total} deliveries for ${total} events, not exactly one each`,
    );
    const latencies = [...receiver.arrivals.values()].map((a) => a.at - a.createdAt);
    check(latencies.every(Number.isFinite), 'webhooks latency run: a delivery body had no created_at');
    const lat = summarize(latencies);
    ctx.log(`webhooks: latency p50 ${lat.p50} ms p99 ${lat.p99} ms max ${lat.max} ms (sent at ${round(total / sendSeconds)}/s)`);
    const latencyStatements = await statementsPer(ctx, total);
    const tableAfter = await deliveriesTable(ctx);
    ctx.log(`webhooks: webhook_deliveries before the latency run ${JSON.stringify(tableBefore)}, after ${JSON.stringify(tableAfter)}`);
    logStatements(ctx, 'latency', 'event', latencyStatements);

    const rows: Row[] = [
      judge({
        id: 'webhook_throughput',
        scenario: `Webhook delivery: ${n.toLocaleString('en-US')} events`,
        unit: 'deliveries/s',
        app: rate,
        appDetail: `${round(seconds, 1)} s, ${round(cpuMsPerDelivery, 2)} ms app CPU/delivery, ${verified} signatures verified`,
        baseline: bare.rate,
        baselineLabel: 'bare SQL claim-and-mark, per row as the dispatcher does',
        baselineDetail: `batched 50 per statement: ${Math.round(batched.rate).toLocaleString('en-US')}/s`,
        ratio: rate / bare.rate,
        target: { on: 'app', dir: 'min', value: 2000, text: '≥ 2,000/s' },
      }),
      judge({
        id: 'webhook_latency',
        scenario: `Webhook latency at ${sizes.latencyRate} events/s`,
        unit: 'ms p99',
        app: lat.p99,
        appDetail: `p50 ${round(lat.p50)} ms, max ${round(lat.max)} ms, ${total} events`,
        baseline: null,
        baselineLabel: '—',
        ratio: null,
        target: { on: 'app', dir: 'below', value: 1000, text: '< 1 s' },
      }),
    ];
    return {
      rows,
      raw: {
        throughput: { n, seconds, rate, verified, cpuMsPerDelivery, dbCpuMsPerDelivery, ...(statements ? { statements } : {}) },
        bare,
        batched,
        latency: { ...lat, total, sendSeconds, tableBefore, tableAfter, ...(latencyStatements ? { statements: latencyStatements } : {}) },
      },
    };
  } finally {
    await receiver.stop();
  }
}
