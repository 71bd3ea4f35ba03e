import { Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { ProblemException } from '../common/problem';
import { AppConfig } from '../config/config';
import { AccountNeedsAttentionError, ProviderAccountsService } from '../merchants/provider-accounts.service';
import { MetricsService } from '../metrics/metrics.service';
import { Transaction } from '../orders/order.entity';
import { OrderTransitions, TransitionResult } from '../orders/order-transitions.service';
import { CheckRecord, PaymentVerifier } from '../orders/payment-verifier.service';
import { PaymentProvider, ProviderCredentials, ProviderError, ProviderRegistry, VerifyOutcome } from '../providers/provider';
import { nextCheckAt, shouldGiveUp } from './backoff';
import { mapLimit, planBatches, RunTally } from './plan';
import { NotCalledError, ProviderLimits } from './provider-limits';
import { ReconciliationRun, RunTrigger } from './reconciliation-run.entity';
import { hydrateEntity, returnedRows } from '../database/rows';

/** Transactions claimed per provider per round trip (batch-verify providers: ten batches' worth). */
export const CLAIM_BATCH = 100;
/**
 * How long a claim holds without renewal. A live run renews its claims every
 * CLAIM_RENEW_EVERY_MS however long its batches take; a killed instance stops renewing, so its
 * claims lapse within this and another sweep takes the transactions over (payments found at
 * the gateway are not held back for long by a crash).
 */
export const CLAIM_LEASE_SECONDS = 30;
export const CLAIM_RENEW_EVERY_MS = 10_000;
/** A running run whose heartbeat (renewed with its leases) is older than this belongs to a dead instance. */
export const STALE_RUN_SECONDS = 60;
/** A long run logs its progress this often. */
const PROGRESS_EVERY_MS = 10_000;
const ACTOR = 'sweeper';

interface RunContext {
  runId: string;
  manual: boolean;
  /** Database time at the start: a transaction swept since then is not claimed again by this run. */
  startedAt: Date;
  tally: RunTally;
  credentials: Map<string, Promise<ProviderCredentials>>;
  interrupted: boolean;
  lastProgressAt: number;
  onProgress?: () => void;
}

/**
 * The bookkeeping of one claimed batch, written when the batch is done: every answered check
 * that needs no transition costs no statement of its own; the batch's checks are recorded and
 * their leases released with their next check times in ONE statement, the merely released
 * (expire-only providers before expiry) in another.
 */
interface BatchBook {
  checked: CheckRecord[];
  released: CheckRecord[];
}

export interface RunOptions {
  /** Called after every claimed batch (the job beats its heartbeat here). */
  onProgress?: () => void;
}

/**
 * The reconciliation sweeper: claims PENDING transactions, asks their gateways, applies the
 * answers through the state machine, expires what is past expiry, and records the run.
 *
 * Safe with several instances on one database: a claim is an UPDATE of rows picked with
 * FOR UPDATE SKIP LOCKED that stamps a lease (claimed_until), so two sweepers never hold the
 * same transaction, and the state machine's compare-and-set makes any racing transition a
 * no-op. Providers are swept concurrently, each under its own limits, so one gateway's outage
 * never stalls another's.
 */
@Injectable()
export class SweeperService implements OnModuleDestroy {
  private readonly logger = new Logger('Reconciliation');
  private readonly instance = `${hostname()}:${process.pid}`;
  private readonly active = new Map<string, Promise<ReconciliationRun>>();
  private stopping = false;

  constructor(
    private readonly db: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly accounts: ProviderAccountsService,
    private readonly verifier: PaymentVerifier,
    private readonly transitions: OrderTransitions,
    private readonly limits: ProviderLimits,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * One sweep. `scheduled` checks what is due (next_check_at <= now); `manual` checks every
   * PENDING transaction now. Resolves with the finished run record.
   */
  async run(trigger: RunTrigger, options: RunOptions = {}): Promise<ReconciliationRun> {
    if (this.stopping) throw new ProblemException(503, 'shutting_down', 'this instance is shutting down; run the sweep on another instance');
    const runId = newId('run');
    const promise = this.execute(runId, trigger, options);
    this.active.set(runId, promise);
    try {
      return await promise;
    } finally {
      this.active.delete(runId);
    }
  }

  /** Graceful shutdown: stop claiming, let in-flight batches finish, release leases, record the runs. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.active.values()]);
  }

  private async execute(runId: string, trigger: RunTrigger, options: RunOptions): Promise<ReconciliationRun> {
    // A run whose instance died (kill -9, lost host) stopped beating: close it so the history doesn't show it running forever.
    await this.db.query(
      `UPDATE reconciliation_runs SET status = 'interrupted', finished_at = heartbeat_at, error = 'its instance stopped without finishing the run (no heartbeat for ${STALE_RUN_SECONDS} s)'
       WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1)`,
      [STALE_RUN_SECONDS],
    );
    const [{ now }] = returnedRows<{ now: Date }>(
      await this.db.query(`INSERT INTO reconciliation_runs (id, trigger, status, instance, started_at, heartbeat_at) VALUES ($1, $2, 'running', $3, now(), now()) RETURNING started_at AS now`, [
        runId,
        trigger,
        this.instance,
      ]),
    );
    const ctx: RunContext = {
      runId,
      manual: trigger === 'manual',
      startedAt: new Date(now),
      tally: new RunTally(),
      credentials: new Map(),
      interrupted: false,
      lastProgressAt: Date.now(),
      onProgress: options.onProgress,
    };
    const providers = this.registry.all();
    const renew = setInterval(() => {
      this.db
        // SKIP LOCKED: a row being released right now (a batch's bookkeeping statement locks many) is skipped, so the two never deadlock.
        .query(
          `UPDATE transactions SET claimed_until = now() + make_interval(secs => $2)
           WHERE id IN (SELECT id FROM transactions WHERE claimed_by = $1 FOR UPDATE SKIP LOCKED) AND claimed_by = $1`,
          [runId, CLAIM_LEASE_SECONDS],
        )
        .then(() => this.db.query(`UPDATE reconciliation_runs SET heartbeat_at = now() WHERE id = $1`, [runId]))
        .catch((err: unknown) => this.logger.warn(`renewing the claims of run ${runId} failed: ${describe(err)}`));
    }, CLAIM_RENEW_EVERY_MS);
    renew.unref();
    let outcomes: PromiseSettledResult<void>[];
    try {
      outcomes = await Promise.allSettled(providers.map((p) => this.sweepProvider(p, ctx)));
    } finally {
      clearInterval(renew);
    }
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) this.logger.error(`run ${runId} failed: ${describe(failure.reason)}`, (failure.reason as Error)?.stack);
    // Anything still claimed by this run (a batch cut short) goes back to the pool now, not at lease expiry.
    await this.db.query(`UPDATE transactions SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = $1`, [runId]).catch(() => undefined);
    const status = failure ? 'failed' : ctx.interrupted ? 'interrupted' : 'completed';
    const t = ctx.tally;
    await this.db.query(
      `UPDATE reconciliation_runs SET status = $2, finished_at = now(), claimed = $3, checked = $4, paid = $5, expired = $6, flagged = $7, errors = $8, providers = $9, error = $10 WHERE id = $1`,
      [runId, status, t.claimed, t.checked, t.paid, t.expired, t.flagged, t.errors, t.providers(), failure ? describe(failure.reason).slice(0, 500) : null],
    );
    const run = await this.db.getRepository(ReconciliationRun).findOneByOrFail({ id: runId });
    this.metrics?.observeSweep(trigger, (run.finishedAt!.getTime() - run.startedAt.getTime()) / 1000);
    const seconds = Math.round((run.finishedAt!.getTime() - run.startedAt.getTime()) / 100) / 10; // a duration, not money
    const summary = `run ${runId} (${trigger}) ${status} in ${seconds}s: claimed ${t.claimed}, checked ${t.checked}, paid ${t.paid}, expired ${t.expired}, flagged ${t.flagged}, errors ${t.errors}`;
    if (t.claimed > 0 || status !== 'completed') this.logger.log(summary);
    else this.logger.debug(summary);
    return run;
  }

  /**
   * Claims and handles one provider's transactions batch after batch until none is left. The
   * next batch is claimed while this one is checked, and a batch's bookkeeping is written while
   * the next one is checked, so the gateway calls never wait for either.
   */
  private async sweepProvider(provider: PaymentProvider, ctx: RunContext): Promise<void> {
    const batchVerify = provider.capabilities.batchVerify && typeof provider.verifyBatch === 'function';
    const claimSize = batchVerify ? Math.max(CLAIM_BATCH, (provider.batchSize ?? 50) * 10) : CLAIM_BATCH;
    const claimNext = (): Promise<Transaction[]> => {
      const claiming = this.claim(ctx, provider.id, claimSize);
      claiming.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      return claiming;
    };
    if (this.stopping) {
      ctx.interrupted = true;
      return;
    }
    // Each provider's part of a run has its own time budget (RECONCILE_BUDGET_SECONDS): past it no new call starts and what is
    // left is released unchanged for the next sweep, so one slow gateway or merchant host can neither keep the run open nor make the job skip its ticks.
    const budgetEnds = Date.now() + this.config.reconcileBudgetSeconds * 1000;
    let next = claimNext();
    let finishing: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        const txns = await next;
        if (!txns.length) return;
        if (Date.now() >= budgetEnds) {
          // Claimed ahead but not started: given back with the run's other leases, unchanged and still due.
          this.logger.warn(`run ${ctx.runId}: ${provider.id} used its time budget; what is left is checked by the next sweep`);
          return;
        }
        if (this.stopping) {
          // Claimed ahead but not started: given back with the run's other leases, unchecked.
          ctx.interrupted = true;
          return;
        }
        next = claimNext();
        ctx.tally.claimed += txns.length;
        ctx.tally.touch(provider.id);
        const book: BatchBook = { checked: [], released: [] };
        try {
          if (!provider.capabilities.verify || (!provider.verify && !batchVerify)) {
            await mapLimit(txns, this.config.reconcileConcurrency, (txn) => this.expireOnTime(txn, ctx, book));
          } else if (batchVerify) {
            await this.checkBatches(provider, txns, ctx, book, budgetEnds);
          } else {
            // An answer is applied while the next transaction is asked: the calls never wait for transitions.
            const applying: Promise<void>[] = [];
            await mapLimit(txns, this.config.reconcileConcurrency, (txn) => this.checkOne(provider, txn, ctx, book, applying, budgetEnds));
            await Promise.all(applying);
          }
        } finally {
          await finishing;
          finishing = this.finishBatch(ctx, txns, book);
          finishing.catch(() => undefined); // awaited with the next batch or on the way out
        }
        this.progress(ctx);
      }
    } finally {
      // Nothing of this loop outlives it: the last bookkeeping is written and a claim in flight has landed (the run then releases it).
      await Promise.allSettled([next]);
      await finishing;
    }
  }

  /** One batch's bookkeeping: its checks and releases, each kind in one statement. */
  private async finishBatch(ctx: RunContext, txns: readonly Transaction[], book: BatchBook): Promise<void> {
    try {
      await this.verifier.recordChecks(book.checked, ctx.runId);
      await this.releaseMany(ctx, book.released);
    } finally {
      // Normally every transaction was released above or where it was handled (an update of no row); a failure left this one claimed. Marked swept so this run moves on.
      await this.db.query(`UPDATE transactions SET claimed_until = NULL, claimed_by = NULL, swept_at = now() WHERE claimed_by = $1 AND id = ANY($2)`, [ctx.runId, txns.map((t) => t.id)]);
    }
  }

  /**
   * Claims up to `limit` transactions of one provider for this run: due ones (or every PENDING
   * one for a manual run), not leased by anyone, not already swept by this run. The row locks
   * are held only for this one statement; the lease is what keeps other sweepers away.
   */
  private async claim(ctx: RunContext, provider: string, limit: number): Promise<Transaction[]> {
    const rows: unknown = await this.db.query(
      `WITH picked AS (
         SELECT id FROM transactions
         WHERE status = 'PENDING' AND provider = $1
           AND (claimed_until IS NULL OR claimed_until < now())
           AND (swept_at IS NULL OR swept_at < $2)
           AND ($3::boolean OR next_check_at <= now())
         ORDER BY next_check_at NULLS FIRST, id
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE transactions t SET claimed_until = now() + make_interval(secs => $5), claimed_by = $6
       FROM picked WHERE t.id = picked.id
       RETURNING t.*`,
      [provider, ctx.startedAt, ctx.manual, limit, CLAIM_LEASE_SECONDS, ctx.runId],
    );
    // The claimed rows themselves, not read back with a second query.
    const txns = returnedRows<Record<string, unknown>>(rows).map((row) => hydrateEntity(this.db, Transaction, row));
    return txns.sort((a, b) => (a.nextCheckAt?.getTime() ?? -Infinity) - (b.nextCheckAt?.getTime() ?? -Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }


  /** Gives transactions back without a check (expire-only providers before expiry), in one statement. */
  private async releaseMany(ctx: RunContext, releases: readonly CheckRecord[]): Promise<void> {
    if (!releases.length) return;
    await this.db.query(
      `UPDATE transactions t SET claimed_until = NULL, claimed_by = NULL, swept_at = now(),
         next_check_at = CASE WHEN t.status = 'PENDING' THEN u.next ELSE NULL END
       FROM unnest($1::text[], $2::timestamptz[]) AS u(id, next)
       WHERE t.id = u.id AND t.claimed_by = $3`,
      [releases.map((r) => r.id), releases.map((r) => r.nextCheckAt), ctx.runId],
    );
  }

  /** Gives the transaction back with its next check (null: no further scheduled check). */
  private async release(ctx: RunContext, txn: Transaction, next: Date | null): Promise<void> {
    await this.db.query(
      `UPDATE transactions SET claimed_until = NULL, claimed_by = NULL, swept_at = now(),
         next_check_at = CASE WHEN status = 'PENDING' THEN $3::timestamptz ELSE NULL END
       WHERE id = $1 AND claimed_by = $2`,
      [txn.id, ctx.runId, next],
    );
  }

  private credentialsFor(ctx: RunContext, txn: Transaction): Promise<ProviderCredentials> {
    const key = `${txn.merchantId}:${txn.provider}`;
    let creds = ctx.credentials.get(key);
    if (!creds) {
      // An account the gateway rejected (needs_attention) is not called again until the merchant fixes it.
      creds = this.accounts.credentials(txn.merchantId, txn.provider, { skipNeedingAttention: true }).catch((err: unknown) => {
        throw err instanceof AccountNeedsAttentionError ? new ProviderError(err.provider, 'rejected', err.message) : err;
      });
      creds.catch(() => undefined);
      ctx.credentials.set(key, creds);
    }
    return creds;
  }

  /**
   * One transaction, one gateway call (RaksmeyPay verify, Bakong API service check); the answer's
   * application is left in `applying`. Past the provider's budget it is not started: the batch's
   * bookkeeping releases it unchanged.
   */
  private async checkOne(provider: PaymentProvider, txn: Transaction, ctx: RunContext, book: BatchBook, applying: Promise<void>[], budgetEnds: number): Promise<void> {
    if (Date.now() >= budgetEnds) return;
    let account: ProviderCredentials;
    try {
      account = await this.credentialsFor(ctx, txn);
    } catch (err) {
      return this.failed(provider, txn, err, ctx);
    }
    const started = performance.now();
    let outcome: VerifyOutcome;
    try {
      outcome = await this.limits.for(provider.id, account).call(() => provider.verify!({ transaction: PaymentVerifier.verifyInput(txn), account }));
    } catch (err) {
      if (!(err instanceof NotCalledError)) {
        ctx.tally.checked++;
        ctx.tally.call(provider.id, performance.now() - started, false);
      }
      return this.failed(provider, txn, err, ctx);
    }
    ctx.tally.checked++;
    ctx.tally.call(provider.id, performance.now() - started, true);
    // settle never rejects (a failure is recorded on the transaction); the batch awaits it.
    applying.push(this.settle(provider, txn, outcome, ctx, book));
  }

  /** Many transactions per call (Bakong Open API): grouped per merchant account, ≤ batchSize each. */
  private async checkBatches(provider: PaymentProvider, txns: Transaction[], ctx: RunContext, book: BatchBook, budgetEnds: number): Promise<void> {
    const groups = planBatches(txns, provider.batchSize ?? 50);
    // A group's answers are applied while the next groups are asked: the calls never wait for transitions.
    const applying: Promise<void>[] = [];
    await mapLimit(groups, this.config.reconcileConcurrency, async (group) => {
      if (Date.now() >= budgetEnds) return; // past the budget: released unchanged with the batch
      let account: ProviderCredentials;
      try {
        account = await this.credentialsFor(ctx, group.txns[0]);
      } catch (err) {
        for (const txn of group.txns) await this.failed(provider, txn, err, ctx);
        return;
      }
      const started = performance.now();
      let answers: Map<string, VerifyOutcome | ProviderError>;
      try {
        answers = await this.limits
          .for(provider.id, account)
          .call(() => provider.verifyBatch!(group.txns.map((txn) => ({ transaction: PaymentVerifier.verifyInput(txn), account })), account));
      } catch (err) {
        if (!(err instanceof NotCalledError)) {
          ctx.tally.checked += group.txns.length;
          ctx.tally.call(provider.id, performance.now() - started, false);
        }
        for (const txn of group.txns) await this.failed(provider, txn, err, ctx);
        return;
      }
      ctx.tally.checked += group.txns.length;
      ctx.tally.call(provider.id, performance.now() - started, true);
      applying.push(
        mapLimit(group.txns, this.config.reconcileConcurrency, async (txn) => {
          const answer = answers.get(txn.providerReference);
          if (answer === undefined) {
            return this.failed(provider, txn, new ProviderError(provider.id, 'bad_response', 'the batch answer did not mention this payment'), ctx);
          }
          if (answer instanceof Error) return this.failed(provider, txn, answer, ctx);
          return this.settle(provider, txn, answer, ctx, book);
        }),
      );
    });
    await Promise.all(applying);
  }

  /**
   * Applies a gateway's answer; past expiry, a transaction still PENDING after its final check
   * expires. Only a status change costs statements here (OrderTransitions, one by one: each
   * writes its event); the check itself and the release go into the batch's book.
   */
  private async settle(provider: PaymentProvider, txn: Transaction, outcome: VerifyOutcome, ctx: RunContext, book: BatchBook): Promise<void> {
    const now = this.clock.now();
    const finalCheck = now.getTime() >= txn.expiresAt.getTime();
    const next = () => nextCheckAt({ checkCount: txn.checkCount + 1, expiresAt: txn.expiresAt, now });
    if (outcome.status === 'PENDING' && !finalCheck) {
      book.checked.push({ id: txn.id, nextCheckAt: next() });
      return;
    }
    try {
      const result = await this.verifier.applyAnswer(txn, outcome, ACTOR);
      this.count(ctx, result);
      const stillPending = !result || result.transaction.status === 'PENDING';
      if (stillPending && finalCheck) {
        // Expired now, or the order was already final (e.g. paid through another transaction): nothing left to check.
        const expired = await this.transitions.apply(txn.orderId, { kind: 'expire' }, { transactionId: txn.id, actor: ACTOR, reason: 'expired: the final check at expiry found no payment' });
        this.count(ctx, expired);
        book.checked.push({ id: txn.id, nextCheckAt: null });
        return;
      }
      book.checked.push({ id: txn.id, nextCheckAt: stillPending ? next() : null });
    } catch (err) {
      await this.unexpected(provider, txn, err, ctx);
    }
  }

  /** Providers without a verify API (Ahnajak, hosted checkout): their callbacks confirm payments; we expire on time. */
  private async expireOnTime(txn: Transaction, ctx: RunContext, book: BatchBook): Promise<void> {
    try {
      if (this.clock.now().getTime() < txn.expiresAt.getTime()) {
        book.released.push({ id: txn.id, nextCheckAt: txn.expiresAt });
        return;
      }
      const result = await this.transitions.apply(txn.orderId, { kind: 'expire' }, { transactionId: txn.id, actor: ACTOR, reason: 'expired: no payment was reported before expires_at' });
      this.count(ctx, result);
      book.released.push({ id: txn.id, nextCheckAt: null });
    } catch (err) {
      ctx.tally.errors++;
      this.logger.error(`expiring ${txn.id} failed: ${describe(err)}`);
    }
  }

  /** The gateway did not answer usably (or was not asked: open circuit, paused host, missing account). */
  private async failed(provider: PaymentProvider, txn: Transaction, err: unknown, ctx: RunContext): Promise<void> {
    ctx.tally.errors++;
    try {
      const now = this.clock.now();
      let checkCount = txn.checkCount;
      if (err instanceof NotCalledError) {
        // Not a check: the count (so the back-off) stays, the reason is kept for the operator.
        await this.db.query(`UPDATE transactions SET last_error = $2, updated_at = now() WHERE id = $1`, [txn.id, `${err.reason}: ${err.message}`.slice(0, 500)]);
      } else {
        await this.verifier.recordFailure(txn, err);
        checkCount++;
        if (!(err instanceof ProviderError) && !(err instanceof ProblemException)) this.logger.error(`checking ${txn.id} at ${provider.id} threw: ${describe(err)}`, (err as Error)?.stack);
      }
      if (shouldGiveUp(txn.expiresAt, now)) {
        const result = await this.transitions.apply(txn.orderId, { kind: 'expire' }, { transactionId: txn.id, actor: ACTOR, reason: 'expired: the gateway could not be reached for a final check within 24 hours after expiry' });
        this.count(ctx, result);
        return this.release(ctx, txn, null);
      }
      const retryAfterSeconds = err instanceof ProviderError ? err.retryAfterSeconds : undefined;
      await this.release(ctx, txn, nextCheckAt({ checkCount, expiresAt: txn.expiresAt, now, retryAfterSeconds }));
    } catch (inner) {
      this.logger.error(`recording the failed check of ${txn.id} failed: ${describe(inner)}`);
    }
  }

  /** A database or state-machine failure while applying an answer: recorded, the run goes on. */
  private async unexpected(provider: PaymentProvider, txn: Transaction, err: unknown, ctx: RunContext): Promise<void> {
    this.logger.error(`applying ${provider.id}'s answer for ${txn.id} failed: ${describe(err)}`, (err as Error)?.stack);
    ctx.tally.errors++;
    try {
      // The gateway did answer: the check counts, with the failure to apply it as its error.
      await this.db.query(`UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = $2, updated_at = now() WHERE id = $1`, [
        txn.id,
        `error: ${describe(err)}`.slice(0, 500),
      ]);
      await this.release(ctx, txn, nextCheckAt({ checkCount: txn.checkCount + 1, expiresAt: txn.expiresAt, now: this.clock.now() }));
    } catch {
      // The lease lapses on its own; the next sweep retries.
    }
  }

  private count(ctx: RunContext, result: TransitionResult | null): void {
    if (!result?.changed) return;
    const d = result.decision;
    if (d.outcome === 'flag') ctx.tally.flagged++;
    else if (d.outcome === 'transition') {
      if (d.to === 'PAID') ctx.tally.paid++;
      else if (d.to === 'EXPIRED') ctx.tally.expired++;
      if (d.addFlags.length) ctx.tally.flagged++;
    }
  }

  private progress(ctx: RunContext): void {
    ctx.onProgress?.();
    const now = Date.now();
    if (now - ctx.lastProgressAt < PROGRESS_EVERY_MS) return;
    ctx.lastProgressAt = now;
    const t = ctx.tally;
    this.logger.log(`run ${ctx.runId} in progress: claimed ${t.claimed}, checked ${t.checked}, paid ${t.paid}, expired ${t.expired}, errors ${t.errors}`);
  }
}


function describe(err: unknown): string {
  if (err instanceof ProviderError) return `${err.kind}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
