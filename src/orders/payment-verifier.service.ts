import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { PaymentProvider, ProviderError, ProviderRegistry, VerifyInput, VerifyOutcome } from '../providers/provider';
import { Order, Transaction } from './order.entity';
import { OrderTransitions, TransitionResult } from './order-transitions.service';

/** One answered check to record: the transaction and, if it stays PENDING, when to check it next. */
export interface CheckRecord {
  id: string;
  nextCheckAt: Date | null;
}

/**
 * Asks a gateway about a transaction and applies the answer through the state machine.
 * Shared by POST /v1/orders/{id}/verify, the reconciliation sweeper and the pay page's poll.
 */
@Injectable()
export class PaymentVerifier {
  private readonly logger = new Logger(PaymentVerifier.name);

  constructor(
    private readonly db: DataSource,
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
    const account = await this.accounts.credentials(txn.merchantId, txn.provider);
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
    await this.db.query(
      `UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = NULL, updated_at = now() WHERE id = $1`,
      [txn.id],
    );
    return this.applyAnswer(txn, outcome, actor);
  }

  /**
   * The state-machine half of applyOutcome, without recording the check: for callers that
   * record many checks in one statement (recordChecks). PENDING changes nothing.
   */
  async applyAnswer(txn: Transaction, outcome: VerifyOutcome, actor: string): Promise<TransitionResult | null> {
    switch (outcome.status) {
      case 'PENDING':
        return null;
      case 'PAID':
        return this.transitions.apply(
          txn.orderId,
          { kind: 'pay', verification: 'provider_api', paidAmountMinor: outcome.paidAmountMinor, paidCurrency: outcome.paidCurrency, paidAt: outcome.paidAt },
          { transactionId: txn.id, actor, proof: outcome.proof, reason: 'the gateway reported the payment' },
        );
      case 'EXPIRED':
        return this.transitions.apply(txn.orderId, { kind: 'expire' }, { transactionId: txn.id, actor, reason: 'the gateway reported the payment expired' });
      case 'FAILED':
        return this.transitions.apply(txn.orderId, { kind: 'fail', reason: outcome.reason }, { transactionId: txn.id, actor });
    }
  }

  /**
   * Records answered checks in ONE statement, as applyOutcome records one (last_checked_at,
   * check_count + 1, last_error cleared), and, given the lease holder, releases that holder's
   * lease on each with its next check (none once the transaction left PENDING). A lease that
   * has passed to someone else is left alone; the check is recorded all the same.
   */
  async recordChecks(checks: readonly CheckRecord[], leaseHolder: string | null = null): Promise<void> {
    if (!checks.length) return;
    await this.db.query(
      `UPDATE transactions t SET last_checked_at = now(), check_count = t.check_count + 1, last_error = NULL, updated_at = now(),
         claimed_until = CASE WHEN t.claimed_by = $3 THEN NULL ELSE t.claimed_until END,
         claimed_by = CASE WHEN t.claimed_by = $3 THEN NULL ELSE t.claimed_by END,
         swept_at = CASE WHEN t.claimed_by = $3 THEN now() ELSE t.swept_at END,
         next_check_at = CASE WHEN t.claimed_by = $3 THEN (CASE WHEN t.status = 'PENDING' THEN u.next ELSE NULL END) ELSE t.next_check_at END
       FROM unnest($1::text[], $2::timestamptz[]) AS u(id, next)
       WHERE t.id = u.id`,
      [checks.map((c) => c.id), checks.map((c) => c.nextCheckAt), leaseHolder],
    );
  }

  async recordFailure(txn: Transaction, err: unknown): Promise<void> {
    const message = err instanceof ProviderError ? `${err.kind}: ${err.message}` : `error: ${(err as Error)?.message ?? String(err)}`;
    await this.db.query(
      `UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = $2, updated_at = now() WHERE id = $1`,
      [txn.id, message.slice(0, 500)],
    );
    if (err instanceof ProviderError && err.kind === 'auth') {
      await this.accounts.markNeedsAttention(txn.merchantId, txn.provider, err.message.slice(0, 500));
    }
  }

  async latestTransaction(order: Order): Promise<Transaction> {
    return this.db.getRepository(Transaction).findOneOrFail({ where: { orderId: order.id }, order: { createdAt: 'DESC' } });
  }
}
