import { Injectable, Logger } from '@nestjs/common';
import { scopeOf } from '../common/scope';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/config';
import { AccountNeedsAttentionError, ProviderAccountsService } from '../merchants/provider-accounts.service';
import { Transaction } from '../orders/order.entity';
import { OrderTransitions, TransitionResult } from '../orders/order-transitions.service';
import { PaymentVerifier } from '../orders/payment-verifier.service';
import { NextCheck, TransactionsRepository } from '../orders/transactions.repository';
import { PaymentProvider, ProviderCredentials, ProviderError, VerifyOutcome } from '../providers/provider';
import { mapLimit, planBatches, RunTally } from './plan';
import { NotCalledError, ProviderLimits } from './provider-limits';
import { batchAnswerFor, describeError, nextAfterCheck, planAfterAnswer, planAnswer, planExpiry, planFailure, tallyTransition } from './sweep-decisions';

const ACTOR = 'sweeper';

/** What one run shares across its provider loops. */
export interface RunContext {
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
export interface BatchBook {
  checked: NextCheck[];
  released: NextCheck[];
  /**
   * The batch's answers still being applied (transitions; they never reject). `check` resolves once its
   * gateway calls are done, so the next batch's calls start while these run; the bookkeeping awaits them.
   */
  applying: Promise<void>[];
}

/**
 * Checks one claimed batch of one provider: asks the gateway (one call per transaction, or per
 * group for batch-verify gateways), applies the answers through the state machine and fills the
 * batch's book. Only a status change or a failure costs statements here.
 */
@Injectable()
export class BatchChecker {
  private readonly logger = new Logger('Reconciliation');

