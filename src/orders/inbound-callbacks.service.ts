import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { sha256Hex } from '../common/crypto';
import { COMMON_ERRORS, notFound, problem, ProblemException } from '../common/problem';
import { Scope, scopeOf } from '../common/scope';
import { ORDERS_ERRORS } from './orders.errors';
import { AppConfig } from '../config/config';
import { MERCHANTS_ERRORS } from '../merchants/merchants.errors';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import {
  InboundCallback,
  InboundCallbacks,
  InboundInput,
  InboundLookup,
  InboundOutcome,
  InboundRefusal,
  InboundRequest,
  InboundVerdict,
  isRefusal,
} from '../providers/inbound';
import { ProviderError, type ProviderCredentials, type ProviderId } from '../providers/provider';
import { providerProblem } from '../providers/provider-errors';
import { Order, Transaction } from './order.entity';
import { OrderTransitions, TransitionContext } from './order-transitions.service';
import { PaymentVerifier } from './payment-verifier.service';
import { Decision, OrderCommand } from './state-machine';
import { ProofAlreadyUsedError, TransactionsRepository } from './transactions.repository';

type Change = Extract<InboundVerdict, { kind: 'pay' | 'cancel' }>;

/** What applying a verdict left: the order, and the decision when one was taken. */
interface Applied {
  order: Order;
  changed: boolean;
  decision: Decision | null;
}

/** Thrown inside the database transaction to roll it back when the order changed under us. */
class LostRace extends Error {}

// A refusal's code and status come from the gateway catalogue (GATEWAY_ERRORS), through refuse().
/**
 * The least time between two gateway checks triggered by unsigned notices for one transaction (PayWay's pushback): a
 * flood of forged notices costs the merchant's gateway rate limit one call per pending transaction per interval at most.
 */
export const CONFIRM_CHECK_INTERVAL_SECONDS = 5;

const refused = (refusal: InboundRefusal) => new ProblemException(refusal.status, refusal.code, refusal.detail);

/**
 * Applies every gateway's inbound calls (returns, webhooks, cancels): finds the transaction the call is
 * about, loads the account that verifies it, asks the gateway's pure interpreter (providers/<id>/<id>.inbound.ts)
 * and applies the verdict through OrderTransitions, or through a return-token claim for links that pay once.
 */
@Injectable()
export class InboundCallbacksService implements InboundCallbacks {
  constructor(
    private readonly transactions: TransactionsRepository,
    private readonly accounts: ProviderAccountsService,
    private readonly transitions: OrderTransitions,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly verifier: PaymentVerifier,
  ) {}

  async handle(callback: InboundCallback, request: InboundRequest): Promise<InboundOutcome> {
    const lookup = callback.locate(request);
    if (isRefusal(lookup)) throw refused(lookup);
    const now = this.clock.now();
    if (lookup.by === 'merchant') return this.handleForMerchant(callback, request, lookup.merchantId, now);

    const txn = await this.find(callback, lookup);
    // A signed call for an unknown reference is still interpreted (and refused like a forgery); a link token must be known.
    if (!txn && lookup.by !== 'reference') throw notFound(lookup.by === 'return_token' ? 'return link' : 'cancel link');
    if (txn && lookup.by === 'return_token' && callback.singleUseReturnToken && txn.returnTokenUsedAt) {
      throw problem(ORDERS_ERRORS.return_token_used, 'this return link has already been used');
    }
    const account = txn && lookup.by === 'reference' ? await this.accounts.credentials(scopeOf(txn), callback.provider) : null;
    const verdict = callback.interpret(this.input(request, account, txn, now));
    if (isRefusal(verdict)) throw refused(verdict);
    if (!txn) throw new Error(`the ${callback.provider} interpreter accepted a call for an unknown transaction`);
    if (verdict.kind === 'lead_to_order') return this.outcome(verdict, { order: await this.transactions.orderOf(txn), changed: false, decision: null });
    if (verdict.kind === 'confirm_with_gateway') return this.confirmWithGateway(callback, txn);
    return this.outcome(verdict, await this.apply(callback, txn, verdict));
  }

