import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { scopeOf } from '../common/scope';
import { AppConfig } from '../config/config';
import { OutboxWriter } from '../events/outbox.writer';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { presentOrder } from '../orders/order.presenter';
import { OrdersRepository } from '../orders/orders.repository';
import { PaymentVerifier } from '../orders/payment-verifier.service';
import { TransactionsRepository } from '../orders/transactions.repository';
import { PaymentProvider, ProviderError, ProviderRegistry, RefundInput, RefundOutcome } from '../providers/provider';
import { presentRefund, Refund } from './refund.presenter';
import { nextRefundCheckAt } from './refund-schedule';
import { RefundsRepository } from './refunds.repository';

/** A gateway able to refund, with what its refund calls need for one refund. */
export interface RefundCall {
  provider: PaymentProvider & Required<Pick<PaymentProvider, 'refund' | 'checkRefund'>>;
  input: RefundInput;
}

/**
 * The one place a refund changes status after it is created. A gateway's final word (SUCCEEDED,
 * FAILED) is applied as a compare-and-set on the refund's PENDING status, and in the same database
 * transaction the order writes the event (and, for a failure, gives the amount back to what is left to
 * refund). Racing callers (the creating request and a sweep): exactly one wins and writes the event.
 * PENDING answers and calls that gave no usable answer only schedule the next check.
 */
@Injectable()
export class RefundOutcomes {
  private readonly logger = new Logger('Refunds');

  constructor(
    private readonly refunds: RefundsRepository,
    private readonly orders: OrdersRepository,
    private readonly transactions: TransactionsRepository,
    private readonly accounts: ProviderAccountsService,
    private readonly registry: ProviderRegistry,
    private readonly outbox: OutboxWriter,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The gateway and call input for `refund`; a ProviderError when its gateway (no longer) has a refund API. */
  async callFor(refund: Refund): Promise<RefundCall> {
    const provider = this.registry.get(refund.provider);
    if (!provider?.capabilities.refund || !provider.refund || !provider.checkRefund) {
      throw new ProviderError(refund.provider, 'rejected', `${refund.provider} has no refund API`);
    }
    const txn = await this.transactions.findById(refund.transactionId);
    if (!txn || txn.merchantId !== refund.merchantId || txn.livemode !== refund.livemode)
      throw new Error(`refund ${refund.id}: transaction ${refund.transactionId} not found`);
    // The refund's own mode: a test-mode refund goes to the simulator through the order's test-mode account.
    const account = await this.accounts.credentials(scopeOf(refund), provider.id);
    return {
      provider: provider as RefundCall['provider'],
      input: {
        refundId: refund.id,
        amountMinor: refund.amountMinor,
        currency: refund.currency,
        reason: refund.reason,
        transaction: PaymentVerifier.verifyInput(txn),
        account,
      },
    };
  }

  /** Applies what the gateway said; returns the refund as it now stands. */
  async apply(refund: Refund, outcome: RefundOutcome): Promise<Refund> {
    if (outcome.status === 'PENDING') {
      await this.refunds.recordPending(refund.id, {
        providerRefundId: outcome.providerRefundId ?? null,
        nextCheckAt: nextRefundCheckAt(refund.checkCount + 1, this.clock.now()),
        error: null,
      });
      return (await this.refunds.findForMerchant(scopeOf(refund), refund.id)) ?? refund;
    }
    const settled = await this.refunds.inTransaction(async (manager) => {
      const done = await this.refunds.settle(manager, refund.id, {
        status: outcome.status,
        failureReason: outcome.status === 'FAILED' ? outcome.reason || 'the gateway refused the refund' : null,
        providerRefundId: outcome.providerRefundId ?? null,
      });
      if (!done) return null; // settled by someone else first: their event stands
      const order = await this.orders.settleRefund(manager, done.orderId, done.status === 'FAILED' ? done.amountMinor : 0);
      const txn = await this.transactions.latestOf(done.orderId, manager);
      await this.outbox.append(manager, {
        merchantId: done.merchantId,
        livemode: done.livemode,
        orderId: done.orderId,
        type: done.status === 'SUCCEEDED' ? 'refund.succeeded' : 'refund.failed',
        sequence: order.eventSeq,
        data: { refund: presentRefund(done), order: presentOrder(order, txn, this.config.publicBaseUrl) },
      });
      return done;
    });
    if (settled) this.logger.log({ refundId: refund.id, status: settled.status }, 'refund settled');
    return settled ?? (await this.refunds.findForMerchant(scopeOf(refund), refund.id)) ?? refund;
  }

  /** The gateway gave no usable answer (or was not reached): the refund stays PENDING and is asked again later (checkRefund, never a second refund). */
  async recordError(refund: Refund, err: unknown): Promise<Refund> {
    const retryAfter = err instanceof ProviderError ? err.retryAfterSeconds : undefined;
    const message = err instanceof ProviderError ? `${err.kind}: ${err.message}` : `error: ${(err as Error)?.message ?? String(err)}`;
    if (!(err instanceof ProviderError)) this.logger.error(`refund ${refund.id} at ${refund.provider} threw: ${message}`, (err as Error)?.stack);
    await this.refunds.recordPending(refund.id, {
      providerRefundId: null,
      nextCheckAt: nextRefundCheckAt(refund.checkCount + 1, this.clock.now(), retryAfter),
      error: message,
    });
    return (await this.refunds.findForMerchant(scopeOf(refund), refund.id)) ?? refund;
  }
}
