import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { ProviderError, RefundOutcome } from '../providers/provider';
import type { Refund } from '../refunds/refund.presenter';
import { RefundOutcomes } from '../refunds/refund-outcomes';
import { RefundsRepository } from '../refunds/refunds.repository';
import type { RunContext } from './batch-checker';
import { mapLimit } from './plan';
import { NotCalledError, ProviderLimits } from './provider-limits';
import { describeError } from './sweep-decisions';

/**
 * The sweeper's part for refunds: claims due PENDING refunds (FOR UPDATE SKIP LOCKED and a lease, like
 * transactions), asks each one's gateway with checkRefund (never a second refund) under the same
 * per-host limits as payment checks, and applies the answer through RefundOutcomes (compare-and-set on
 * the refund's status, event in the same database transaction). A refund is asked again on its own
 * back-off until the gateway says SUCCEEDED or FAILED. A scheduled run takes what is due; an on-demand
 * run every PENDING refund.
 */
@Injectable()
export class RefundChecker {
  private readonly logger = new Logger('Reconciliation');

  constructor(
    private readonly refunds: RefundsRepository,
    private readonly outcomes: RefundOutcomes,
    private readonly limits: ProviderLimits,
    private readonly config: AppConfig,
  ) {}

  /** One round of calls per claim (reconcileConcurrency refunds), each bounded by the provider deadline: the lease outlasts it. */
  async sweep(ctx: RunContext, stopping: () => boolean): Promise<void> {
    const limit = this.config.reconcileConcurrency;
    const leaseSeconds = Math.ceil((2 * this.config.providerTimeoutMs) / 1000) + 30;
    // The creating request's own call lasts at most the provider deadline (twice it, for the margin firstRefundCheckAt keeps).
    const inFlightSeconds = Math.ceil((2 * this.config.providerTimeoutMs) / 1000);
    try {
      while (!stopping()) {
        const claimed = await this.refunds.claimDue({
          holder: ctx.runId,
          sweptBefore: ctx.startedAt,
          everyPending: ctx.manual,
          limit,
          leaseSeconds,
          inFlightSeconds,
        });
        if (!claimed.length) return;
        await mapLimit(claimed, limit, (refund) => this.checkOne(refund, ctx));
      }
      ctx.interrupted = true;
    } finally {
      await this.refunds.releaseAll(ctx.runId).catch(() => undefined);
    }
  }

  private async checkOne(refund: Refund, ctx: RunContext): Promise<void> {
    const started = performance.now();
    let called = false;
    let answered = false;
    try {
      const call = await this.outcomes.callFor(refund);
      const others = await this.refunds.othersAtGateway(refund);
      let outcome: RefundOutcome;
      try {
        outcome = await this.limits.for(call.provider.id, call.input.account).call(() => {
          called = true;
          return call.provider.checkRefund({ ...call.input, providerRefundId: refund.providerRefundId, others });
        });
        answered = true;
      } finally {
        // A call the limits held back (open circuit, paused host) was not made: not counted as one.
        if (called) ctx.tally.call(refund.provider, performance.now() - started, answered);
      }
      await this.outcomes.apply(refund, outcome);
    } catch (err) {
      ctx.tally.errors++;
      if (!(err instanceof ProviderError) && !(err instanceof NotCalledError)) this.logger.error(`checking refund ${refund.id} failed: ${describeError(err)}`);
      await this.outcomes.recordError(refund, err).catch(() => undefined);
    } finally {
      await this.refunds.release(ctx.runId, refund.id).catch(() => undefined);
    }
  }
}