  /**
   * A call signed with a merchant's account (a webhook): the account verifies it, then the verdict names the transaction.
   * The merchant has an account per mode; the one whose secret verifies the call decides the mode, so a call signed with
   * the (simulated) test-mode secret can only ever move a test-mode transaction, and the reverse.
   */
  private async handleForMerchant(callback: InboundCallback, request: InboundRequest, merchantId: string, now: Date): Promise<InboundOutcome> {
    let refusal: InboundRefusal | null = null;
    for (const livemode of [true, false]) {
      const scope = { merchantId, livemode };
      const account = await this.accountIfAny(scope, callback.provider);
      if (!account) continue;
      const verdict = callback.interpret(this.input(request, account, null, now));
      if (isRefusal(verdict)) {
        refusal ??= verdict;
        continue;
      }
      if (verdict.kind !== 'pay') throw new Error(`a ${callback.provider} call signed by a merchant must name a payment`);
      // Scoped to the merchant and mode whose secret verified it: another merchant's or mode's transaction is not found.
      const txn = await this.transactions.findByReference(callback.provider, verdict.providerReference, scope);
      if (!txn) throw notFound(`transaction ${verdict.providerReference}`);
      return this.outcome(verdict, await this.apply(callback, txn, verdict));
    }
    if (refusal) throw refused(refusal);
    throw notFound(`${callback.provider} account`);
  }

  /** The merchant's account at this gateway in this mode, or null when there is none (a test-mode one is never invented here). */
  private async accountIfAny(scope: Scope, provider: ProviderId): Promise<ProviderCredentials | null> {
    try {
      return await this.accounts.configuredCredentials(scope, provider);
    } catch (err) {
      if (err instanceof ProblemException && err.code === MERCHANTS_ERRORS.provider_account_missing.code) return null;
      throw err;
    }
  }

  /**
   * An unsigned notice: only the gateway's own answer (its verify API, now) may move the order. A transaction already
   * PAID asks nothing (a replayed notice costs no gateway call); a gateway failure answers 502/504 and changes nothing.
   */
  private async confirmWithGateway(callback: InboundCallback, txn: Transaction): Promise<InboundOutcome> {
    const statusPage = (order: Order) => ({ location: `${this.config.publicBaseUrl}/pay/${order.id}`, result: 'unchanged' as const });
    if (txn.status === 'PAID') return statusPage(await this.transactions.orderOf(txn));
    // Anyone can post a notice for a guessable pending transaction: at most one gateway check per interval for each.
    if (!(await this.transactions.claimConfirmCheck(txn.id, CONFIRM_CHECK_INTERVAL_SECONDS))) {
      throw problem(COMMON_ERRORS.rate_limited, `this transaction was checked with ${callback.provider} moments ago; retry later`, {
        headers: { 'Retry-After': String(CONFIRM_CHECK_INTERVAL_SECONDS) },
      });
    }
    let result;
    try {
      result = await this.verifier.verifyOne(txn, `provider:${callback.provider}`);
    } catch (err) {
      if (err instanceof ProviderError) throw providerProblem(err);
      throw err;
    }
    if (!result) return statusPage(await this.transactions.orderOf(txn));
    const { location } = this.outcome({ kind: 'confirm_with_gateway' }, { order: result.order, changed: result.changed, decision: result.decision });
    // Only a payment the gateway confirmed counts as this notice's result; an expiry or failure it reported is not the notice's doing.
    const paid = result.changed && result.order.status === 'PAID';
    return { location, result: !result.changed ? 'unchanged' : result.decision.outcome === 'flag' ? 'flagged' : paid ? 'paid' : 'unchanged' };
  }

