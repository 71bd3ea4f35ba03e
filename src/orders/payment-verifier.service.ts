import { Injectable, Logger } from '@nestjs/common';
import { scopeOf } from '../common/scope';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { PaymentProvider, ProviderError, ProviderRegistry, VerifyInput, VerifyOutcome } from '../providers/provider';
import { Transaction } from './order.entity';
import { OrderTransitions, TransitionRequest, TransitionResult } from './order-transitions.service';
import { TransactionsRepository } from './transactions.repository';

/**
 * Asks a gateway about a transaction and applies the answer through the state machine.
 * Shared by POST /v1/orders/{id}/verify, the reconciliation sweeper and the pay page's poll.
 */
@Injectable()
export class PaymentVerifier {
  private readonly logger = new Logger(PaymentVerifier.name);

  constructor(
    private readonly transactions: TransactionsRepository,
    private readonly registry: ProviderRegistry,
    private readonly accounts: ProviderAccountsService,
    private readonly transitions: OrderTransitions,
  ) {}

  static verifyInput(txn: Transaction): VerifyInput['transaction'] {
    return {
      id: txn.id,
      number: txn.number,
      providerReference: txn.providerReference,
      amountMinor: txn.amountMinor,
      currency: txn.currency,
      wireAmount: txn.wireAmount,
      createdAt: txn.createdAt,
      expiresAt: txn.expiresAt,
    };
  }

  provider(id: string): PaymentProvider {
    const p = this.registry.get(id);
    if (!p) throw new Error(`provider ${id} is not registered`);
    return p;
  }

  /** One transaction, one gateway call. Throws ProviderError (recorded as last_error) when the gateway fails. */
  async verifyOne(txn: Transaction, actor: string): Promise<TransitionResult | null> {
    const provider = this.provider(txn.provider);
    if (!provider.verify) return null;
    const account = await this.accounts.credentials(scopeOf(txn), txn.provider);
    let outcome: VerifyOutcome;
    try {
      outcome = await provider.verify({ transaction: PaymentVerifier.verifyInput(txn), account });
    } catch (err) {
      await this.recordFailure(txn, err);
      throw err;
    }
    return this.applyOutcome(txn, outcome, actor);
  }

  /** Applies a gateway's answer. PENDING only records the check. */
  async applyOutcome(txn: Transaction, outcome: VerifyOutcome, actor: string): Promise<TransitionResult | null> {
    await this.transactions.recordCheck(txn.id);
    return this.applyAnswer(txn, outcome, actor);
  }

  /**
   * The state-machine half of applyOutcome, without recording the check: for callers that
   * record many checks in one statement (the sweeper, through TransactionsRepository.recordChecks). PENDING changes nothing.
   */
  async applyAnswer(txn: Transaction, outcome: VerifyOutcome, actor: string): Promise<TransitionResult | null> {
    const request = PaymentVerifier.transitionFor(txn, outcome, actor);
    return request ? this.transitions.apply(request.orderId, request.command, request.ctx) : null;
  }

  /**
   * applyAnswer for the answers of one batch call: their transitions in one database transaction
   * (OrderTransitions.applyMany: one commit; each order still its own compare-and-set and event).
   * Settles with each answer's result (null for PENDING) or error, in the answers' order.
   */
  async applyAnswers(
    answers: readonly { txn: Transaction; outcome: VerifyOutcome }[],
    actor: string,
  ): Promise<PromiseSettledResult<TransitionResult | null>[]> {
    const out: PromiseSettledResult<TransitionResult | null>[] = answers.map(() => ({ status: 'fulfilled', value: null }));
    const requests: TransitionRequest[] = [];
    const at: number[] = [];
    answers.forEach(({ txn, outcome }, i) => {
      const request = PaymentVerifier.transitionFor(txn, outcome, actor);
      if (!request) return;
      requests.push(request);
      at.push(i);
    });
    (await this.transitions.applyMany(requests)).forEach((settled, k) => (out[at[k]] = settled));
    return out;
  }

  /** The state machine's command for a gateway's answer; null for PENDING (nothing to apply). */
  static transitionFor(txn: Transaction, outcome: VerifyOutcome, actor: string): TransitionRequest | null {
    switch (outcome.status) {
      case 'PENDING':
        return null;
      case 'PAID':
        return {
          orderId: txn.orderId,
          command: {
            kind: 'pay',
            verification: 'provider_api',
            paidAmountMinor: outcome.paidAmountMinor,
            paidCurrency: outcome.paidCurrency,
            paidAt: outcome.paidAt,
          },
          ctx: { transactionId: txn.id, actor, proof: outcome.proof, reason: 'the gateway reported the payment' },
        };
      case 'EXPIRED':
        return { orderId: txn.orderId, command: { kind: 'expire' }, ctx: { transactionId: txn.id, actor, reason: 'the gateway reported the payment expired' } };
      case 'FAILED':
        return { orderId: txn.orderId, command: { kind: 'fail', reason: outcome.reason }, ctx: { transactionId: txn.id, actor } };
    }
  }

  async recordFailure(txn: Transaction, err: unknown): Promise<void> {
    const message = err instanceof ProviderError ? `${err.kind}: ${err.message}` : `error: ${(err as Error)?.message ?? String(err)}`;
    await this.transactions.recordFailedCheck(txn.id, message.slice(0, 500));
    if (err instanceof ProviderError && err.kind === 'auth') {
      await this.accounts.markNeedsAttention(scopeOf(txn), txn.provider, err.message.slice(0, 500));
    }
  }
}