  constructor(
    private readonly transactions: TransactionsRepository,
    private readonly accounts: ProviderAccountsService,
    private readonly verifier: PaymentVerifier,
    private readonly transitions: OrderTransitions,
    private readonly limits: ProviderLimits,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Past `budgetEnds` no call starts: what is left is released unchanged by the batch's bookkeeping. Resolves
   * when the gateway calls are done; the answers' transitions may still run (`book.applying`).
   */
  async check(provider: PaymentProvider, txns: Transaction[], ctx: RunContext, book: BatchBook, budgetEnds: number): Promise<void> {
    const batchVerify = provider.capabilities.batchVerify && typeof provider.verifyBatch === 'function';
    if (!provider.capabilities.verify || (!provider.verify && !batchVerify)) {
      await mapLimit(txns, this.config.reconcileConcurrency, (txn) => this.expireOnTime(txn, ctx, book));
    } else if (batchVerify) {
      await this.checkBatches(provider, txns, ctx, book, budgetEnds);
    } else {
      // An answer is applied while the next transaction is asked: the calls never wait for transitions.
      await mapLimit(txns, this.config.reconcileConcurrency, (txn) => this.checkOne(provider, txn, ctx, book, budgetEnds));
    }
  }

  private credentialsFor(ctx: RunContext, txn: Transaction): Promise<ProviderCredentials> {
    const key = `${txn.merchantId}:${txn.livemode}:${txn.provider}`;
    let creds = ctx.credentials.get(key);
    if (!creds) {
      // An account the gateway rejected (needs_attention) is not called again until the merchant fixes it.
      creds = this.accounts.credentials(scopeOf(txn), txn.provider, { skipNeedingAttention: true }).catch((err: unknown) => {
        throw err instanceof AccountNeedsAttentionError ? new ProviderError(err.provider, 'rejected', err.message) : err;
      });
      creds.catch(() => undefined);
      ctx.credentials.set(key, creds);
    }
    return creds;
  }

  /** One transaction, one gateway call (RaksmeyPay verify, Bakong API service check); the answer's application is left in `book.applying`. */
  private async checkOne(provider: PaymentProvider, txn: Transaction, ctx: RunContext, book: BatchBook, budgetEnds: number): Promise<void> {
    if (Date.now() >= budgetEnds) return;
    let account: ProviderCredentials;
    try {
      account = await this.credentialsFor(ctx, txn);
    } catch (err) {
      return this.failed(provider, txn, err, ctx);
    }
    // The call's latency counts from when it leaves (its turn under the gateway's limits), not from the queue for a slot.
    let started = performance.now();
    let outcome: VerifyOutcome;
    try {
      outcome = await this.limits.for(provider.id, account).call(() => {
        started = performance.now();
        return provider.verify!({ transaction: PaymentVerifier.verifyInput(txn), account });
      });
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
    book.applying.push(this.settle(provider, txn, outcome, ctx, book));
  }

  /** Many transactions per call (Bakong Open API): grouped per merchant account, ≤ batchSize each. */
  private async checkBatches(provider: PaymentProvider, txns: Transaction[], ctx: RunContext, book: BatchBook, budgetEnds: number): Promise<void> {
    const groups = planBatches(txns, provider.batchSize ?? 50);
    // A group's answers are applied while the next groups (and the next batch) are asked: the calls never wait for transitions.
    await mapLimit(groups, this.config.reconcileConcurrency, async (group) => {
      if (Date.now() >= budgetEnds) return; // past the budget: released unchanged with the batch
      let account: ProviderCredentials;
      try {
        account = await this.credentialsFor(ctx, group.txns[0]);
      } catch (err) {
        for (const txn of group.txns) await this.failed(provider, txn, err, ctx);
        return;
      }
      let started = performance.now(); // from the call's turn, as in checkOne
      let answers: Map<string, VerifyOutcome | ProviderError>;
      try {
        answers = await this.limits.for(provider.id, account).call(() => {
          started = performance.now();
          return provider.verifyBatch!(
            group.txns.map((txn) => ({ transaction: PaymentVerifier.verifyInput(txn), account })),
            account,
          );
        });
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
      // settleGroup never rejects (failures are recorded on their transactions); the batch awaits it.
      book.applying.push(this.settleGroup(provider, group.txns, answers, ctx, book));
    });
  }

  /**
   * Applies a gateway's answer; past expiry, a transaction still PENDING after its final check
   * expires. Only a status change costs statements here (OrderTransitions, one by one: each
   * writes its event); the check itself and the release go into the batch's book.
   */
  private async settle(provider: PaymentProvider, txn: Transaction, outcome: VerifyOutcome, ctx: RunContext, book: BatchBook): Promise<void> {
    const now = this.clock.now();
    const plan = planAnswer(txn, outcome, now);
    if (plan.kind === 'record') {
      book.checked.push(plan.check);
      return;
    }
    try {
      const result = await this.verifier.applyAnswer(txn, outcome, ACTOR);
      await this.afterApplied(txn, result, plan.finalCheck, now, ctx, book);
    } catch (err) {
      await this.unapplied(provider, txn, err, ctx);
    }
  }

  /**
   * settle() for one batch call's answers: the status changes among them are applied in ONE database
   * transaction (PaymentVerifier.applyAnswers: one commit per call, not per payment; each order still its
   * own compare-and-set and event; if that transaction fails, each is applied on its own).
   */
  private async settleGroup(
    provider: PaymentProvider,
    txns: readonly Transaction[],
    answers: ReadonlyMap<string, VerifyOutcome | ProviderError>,
    ctx: RunContext,
    book: BatchBook,
  ): Promise<void> {
    const now = this.clock.now();
    const changes: { txn: Transaction; outcome: VerifyOutcome; finalCheck: boolean }[] = [];
    for (const txn of txns) {
      const answer = batchAnswerFor(answers, provider.id, txn.providerReference);
      if (answer instanceof Error) {
        await this.failed(provider, txn, answer, ctx);
        continue;
      }
      const plan = planAnswer(txn, answer, now);
      if (plan.kind === 'record') book.checked.push(plan.check);
      else changes.push({ txn, outcome: answer, finalCheck: plan.finalCheck });
    }
    if (!changes.length) return;
    let results: PromiseSettledResult<TransitionResult | null>[];
    try {
      results = await this.verifier.applyAnswers(changes, ACTOR);
    } catch (err) {
      results = changes.map(() => ({ status: 'rejected', reason: err }));
    }
    for (const [i, { txn, finalCheck }] of changes.entries()) {
      const settled = results[i];
      try {
        if (settled.status === 'rejected') throw settled.reason;
        await this.afterApplied(txn, settled.value, finalCheck, now, ctx, book);
      } catch (err) {
        await this.unapplied(provider, txn, err, ctx);
      }
    }
  }

  /** What follows an applied answer: the tally, the expiry a final check calls for, and the check in the batch's book. */
  private async afterApplied(
    txn: Transaction,
    result: TransitionResult | null,
    finalCheck: boolean,
    now: Date,
    ctx: RunContext,
    book: BatchBook,
  ): Promise<void> {
    tallyTransition(ctx.tally, result);
    const after = planAfterAnswer(txn, result, finalCheck, now);
    if (after.expire) {
      await this.expire(txn, 'expired: the final check at expiry found no payment', ctx);
    }
    book.checked.push(after.check);
  }

  /** Expires the order of `txn` for the sweeper, with the reason its audit trail shows, and counts the outcome. */
  private async expire(txn: Transaction, reason: string, ctx: RunContext): Promise<void> {
    tallyTransition(ctx.tally, await this.transitions.apply(txn.orderId, { kind: 'expire' }, { transactionId: txn.id, actor: ACTOR, reason }));
  }

  /** Providers without a verify API (Ahnajak, hosted checkout): their callbacks confirm payments; we expire on time. */
  private async expireOnTime(txn: Transaction, ctx: RunContext, book: BatchBook): Promise<void> {
    try {
      const plan = planExpiry(txn, this.clock.now());
      if (plan.kind === 'release') {
        book.released.push(plan.release);
        return;
      }
      await this.expire(txn, 'expired: no payment was reported before expires_at', ctx);
      book.released.push({ id: txn.id, nextCheckAt: null });
    } catch (err) {
      ctx.tally.errors++;
      this.logger.error(`expiring ${txn.id} failed: ${describeError(err)}`);
    }
  }

  /** The gateway did not answer usably (or was not asked): recorded, then released with its next check, or expired past the give-up time. */
  private async failed(provider: PaymentProvider, txn: Transaction, err: unknown, ctx: RunContext): Promise<void> {
    ctx.tally.errors++;
    try {
      const plan = planFailure(txn, err, this.clock.now());
      if (plan.record.kind === 'skipped') {
        await this.transactions.recordSkippedCheck(txn.id, plan.record.reason);
      } else {
        await this.verifier.recordFailure(txn, err);
        if (plan.record.unexpected) this.logger.error(`checking ${txn.id} at ${provider.id} threw: ${describeError(err)}`, (err as Error)?.stack);
      }
      if (plan.expire) {
        await this.expire(txn, 'expired: the gateway could not be reached for a final check within 24 hours after expiry', ctx);
      }
      await this.transactions.release(ctx.runId, plan.release);
    } catch (inner) {
      this.logger.error(`recording the failed check of ${txn.id} failed: ${describeError(inner)}`);
    }
  }

  /** A database or state-machine failure while applying an answer: recorded, the run goes on. */
  private async unapplied(provider: PaymentProvider, txn: Transaction, err: unknown, ctx: RunContext): Promise<void> {
    this.logger.error(`applying ${provider.id}'s answer for ${txn.id} failed: ${describeError(err)}`, (err as Error)?.stack);
    ctx.tally.errors++;
    try {
      // The gateway did answer: the check counts, with the failure to apply it as its error.
      await this.transactions.recordUnappliedCheck(txn.id, `error: ${describeError(err)}`);
      await this.transactions.release(ctx.runId, { id: txn.id, nextCheckAt: nextAfterCheck(txn, this.clock.now()) });
    } catch {
      // The lease lapses on its own; the next sweep retries.
    }
  }
}
