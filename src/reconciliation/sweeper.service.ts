import { Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { hostname } from 'node:os';
import { newId } from '../common/ids';
import { problem } from '../common/problem';
import { RECONCILIATION_ERRORS } from './reconciliation.errors';
import { AppConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { Transaction } from '../orders/order.entity';
import { TransactionsRepository } from '../orders/transactions.repository';
import { PaymentProvider, ProviderRegistry } from '../providers/provider';
import { BatchBook, BatchChecker, RunContext } from './batch-checker';
import { RefundChecker } from './refund-checker';
import { RunTally } from './plan';
import { ReconciliationRun, RunTrigger } from './reconciliation-run.entity';
import { ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { describeError } from './sweep-decisions';

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
    private readonly runs: ReconciliationRunsRepository,
    private readonly transactions: TransactionsRepository,
    private readonly registry: ProviderRegistry,
    private readonly checker: BatchChecker,
    private readonly config: AppConfig,
    @Optional() private readonly refunds?: RefundChecker,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * One sweep. `scheduled` checks what is due (next_check_at <= now); `manual` checks every
   * PENDING transaction now. Resolves with the finished run record.
   */
  async run(trigger: RunTrigger, options: RunOptions = {}): Promise<ReconciliationRun> {
    if (this.stopping) throw problem(RECONCILIATION_ERRORS.shutting_down, 'this instance is shutting down; run the sweep on another instance');
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
    await this.runs.closeInterrupted(STALE_RUN_SECONDS);
    const startedAt = await this.runs.start(runId, trigger, this.instance);
    const ctx: RunContext = {
      runId,
      manual: trigger === 'manual',
      startedAt,
      tally: new RunTally(),
      credentials: new Map(),
      interrupted: false,
      lastProgressAt: Date.now(),
      onProgress: options.onProgress,
    };
    const providers = this.registry.all();
    const renew = setInterval(() => {
      this.transactions
        .renewLeases(runId, CLAIM_LEASE_SECONDS)
        .then(() => this.runs.heartbeat(runId))
        .catch((err: unknown) => this.logger.warn(`renewing the claims of run ${runId} failed: ${describeError(err)}`));
    }, CLAIM_RENEW_EVERY_MS);
    renew.unref();
    let outcomes: PromiseSettledResult<void>[];
    try {
      // PENDING refunds (src/refunds/) are checked beside the payments, by their own checker.
      const refunds = this.refunds ? [this.refunds.sweep(ctx, () => this.stopping)] : [];
      outcomes = await Promise.allSettled([...providers.map((p) => this.sweepProvider(p, ctx)), ...refunds]);
    } finally {
      clearInterval(renew);
    }
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) this.logger.error(`run ${runId} failed: ${describeError(failure.reason)}`, (failure.reason as Error)?.stack);
    // Anything still claimed by this run (a batch cut short) goes back to the pool now, not at lease expiry.
    await this.transactions.releaseAll(runId).catch(() => undefined);
    const status = failure ? 'failed' : ctx.interrupted ? 'interrupted' : 'completed';
    const t = ctx.tally;
    const run = await this.runs.finish(runId, status, t, failure ? describeError(failure.reason).slice(0, 500) : null);
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
      const claiming = this.transactions.claimDue({
        provider: provider.id,
        holder: ctx.runId,
        sweptBefore: ctx.startedAt,
        everyPending: ctx.manual,
        limit: claimSize,
        leaseSeconds: CLAIM_LEASE_SECONDS,
      });
      claiming.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      return claiming;
    };
    if (this.stopping) {
      ctx.interrupted = true;
      return;
    }
    // Each provider's part of a scheduled run has its own time budget (RECONCILE_BUDGET_SECONDS): past it no new call starts and
    // what is left is released unchanged for the next sweep, so one slow gateway or merchant host can neither keep the run open nor
    // make the job skip its ticks. An on-demand run checks every PENDING transaction (its calls are still bounded by their deadline,
    // the capped Retry-After and the breakers).
    const budgetEnds = ctx.manual ? Infinity : Date.now() + this.config.reconcileBudgetSeconds * 1000;
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
        const book: BatchBook = { checked: [], released: [], applying: [] };
        try {
          await this.checker.check(provider, txns, ctx, book, budgetEnds);
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

  /** One batch's bookkeeping once its transitions are done (they run beside the next batch's calls): its checks and releases, each kind in one statement. */
  private async finishBatch(ctx: RunContext, txns: readonly Transaction[], book: BatchBook): Promise<void> {
    try {
      await Promise.all(book.applying);
      await this.transactions.recordChecks(book.checked, ctx.runId);
      await this.transactions.releaseMany(ctx.runId, book.released);
    } finally {
      // Normally every transaction was released above or where it was handled (an update of no row); a failure left this one claimed. Marked swept so this run moves on.
      await this.transactions.releaseSwept(
        ctx.runId,
        txns.map((t) => t.id),
      );
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