  private find(callback: InboundCallback, lookup: Exclude<InboundLookup, { by: 'merchant' }>): Promise<Transaction | null> {
    switch (lookup.by) {
      case 'reference':
        return this.transactions.findByReference(callback.provider, lookup.reference);
      case 'return_token':
        return this.transactions.findByReturnTokenHash(callback.provider, sha256Hex(lookup.token));
      case 'cancel_token':
        return this.transactions.findByCancelTokenHash(callback.provider, sha256Hex(lookup.token));
    }
  }

  private input(request: InboundRequest, account: ProviderCredentials | null, txn: Transaction | null, now: Date): InboundInput {
    const transaction = txn ? { providerReference: txn.providerReference, amountMinor: txn.amountMinor, currency: txn.currency } : null;
    return { request, account, transaction, now };
  }

  private async apply(callback: InboundCallback, txn: Transaction, verdict: Change): Promise<Applied> {
    const command: OrderCommand =
      verdict.kind === 'pay'
        ? { kind: 'pay', verification: verdict.verification, paidAmountMinor: verdict.paidAmountMinor, paidCurrency: txn.currency, paidAt: verdict.paidAt }
        : { kind: 'cancel' };
    const proof = verdict.kind === 'pay' ? verdict.proof : undefined;
    const ctx: TransitionContext = { transactionId: txn.id, actor: `provider:${callback.provider}`, proof, reason: verdict.reason };
    if (!callback.singleUseReturnToken) return this.transitions.apply(txn.orderId, command, ctx);
    try {
      return await this.retryingLostRaces((manager) => this.claimReturnTokenAndApply(manager, txn, command, ctx));
    } catch (err) {
      if (err instanceof ProofAlreadyUsedError)
        throw problem(ORDERS_ERRORS.transaction_id_reused, 'this transaction_id is already the proof of another payment');
      throw err;
    }
  }

  /**
   * Spends the return token and applies the command in one database transaction. A success return whose token is
   * spent, or whose order cannot be paid, throws: the transaction rolls back, the token stays unspent, no proof is kept.
   */
  private async claimReturnTokenAndApply(manager: EntityManager, txn: Transaction, command: OrderCommand, ctx: TransitionContext): Promise<Applied> {
    const claimed = await this.transactions.claimReturnToken(manager, txn, ctx.proof);
    if (!claimed) {
      if (command.kind === 'pay') throw problem(ORDERS_ERRORS.return_token_used, 'this return link has already been used');
      // A cancel after a success return, or a repeated cancel: the order stays as it is.
      return { order: await this.transactions.orderOf(txn, manager), changed: false, decision: null };
    }
    const applied = await this.transitions.tryApply(manager, txn.orderId, command, ctx);
    if (!applied) throw new LostRace();
    // The order is no longer open for payment (cancelled, expired, failed): the browser's word cannot pay it.
    if (command.kind === 'pay' && applied.decision.outcome === 'rejected') throw problem(ORDERS_ERRORS.order_not_payable, applied.decision.reason);
    return applied;
  }

  /** Runs `work` in a database transaction, again (up to 5 times in all) when it lost a race to another writer of the order. */
  private async retryingLostRaces<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        return await this.transactions.inTransaction(work);
      } catch (err) {
        if (!(err instanceof LostRace)) throw err;
      }
    }
    throw problem(ORDERS_ERRORS.concurrent_update, 'the order changed repeatedly while being updated; retry');
  }

  private outcome(verdict: { kind: InboundVerdict['kind'] }, { order, changed, decision }: Applied): InboundOutcome {
    const statusPage = `${this.config.publicBaseUrl}/pay/${order.id}`;
    const location =
      verdict.kind === 'cancel'
        ? order.status === 'CANCELLED' && order.cancelUrl
          ? order.cancelUrl
          : statusPage
        : order.status === 'PAID' && order.successUrl
          ? order.successUrl
          : statusPage;
    const result = !changed ? 'unchanged' : decision?.outcome === 'flag' ? 'flagged' : verdict.kind === 'cancel' ? 'cancelled' : 'paid';
    return { location, result };
  }
}
