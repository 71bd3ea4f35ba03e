import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { randomToken } from '../common/crypto';
import { Heartbeats } from '../common/heartbeats';
import { OutboundError, OutboundHttp } from '../common/http/outbound-http';
import { newId } from '../common/ids';
import { AppConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { presentEvent } from './events.controller';
import { NOTIFY_CHANNEL, WebhookEndpointsService } from './webhook-endpoints.service';
import { BREAKER_FAILURES, classifyStatus, merchantInFlightCap, nextRetryDelayMs, parseRetryAfter, RESPONSE_SNIPPET_CHARS, unanswered, webhookHeaders } from './webhook-policy';
import { returnedRows } from '../database/rows';

export const DISPATCHER_LOOP = 'webhook-dispatcher';
/** Most rows claimed per query. */
const BATCH = 64;
/** Most outcomes written per statement. */
const MAX_GROUP = 200;
/** A claim outlives the attempt's deadline by this much; a crashed instance's claims expire and are picked up again. */
const CLAIM_MARGIN_MS = 30_000;

interface ClaimedRow {
  id: string;
  attempts: number;
  endpoint_id: string;
  event_id: string;
  type: string;
  sequence: number;
  data: Record<string, unknown>;
  event_created_at: Date;
  order_id: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  endpoint_status: string;
  endpoint_deleted_at: Date | null;
  /** The endpoint's breaker count when claimed: an answer then has a count to reset. */
  consecutive_failures: number;
}

/** A finished delivery waiting to be written with others (see record). */
interface Outcome {
  row: ClaimedRow;
  status: 'delivered' | 'failed' | 'dead';
  result: AttemptResult | null;
  nextAt: Date | null;
  error: string | null;
  done: (held: boolean) => void;
  fail: (err: Error) => void;
}

/** A write of outcomes failed; logged once for the whole group by the recorder. */
class RecordError extends Error {}

interface AttemptResult {
  startedAt: Date;
  status: number | null;
  latencyMs: number;
  snippet: string | null;
  error: string | null;
  retryAfterMs: number | null;
}

/**
 * Sends webhook deliveries. Claims due rows in batches with FOR UPDATE SKIP LOCKED (so any
 * number of instances share the work), is woken by LISTEN/NOTIFY when the outbox fans an event
 * out and polls as a fallback for retries coming due, keeps at most WEBHOOK_CONCURRENCY
 * deliveries in flight, and on shutdown stops claiming, lets in-flight deliveries finish and
 * releases anything still claimed.
 *
 * Fair: the claim takes, per endpoint, at most WEBHOOK_ENDPOINT_CONCURRENCY minus what is
 * already in flight to it (on any instance), and fills free slots round-robin across merchants,
 * least-served first, never giving one merchant more than half the slots (merchantInFlightCap).
 * "In flight" means on the wire: a row whose answer is in but whose outcome still waits for the
 * group write is 'delivering' in the database, yet the claim does not count it (this instance
 * passes those ids along), so an endpoint's cap limits open requests, not requests plus
 * bookkeeping, and a busy endpoint is refilled as its answers arrive, not once per write.
 * An endpoint that keeps not answering opens a circuit breaker kept on its row: nothing is sent
 * to it during the cool-down, then one probe; its waiting deliveries are not claimed meanwhile,
 * so they keep their attempts and are sent after the breaker closes.
 *
 * Bookkeeping is batched, by group commit rather than by timer: a finished delivery's outcome
 * joins a queue; when no write is running the queue is written at once (one statement updates
 * every delivery and logs every attempt), and what finishes meanwhile waits only for that
 * write and goes in the next. A lone delivery is written as soon as it finishes; under load the
 * groups grow by themselves. A slot is freed when its outcome is written, so the slots a group
 * frees are claimed again by one statement.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  /** Who holds a claim: this process's dispatcher. */
  readonly instanceId = `wd_${randomToken(9)}`;
  /** Claimed rows whose outcome is not written yet (their whole delivery, send and write). */
  private readonly held = new Set<Promise<void>>();
  /** Attempts on the wire: the WEBHOOK_CONCURRENCY limit. */
  private sending = 0;
  /**
   * Held rows whose attempt is over (answered, timed out, or never sent) but whose outcome is
   * not written yet: still 'delivering' in the database, yet nothing is on the wire for them.
   * The claim leaves them out of the per-endpoint and per-merchant in-flight counts.
   */
  private readonly answered = new Set<string>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wakePending = false;
  private wakeUp: (() => void) | null = null;
  private saturated = false;
  private listener: Client | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs = 500;
  private lastClaimErrorLog = 0;
  private outcomes: Outcome[] = [];
  private writing = false;
  /** Endpoints whose breaker count this instance has raised and not yet seen reset: an answer from one of them resets it. */
  private readonly suspect = new Set<string>();
  /** Attempts this instance has made since it started (diagnostics, tests). */
  attemptsMade = 0;

  constructor(
    private readonly db: DataSource,
    private readonly http: OutboundHttp,
    private readonly endpoints: WebhookEndpointsService,
    private readonly config: AppConfig,
    private readonly heartbeats: Heartbeats,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.backgroundJobs) this.start();
  }

  /** Starts the background loop and its LISTEN connection (idempotent). */
  start(): void {
    if (this.loop || this.stopping) return;
    this.heartbeats.register(DISPATCHER_LOOP, Math.max(this.config.webhookPollIntervalMs, 5_000));
    void this.connectListener();
    this.loop = this.run();
  }

  /** Whether the LISTEN connection is up (tests and diagnostics). */
  get listening(): boolean {
    return this.listener !== null;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.loop;
    await Promise.allSettled([...this.held]);
    await this.releaseClaims();
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    this.heartbeats.unregister(DISPATCHER_LOOP);
  }

  /**
   * One pass by hand (tests, operators): claims up to `limit` due deliveries (at most
   * WEBHOOK_CONCURRENCY, so no claim waits in a queue while its lease runs out), sends them and
   * waits for every outcome. Returns how many were claimed.
   */
  async runOnce(limit = BATCH): Promise<number> {
    if (this.stopping) return 0;
    const rows = await this.claim(Math.min(limit, this.config.webhookConcurrency));
    await Promise.all(rows.map((row) => this.dispatch(row)));
    return rows.length;
  }

  /** Runs passes until nothing is due (bounded). */
  async drain(maxPasses = 100): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxPasses; i++) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.heartbeats.beat(DISPATCHER_LOOP);
      const capacity = this.capacity();
      let claimed = 0;
      const want = Math.min(capacity, BATCH);
      if (want > 0) {
        try {
          const rows = await this.claim(want);
          claimed = rows.length;
          for (const row of rows) void this.dispatch(row);
        } catch (err) {
          // The database is down or restarting: log at most every 30 s and keep polling.
          if (Date.now() - this.lastClaimErrorLog > 30_000) {
            this.lastClaimErrorLog = Date.now();
            this.logger.warn({ err: (err as Error).message }, 'webhook claim failed; retrying');
          }
        }
      }
      // Deliveries still held may be what caps the claim (per endpoint, per merchant): when one
      // finishes, claim again. Only with nothing held is it safe to sleep until NOTIFY or the poll.
      this.saturated = want === 0 || this.held.size > 0;
      // A full batch means more may be due: go again at once unless every slot is busy.
      if (claimed > 0 && claimed === want && this.capacity() > 0) continue;
      await this.sleep(this.config.webhookPollIntervalMs);
    }
  }

  /**
   * Rows the loop may claim now: free sending slots, bounded also by what is held (sent but not
   * yet written), so a slow database holds back claiming instead of piling up outcomes.
   */
  private capacity(): number {
    const concurrency = this.config.webhookConcurrency;
    return Math.max(0, Math.min(concurrency - this.sending, 2 * concurrency - this.held.size));
  }

  /**
   * Sends one claimed row and records its outcome. Its sending slot is freed as soon as the
   * receiver has answered (the write joins the next group), its hold when the outcome is written.
   */
  private dispatch(row: ClaimedRow): Promise<void> {
    this.sending++;
    let sent = false;
    const freeSlot = () => {
      if (sent) return;
      sent = true;
      this.sending--;
      this.answered.add(row.id);
      if (this.saturated) this.wake();
    };
    const p = this.deliver(row, freeSlot).finally(() => {
      freeSlot();
      this.answered.delete(row.id);
      this.held.delete(p);
      if (this.saturated) this.wake();
    });
    this.held.add(p);
    return p;
  }

  private wake(): void {
    this.wakePending = true;
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending || this.stopping) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /**
   * Due rows (pending, failed whose retry time has come, or delivering whose claim expired),
   * claimed for this instance, fairly, in one statement:
   * 1. the endpoints with waiting rows, by a skip scan of the per-endpoint index (one probe per
   *    endpoint, however many rows wait), with what each has in flight: unexpired claims, less
   *    this instance's `answered` rows (attempt over, outcome not yet written: nothing on the
   *    wire). Other instances' rows count as the database shows them, so across instances the
   *    count can only be too high (a row answered there but not yet written), never too low;
   * 2. per endpoint not paused by its breaker, its oldest due rows up to its free room
   *    (WEBHOOK_ENDPOINT_CONCURRENCY, or 1 when half-open; uncapped for a disabled or deleted
   *    endpoint, whose rows are dead-lettered without a send);
   * 3. each merchant's candidates taken in turns across its endpoints, levelled by what the
   *    merchant already has in flight; the lowest levels win the free slots (so the least-served
   *    merchant goes first) and no merchant goes past its cap;
   * 4. those rows locked with SKIP LOCKED, re-checked as still due, and marked delivering.
   * Concurrent claims see the same oldest rows per endpoint, so they skip each other's locks
   * instead of taking rows past the cap.
   */
  private async claim(limit: number): Promise<ClaimedRow[]> {
    const leaseSeconds = (this.config.webhookTimeoutMs + CLAIM_MARGIN_MS) / 1000;
    const rows: unknown = await this.db.query(
      `WITH RECURSIVE active(endpoint_id) AS (
         (SELECT endpoint_id FROM webhook_deliveries WHERE status IN ('pending', 'failed', 'delivering') ORDER BY endpoint_id LIMIT 1)
         UNION ALL
         SELECT (SELECT w.endpoint_id FROM webhook_deliveries w
                 WHERE w.status IN ('pending', 'failed', 'delivering') AND w.endpoint_id > a.endpoint_id ORDER BY w.endpoint_id LIMIT 1)
         FROM active a WHERE a.endpoint_id IS NOT NULL
       ), eps AS (
         SELECT ep.id, ep.merchant_id, f.n AS in_flight,
                CASE WHEN ep.status <> 'enabled' OR ep.deleted_at IS NOT NULL THEN $1
                     WHEN ep.consecutive_failures >= $5 THEN 1
                     ELSE $4 END - f.n AS room,
                ep.status = 'enabled' AND ep.deleted_at IS NULL AND COALESCE(ep.paused_until > now(), false) AS paused
         FROM active a JOIN webhook_endpoints ep ON ep.id = a.endpoint_id
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS n FROM webhook_deliveries f
           WHERE f.endpoint_id = ep.id AND f.status = 'delivering' AND f.next_attempt_at > now() AND f.id <> ALL($7::text[])
         ) f
       ), merchants AS (
         SELECT merchant_id, sum(in_flight)::int AS in_flight FROM eps GROUP BY merchant_id
       ), candidates AS (
         SELECT c.id, c.next_attempt_at,
                m.in_flight + row_number() OVER (PARTITION BY e.merchant_id ORDER BY c.turn, c.next_attempt_at) AS level
         FROM eps e JOIN merchants m ON m.merchant_id = e.merchant_id
         CROSS JOIN LATERAL (
           SELECT w.id, w.next_attempt_at, row_number() OVER (ORDER BY w.next_attempt_at) AS turn
           FROM webhook_deliveries w
           WHERE w.endpoint_id = e.id AND w.status IN ('pending', 'failed', 'delivering') AND w.next_attempt_at <= now()
           ORDER BY w.next_attempt_at
           LIMIT e.room
         ) c
         WHERE e.room > 0 AND NOT e.paused
       ), due AS (
         SELECT d.id FROM webhook_deliveries d
         JOIN (SELECT id, level, next_attempt_at FROM candidates WHERE level <= $6 ORDER BY level, next_attempt_at LIMIT $1) pick ON pick.id = d.id
         WHERE d.status IN ('pending', 'failed', 'delivering') AND d.next_attempt_at <= now()
         FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
       SET status = 'delivering', claimed_by = $2, claimed_until = now() + make_interval(secs => $3),
           next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
       FROM due, events e, webhook_endpoints ep
       WHERE d.id = due.id AND e.id = d.event_id AND ep.id = d.endpoint_id
       RETURNING d.id, d.attempts, d.endpoint_id, e.id AS event_id, e.type, e.sequence, e.data, e.created_at AS event_created_at, e.order_id,
                 ep.url, ep.secret_sealed, ep.previous_secret_sealed, ep.previous_secret_expires_at,
                 ep.status AS endpoint_status, ep.deleted_at AS endpoint_deleted_at, ep.consecutive_failures`,
      [limit, this.instanceId, leaseSeconds, this.config.webhookEndpointConcurrency, BREAKER_FAILURES, merchantInFlightCap(this.config.webhookConcurrency), [...this.answered]],
    );
    return returnedRows<ClaimedRow>(rows);
  }

  /** One attempt for one claimed row. Never throws: an unrecorded outcome leaves the claim to expire and be retried. */
  private async deliver(row: ClaimedRow, sent: () => void): Promise<void> {
    try {
      if (row.endpoint_status !== 'enabled' || row.endpoint_deleted_at) {
        sent();
        await this.record(row, 'dead', null, null, `endpoint ${row.endpoint_deleted_at ? 'deleted' : 'disabled'}`);
        return;
      }
      const result = await this.attempt(row);
      sent();
      const outcome = result.status === null ? 'retry' : classifyStatus(result.status);
      if (outcome === 'delivered') await this.record(row, 'delivered', result, null, null);
      else if (outcome === 'gone') await this.disableEndpoint(row, result);
      else {
        const attemptsMade = row.attempts + 1;
        const delay = nextRetryDelayMs(attemptsMade, this.config.webhookRetryScheduleMs, result.retryAfterMs);
        await this.record(row, delay === null ? 'dead' : 'failed', result, delay === null ? null : new Date(Date.now() + delay), result.error);
      }
    } catch (err) {
      if (!(err instanceof RecordError)) this.logger.error({ err: (err as Error).message, delivery: row.id }, 'webhook delivery bookkeeping failed; the claim will expire and be retried');
    }
  }

  private async attempt(row: ClaimedRow): Promise<AttemptResult> {
    this.attemptsMade++;
    const startedAt = new Date();
    const body = JSON.stringify(presentEvent({ id: row.event_id, type: row.type, order_id: row.order_id, sequence: row.sequence, data: row.data, created_at: row.event_created_at }));
    const headers = webhookHeaders(row.event_id, startedAt, body, this.endpoints.signingSecrets({ ...row, id: row.endpoint_id }, startedAt));
    const t0 = performance.now();
    try {
      const res = await this.http.send({ method: 'POST', url: row.url, headers, body, timeoutMs: this.config.webhookTimeoutMs, maxBodyBytes: RESPONSE_SNIPPET_CHARS * 4 });
      const ok = res.status >= 200 && res.status < 300;
      return {
        startedAt,
        status: res.status,
        latencyMs: Math.round(res.durationMs),
        snippet: res.body ? res.body.slice(0, RESPONSE_SNIPPET_CHARS) : null,
        error: ok ? null : res.status >= 300 && res.status < 400 ? `HTTP ${res.status} (redirects are not followed)` : `HTTP ${res.status}`,
        retryAfterMs: parseRetryAfter(res.headers['retry-after'], Date.now()),
      };
    } catch (err) {
      const message = err instanceof OutboundError ? `${err.kind}: ${err.message}` : `error: ${(err as Error).message}`;
      return { startedAt, status: null, latencyMs: Math.round(performance.now() - t0), snippet: null, error: message.slice(0, 500), retryAfterMs: null };
    }
  }

  /**
   * Queues the attempt and the delivery's new state for the next group write; resolves once
   * written, with whether this instance still held the claim (the state is written only then;
   * the attempt is logged either way).
   */
  private record(row: ClaimedRow, status: 'delivered' | 'failed' | 'dead', result: AttemptResult | null, nextAt: Date | null, error: string | null): Promise<boolean> {
    this.metrics?.countDelivery(status);
    return new Promise((done, fail) => {
      this.outcomes.push({ row, status, result, nextAt, error, done, fail });
      // After the current I/O phase, so the responses that arrived together are written together.
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.writeOutcomes());
      }
    });
  }

  /** Writes queued outcomes, a group per statement, until the queue is empty. */
  private async writeOutcomes(): Promise<void> {
    try {
      while (this.outcomes.length) {
        const group = this.outcomes.splice(0, MAX_GROUP);
        try {
          const held = await this.writeGroup(group);
          await this.updateBreakers(group);
          for (const o of group) o.done(held.has(o.row.id));
        } catch (err) {
          this.logger.error({ err: (err as Error).message, deliveries: group.length }, 'webhook delivery bookkeeping failed; the claims will expire and be retried');
          const failure = new RecordError((err as Error).message);
          for (const o of group) o.fail(failure);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * One statement (atomic on its own, one round trip): the deliveries this instance still
   * holds get their new state, and every attempt made is logged. Returns the ids updated.
   */
  private async writeGroup(group: Outcome[]): Promise<Set<string>> {
    const col = <T>(f: (o: Outcome) => T) => group.map(f);
    const updated: unknown = await this.db.query(
      `WITH o AS (
         SELECT * FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::int[])
           AS o(id, status, tried, next_at, started_at, http_status, latency_ms, snippet, error, attempt_id, attempt)
       ), updated AS (
         UPDATE webhook_deliveries d SET status = o.status, attempts = d.attempts + o.tried, next_attempt_at = o.next_at, claimed_by = NULL, claimed_until = NULL,
           last_attempt_at = COALESCE(o.started_at, d.last_attempt_at), last_status = CASE WHEN o.tried = 1 THEN o.http_status ELSE d.last_status END,
           last_latency_ms = COALESCE(o.latency_ms, d.last_latency_ms), last_response = CASE WHEN o.tried = 1 THEN o.snippet ELSE d.last_response END, last_error = o.error,
           delivered_at = CASE WHEN o.status = 'delivered' THEN now() ELSE d.delivered_at END, updated_at = now()
         FROM o WHERE d.id = o.id AND d.claimed_by = $1 AND d.status = 'delivering'
         RETURNING d.id
       ), logged AS (
         -- The attempt happened whether or not we still hold the claim: log it either way.
         INSERT INTO webhook_attempts (id, delivery_id, attempt, started_at, status, latency_ms, response_snippet, error)
         SELECT attempt_id, id, attempt, started_at, http_status, latency_ms, snippet, error FROM o WHERE tried = 1
       )
       SELECT id FROM updated`,
      [
        this.instanceId,
        col((o) => o.row.id),
        col((o) => o.status),
        col((o) => (o.result ? 1 : 0)),
        col((o) => o.nextAt),
        col((o) => o.result?.startedAt ?? null),
        col((o) => o.result?.status ?? null),
        col((o) => o.result?.latencyMs ?? null),
        col((o) => o.result?.snippet ?? null),
        col((o) => o.error),
        col((o) => (o.result ? newId('wha') : null)),
        col((o) => o.row.attempts + 1),
      ],
    );
    return new Set(returnedRows<{ id: string }>(updated).map((r) => r.id));
  }

  /**
   * The breakers of the group's endpoints, after its outcomes are written (a separate statement
   * that locks endpoint rows in id order, so it cannot deadlock with another instance's, nor hold
   * delivery rows while it waits). Any answer resets an endpoint's count and closes its breaker;
   * each unanswered attempt adds one, and at BREAKER_FAILURES the endpoint is paused for the
   * cool-down (again after each failed probe). With every endpoint answering and none counted,
   * there is nothing to write.
   */
  private async updateBreakers(group: Outcome[]): Promise<void> {
    const tally = new Map<string, { failed: number; answered: boolean }>();
    for (const o of group) {
      if (!o.result) continue;
      const t = tally.get(o.row.endpoint_id) ?? { failed: 0, answered: false };
      if (unanswered(o.result.status)) t.failed++;
      else t.answered = true;
      tally.set(o.row.endpoint_id, t);
    }
    const needed = [...tally].filter(([id, t]) => t.failed > 0 || this.suspect.has(id) || group.some((o) => o.row.endpoint_id === id && o.row.consecutive_failures > 0));
    if (!needed.length) return;
    try {
      const opened: unknown = await this.db.query(
        `WITH t AS (
           SELECT * FROM unnest($1::text[], $2::int[], $3::bool[]) AS t(id, failed, answered)
         ), locked AS (
           SELECT ep.id FROM webhook_endpoints ep WHERE ep.id IN (SELECT id FROM t) ORDER BY ep.id FOR NO KEY UPDATE
         )
         UPDATE webhook_endpoints ep SET
           consecutive_failures = CASE WHEN t.answered THEN 0 ELSE ep.consecutive_failures + t.failed END,
           paused_until = CASE WHEN t.answered THEN NULL
                               WHEN ep.consecutive_failures + t.failed >= $4 THEN now() + make_interval(secs => $5)
                               ELSE ep.paused_until END
         FROM t, locked
         WHERE ep.id = t.id AND locked.id = t.id
         RETURNING ep.id, ep.paused_until, ep.consecutive_failures, t.failed`,
        [needed.map(([id]) => id), needed.map(([, t]) => t.failed), needed.map(([, t]) => t.answered), BREAKER_FAILURES, this.config.webhookBreakerCooldownMs / 1000],
      );
      for (const [id, t] of needed) {
        if (t.answered) this.suspect.delete(id);
        else this.suspect.add(id);
      }
      for (const r of returnedRows<{ id: string; paused_until: Date | null; consecutive_failures: number; failed: number }>(opened)) {
        if (r.paused_until && r.consecutive_failures - r.failed < BREAKER_FAILURES) {
          this.logger.warn({ endpoint: r.id, paused_until: new Date(r.paused_until).toISOString() }, 'webhook endpoint breaker open: it keeps not answering');
        }
      }
    } catch (err) {
      // The outcomes are written; a breaker count missed now is caught up by the next attempts.
      this.logger.warn({ err: (err as Error).message }, 'could not update webhook endpoint breakers');
    }
  }

  /** 410 Gone: the receiver asked us to stop. Disable the endpoint and dead-letter what was waiting for it. */
  private async disableEndpoint(row: ClaimedRow, result: AttemptResult): Promise<void> {
    await this.record(row, 'dead', result, null, 'HTTP 410: endpoint disabled');
    const reason = `the endpoint answered 410 Gone at ${result.startedAt.toISOString()}`;
    await this.db.transaction(async (manager) => {
      await manager.query(`UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, updated_at = now() WHERE id = $1 AND status = 'enabled'`, [row.endpoint_id, reason]);
      await manager.query(
        `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, last_error = 'endpoint disabled (410 Gone)', updated_at = now()
         WHERE endpoint_id = $1 AND status IN ('pending', 'failed')`,
        [row.endpoint_id],
      );
    });
    this.logger.warn({ endpoint: row.endpoint_id }, 'webhook endpoint disabled after 410 Gone');
  }

  /** At shutdown: anything still claimed by this instance becomes due again at once. */
  private async releaseClaims(): Promise<void> {
    try {
      await this.db.query(
        `UPDATE webhook_deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'failed' END, next_attempt_at = now(),
           claimed_by = NULL, claimed_until = NULL, updated_at = now()
         WHERE claimed_by = $1 AND status = 'delivering'`,
        [this.instanceId],
      );
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not release webhook claims; they will expire');
    }
  }

  /** A dedicated connection for LISTEN (pool connections come and go); reconnects with back-off. */
  private async connectListener(): Promise<void> {
    if (this.stopping) return;
    const url = (this.db.options as { url?: string }).url;
    if (!url) return;
    const client = new Client({ connectionString: url });
    client.on('notification', () => this.wake());
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'webhook LISTEN connection failed; polling until it is back');
      this.dropListener(client);
    });
    client.on('end', () => this.dropListener(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      if (this.stopping) {
        await client.end();
        return;
      }
      this.listener = client;
      this.reconnectDelayMs = 500;
      // Anything that arrived while we were not listening is picked up now.
      this.wake();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'webhook LISTEN connection failed; polling until it is back');
      this.dropListener(client);
      await client.end().catch(() => undefined);
    }
  }

  private dropListener(client: Client): void {
    if (this.listener === client) this.listener = null;
    if (this.stopping || this.reconnectTimer || this.listener) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectListener();
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 30_000);
  }
}
