import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { randomToken } from '../common/crypto';
import { BackgroundLoops } from '../common/background-loops';
import { OutboundHttp } from '../common/http/outbound-http';
import { AppConfig } from '../config/config';
import { PgListener, PgListeners } from '../database/pg-listener';
import { attemptDelivery, AttemptResult } from './webhook-attempt';
import { ClaimedDelivery, ClaimRequest, NOTIFY_CHANNEL, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { ClaimOnWrite, OutcomeWriteError, WebhookOutcomeWriter, Written } from './webhook-outcome-writer';
import { DeliveryOutcomeCounter, judgeAttempt, merchantInFlightCap } from './webhook-policy';

export const DISPATCHER_LOOP = 'webhook-dispatcher';
/** Most rows claimed per query. */
const BATCH = 64;
/** A claim outlives the attempt's deadline by this much; a crashed instance's claims expire and are picked up again. */
const CLAIM_MARGIN_MS = 30_000;

/**
 * Sends webhook deliveries. Claims due rows in batches with FOR UPDATE SKIP LOCKED (so any
 * number of instances share the work), is woken by LISTEN/NOTIFY when the outbox fans an event
 * out and polls as a fallback for retries coming due, keeps at most WEBHOOK_CONCURRENCY
 * deliveries in flight, and on shutdown stops claiming, lets in-flight deliveries finish and
 * releases anything still claimed.
 *
 * Fair (WebhookDeliveriesRepository.claimDue): per-endpoint and per-merchant caps counted on
 * the wire. A row whose answer is in but whose outcome still waits for the group write is
 * 'delivering' in the database, yet the claim does not count it (this instance passes those
 * ids along), so a busy endpoint is refilled as its answers arrive, not once per write. An
 * endpoint that keeps not answering opens a circuit breaker kept on its row: nothing is sent to
 * it during the cool-down, then one probe; its waiting deliveries keep their attempts.
 *
 * Outcomes are written by group commit (WebhookOutcomeWriter), and while the loop runs the
 * group's statement also claims the slots its answers freed (ClaimOnWrite): one round trip per
 * group instead of a write and a claim. The loop claims on NOTIFY, on the poll, and after a group
 * that did not claim. Claims in flight reserve their slots, so the loop's claim and a group's never
 * take more than the free slots between them. What each answer means (delivered, retry,
 * dead-letter, disable) is decided by judgeAttempt in webhook-policy.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  /** Who holds a claim: this process's dispatcher. */
  readonly instanceId = `wd_${randomToken(9)}`;
  /** Claimed rows whose outcome is not written yet (send and write). */
  private readonly held = new Set<Promise<void>>();
  /** Attempts on the wire: the WEBHOOK_CONCURRENCY limit. */
  private sending = 0;
  /**
   * Held rows whose attempt is over (answered, timed out, or never sent) but whose outcome is
   * not written yet: still 'delivering' in the database, yet nothing is on the wire for them.
   * The claim leaves them out of the per-endpoint and per-merchant in-flight counts.
   */
  private readonly answered = new Set<string>();
  /** Slots asked for by claims in flight (the loop's and a group write's). */
  private reserved = 0;
  /** Woken with every free slot reserved by a claim in flight (which may predate the NOTIFY): claim when it settles. */
  private claimWhenSettled = false;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wakePending = false;
  private wakeUp: (() => void) | null = null;
  private saturated = false;
  private lastClaimErrorLog = 0;
  private readonly listener: PgListener;
  private readonly outcomes: WebhookOutcomeWriter;
  /** Attempts this instance has made since it started (diagnostics, tests). */
  attemptsMade = 0;

  constructor(
    listeners: PgListeners,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly http: OutboundHttp,
    /** Opens the endpoint's sealed signing secrets. */
    private readonly endpointService: WebhookEndpointsService,
    private readonly config: AppConfig,
    private readonly loops: BackgroundLoops,
    @Optional() private readonly metrics?: DeliveryOutcomeCounter,
  ) {
    // Anything notified while the LISTEN was down is picked up when it is back.
    this.listener = listeners.create({ channel: NOTIFY_CHANNEL, label: 'webhook', onNotify: () => this.wake(), onListening: () => this.wake() });
    const claimOnWrite: ClaimOnWrite = { request: (groupSize) => this.claimOnWrite(groupSize), settle: (request, rows) => this.settleClaim(request, rows) };
    this.outcomes = new WebhookOutcomeWriter(deliveries, endpoints, this.instanceId, config.webhookBreakerCooldownMs, claimOnWrite);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Starts the loop and its LISTEN connection (idempotent; a BackgroundLoops loop: off without BACKGROUND_JOBS). */
  start(): void {
    if (this.loop || this.stopping) return;
    const run = (beat: () => void) => {
      this.listener.start();
      return (this.loop = this.run(beat));
    };
    this.loops.add({ name: DISPATCHER_LOOP, intervalMs: Math.max(this.config.webhookPollIntervalMs, 5_000), continuous: true, run, stop: () => this.halt() });
  }

  private halt(): void {
    this.stopping = true;
    this.wake();
  }

  /** Whether the LISTEN connection is up (tests and diagnostics). */
  get listening(): boolean {
    return this.listener.listening;
  }

  /** The loop stops like every loop (BackgroundLoops); then in-flight deliveries finish and what is still claimed is released. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.loops.stop(DISPATCHER_LOOP);
    // A group write in flight may still hand over rows it claimed: wait for those too.
    while (this.held.size) await Promise.allSettled([...this.held]);
    await this.releaseClaims();
    await this.listener.stop();
  }

  /**
   * One pass by hand (tests, operators): claims up to `limit` due deliveries (at most
   * WEBHOOK_CONCURRENCY, so no claim waits in a queue while its lease runs out), sends them and
   * waits for every outcome. Returns how many were claimed.
   */
  async runOnce(limit = BATCH): Promise<number> {
    if (this.stopping) return 0;
    const request = this.claimRequest(Math.min(limit, this.config.webhookConcurrency));
    let rows: ClaimedDelivery[] = [];
    try {
      rows = await this.deliveries.claimDue(request);
    } finally {
      this.reserved -= request.limit;
    }
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

  private async run(beat: () => void): Promise<void> {
    while (!this.stopping) {
      beat();
      const capacity = this.capacity();
      let claimed = 0;
      const want = Math.min(capacity, BATCH);
      if (want > 0) {
        const request = this.claimRequest(want);
        try {
          const rows = await this.deliveries.claimDue(request);
          claimed = rows.length;
          this.settleClaim(request, rows);
        } catch (err) {
          this.settleClaim(request, []);
          // The database is down or restarting: log at most every 30 s and keep polling.
          if (Date.now() - this.lastClaimErrorLog > 30_000) {
            this.lastClaimErrorLog = Date.now();
            this.logger.warn({ err: (err as Error).message }, 'webhook claim failed; retrying');
          }
        }
      }
      if (want === 0 && this.reserved > 0) this.claimWhenSettled = true;
      // Deliveries still held may be what caps the claim (per endpoint, per merchant): when one
      // finishes, claim again. Only with nothing held is it safe to sleep until NOTIFY or the poll.
      this.saturated = want === 0 || this.held.size > 0;
      // A full batch means more may be due: go again at once unless every slot is busy.
      if (claimed > 0 && claimed === want && this.capacity() > 0) continue;
      await this.sleep(this.config.webhookPollIntervalMs);
    }
  }

  /** Rows claimable now: free slots, bounded by what is held (unwritten; `writing` about to be), less reservations. */
  private capacity(writing = 0): number {
    const concurrency = this.config.webhookConcurrency;
    return Math.max(0, Math.min(concurrency - this.sending, 2 * concurrency - (this.held.size - writing)) - this.reserved);
  }

  /**
   * The claim a group write makes in its statement: only while the loop runs (runOnce and drain
   * wait for exactly what they claimed) and not while stopping; the group's rows are about to be
   * written, so they do not hold back claiming.
   */
  private claimOnWrite(groupSize: number): ClaimRequest | null {
    if (!this.loop || this.stopping) return null;
    const want = Math.min(this.capacity(groupSize), BATCH);
    return want > 0 ? this.claimRequest(want) : null;
  }

  /** A claim of `limit` rows for this instance, fair (WebhookDeliveriesRepository.claimDue); its slots reserved until settled. */
  private claimRequest(limit: number): ClaimRequest {
    this.reserved += limit;
    return {
      claimant: this.instanceId,
      limit,
      leaseSeconds: (this.config.webhookTimeoutMs + CLAIM_MARGIN_MS) / 1000,
      endpointConcurrency: this.config.webhookEndpointConcurrency,
      merchantCap: merchantInFlightCap(this.config.webhookConcurrency),
      notOnTheWire: [...this.answered],
    };
  }

  /** A claim's rows are sent, its reservation released. */
  private settleClaim(request: ClaimRequest, rows: ClaimedDelivery[]): void {
    this.reserved -= request.limit;
    for (const row of rows) void this.dispatch(row);
    if (this.claimWhenSettled) {
      this.claimWhenSettled = false;
      this.wake();
    }
  }

  /**
   * Sends one claimed row and records its outcome. Its sending slot is freed as soon as the
   * receiver has answered (the write joins the next group), its hold when the outcome is written.
   */
  private dispatch(row: ClaimedDelivery): Promise<void> {
    this.sending++;
    let sent = false;
    const freeSlot = () => {
      if (sent) return;
      sent = true;
      this.sending--;
      this.answered.add(row.id);
    };
    // The slot an answer frees is claimed by the write of its outcome; the loop is woken only when that write did not claim.
    const p = this.deliver(row, freeSlot).then((claimedOnWrite) => {
      freeSlot();
      this.answered.delete(row.id);
      this.held.delete(p);
      if (this.saturated && !claimedOnWrite) this.wake();
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

  /** One attempt; resolves with whether its outcome's write also claimed. Never throws (an unwritten claim expires). */
  private async deliver(row: ClaimedDelivery, sent: () => void): Promise<boolean> {
    try {
      if (row.endpoint_status !== 'enabled' || row.endpoint_deleted_at) {
        sent();
        return (await this.record(row, 'dead', null, null, `endpoint ${row.endpoint_deleted_at ? 'deleted' : 'disabled'}`)).claimed;
      }
      const result = await this.attempt(row);
      sent();
      const verdict = judgeAttempt(result.status, result.retryAfterMs, row.attempts, this.config.webhookRetryScheduleMs, Date.now());
      if (verdict.kind === 'delivered') return (await this.record(row, 'delivered', result, null, null)).claimed;
      if (verdict.kind === 'gone') return await this.disableEndpoint(row, result);
      if (verdict.kind === 'retry') return (await this.record(row, 'failed', result, verdict.at, result.error)).claimed;
      return (await this.record(row, 'dead', result, null, result.error)).claimed;
    } catch (err) {
      if (!(err instanceof OutcomeWriteError))
        this.logger.error({ err: (err as Error).message, delivery: row.id }, 'webhook delivery bookkeeping failed; the claim will expire and be retried');
      return false;
    }
  }

  private attempt(row: ClaimedDelivery): Promise<AttemptResult> {
    this.attemptsMade++;
    return attemptDelivery(this.http, row, (at) => this.endpointService.signingSecrets({ ...row, id: row.endpoint_id }, at), this.config.webhookTimeoutMs);
  }

  /** Queues the outcome for the next group write; resolves once written, with whether this instance still held the claim. */
  private record(
    row: ClaimedDelivery,
    status: 'delivered' | 'failed' | 'dead',
    result: AttemptResult | null,
    nextAt: Date | null,
    error: string | null,
  ): Promise<Written> {
    this.metrics?.countDelivery(status);
    const attempt = result && { startedAt: result.startedAt, status: result.status, latencyMs: result.latencyMs, snippet: result.snippet, error: result.error };
    return this.outcomes.record(row, { id: row.id, status, attemptsBefore: row.attempts, attempt, nextAt, error });
  }

  /** 410 Gone: the receiver asked us to stop. Disable the endpoint and dead-letter what was waiting for it. */
  private async disableEndpoint(row: ClaimedDelivery, result: AttemptResult): Promise<boolean> {
    await this.record(row, 'dead', result, null, 'HTTP 410: endpoint disabled');
    const reason = `the endpoint answered 410 Gone at ${result.startedAt.toISOString()}`;
    await this.endpoints.inTransaction(async (manager) => {
      await this.endpoints.disable(manager, row.endpoint_id, reason);
      await this.deliveries.deadLetterWaiting(manager, row.endpoint_id, 'endpoint disabled (410 Gone)');
    });
    this.logger.warn({ endpoint: row.endpoint_id }, 'webhook endpoint disabled after 410 Gone');
    // Claimed again only by the loop, once the endpoint is disabled.
    return false;
  }

  /** At shutdown: anything still claimed by this instance becomes due again at once. */
  private async releaseClaims(): Promise<void> {
    try {
      await this.deliveries.releaseClaims(this.instanceId);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not release webhook claims; they will expire');
    }
  }
}
