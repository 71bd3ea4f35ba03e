import { Injectable } from '@nestjs/common';
import { randomToken } from '../common/crypto';
import type { Scope } from '../common/scope';
import { newId } from '../common/ids';
import { Currency, MoneyError, parseAmount } from '../common/money';
import { notFound, problem, ProblemException, validationProblem } from '../common/problem';
import { ORDERS_ERRORS } from './orders.errors';
import { AppConfig } from '../config/config';
import { OutboxWriter } from '../events/outbox.writer';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { CreatePaymentResult, ProviderError, ProviderRegistry } from '../providers/provider';
import { providerProblem } from '../providers/provider-errors';
import { Order, Transaction } from './order.entity';
import { OrderView, presentOrder } from './order.presenter';
import type { OrderOrigin } from './order-hooks';
import { OrderTransitions } from './order-transitions.service';
import { CreateOrderDto, ListOrdersQuery } from './orders.dto';
import { NewOrder, OrderSearch, OrdersRepository } from './orders.repository';
import { OrderCreationRepository } from './order-creation.repository';
import { createdEntities } from './created-order';
import { PaymentVerifier } from './payment-verifier.service';
import { TransactionsRepository } from './transactions.repository';

export type { OrderSearch };

export const DEFAULT_EXPIRES_IN_SECONDS = 1800;
/** First reconciliation check this long after creation; the sweeper backs off from there. */
export const FIRST_CHECK_DELAY_MS = 15_000;

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly transactions: TransactionsRepository,
    private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly accounts: ProviderAccountsService,
    private readonly outbox: OutboxWriter,
    private readonly transitions: OrderTransitions,
    private readonly verifier: PaymentVerifier,
    private readonly creation: OrderCreationRepository,
  ) {}

  present(order: Order, txn: Transaction | null): OrderView {
    return presentOrder(order, txn, this.config.publicBaseUrl);
  }

  /** `origin`: the payment link a public page creates the order for, with its check run inside the insert's transaction. */
  async create(scope: Scope, dto: CreateOrderDto, origin?: OrderOrigin): Promise<OrderView> {
    const { merchantId } = scope;
    const currency: Currency = dto.currency ?? 'USD';
    let amountMinor: number;
    try {
      amountMinor = parseAmount(dto.amount, currency);
    } catch (err) {
      if (err instanceof MoneyError) throw validationProblem([{ field: 'amount', message: err.message }]);
      throw err;
    }
    const provider = this.registry.get(dto.provider);
    if (!provider) throw validationProblem([{ field: 'provider', message: `unknown provider ${dto.provider}` }]);
    if (!provider.capabilities.currencies.includes(currency)) {
      throw validationProblem([{ field: 'currency', message: `${provider.id} accepts ${provider.capabilities.currencies.join(', ')} only` }]);
    }
    // One round trip for the gateway account, the duplicate check and the transaction number (a number spent on a refused request is just a gap).
    const { account: accountRow, taken, number } = await this.orders.creationFacts(scope, provider.id, dto.reference);
    // Test mode: the merchant's test-mode account, or a simulated one; either way the simulator's base_url.
    const row = accountRow.credentialsSealed || scope.livemode ? accountRow : await this.accounts.simulatedAccount(scope, provider.id);
    const account = this.accounts.credentialsFromRow(provider.id, row);
    if (taken) throw duplicateReference(dto.reference);

    const now = new Date();
    const orderId = newId('ord');
    const txnId = newId('txn');
    let expiresAt = new Date(now.getTime() + (dto.expires_in ?? DEFAULT_EXPIRES_IN_SECONDS) * 1000);

    let created: CreatePaymentResult;
    try {
      created = await provider.createPayment({
        order: {
          id: orderId,
          merchantId,
          reference: dto.reference,
          amountMinor,
          currency,
          description: dto.description ?? null,
          customer: dto.customer ? { ...dto.customer } : null,
          successUrl: dto.success_url ?? null,
          cancelUrl: dto.cancel_url ?? null,
          expiresAt,
        },
        transaction: { id: txnId, number: Number(number) },
        account,
        publicBaseUrl: this.config.publicBaseUrl,
      });
    } catch (err) {
      // Nothing was written: a failed gateway call leaves no half-created order behind.
      if (err instanceof ProviderError) throw providerProblem(err);
      throw err;
    }
    if (created.expiresAt && created.expiresAt < expiresAt) expiresAt = created.expiresAt;
    const nextCheckAt = provider.capabilities.verify ? new Date(now.getTime() + FIRST_CHECK_DELAY_MS) : expiresAt;
    const checkoutUrl = created.checkoutUrl ?? `${this.config.publicBaseUrl}/pay/${orderId}`;

    const fresh: NewOrder = {
      orderId,
      scope,
      reference: dto.reference,
      amountMinor,
      currency,
      provider: provider.id,
      description: dto.description ?? null,
      customer: dto.customer ?? null,
      metadata: dto.metadata ?? null,
      successUrl: dto.success_url ?? null,
      cancelUrl: dto.cancel_url ?? null,
      checkoutUrl,
      qrPayload: created.qr?.payload ?? null,
      qrMd5: created.qr?.md5 ?? null,
      qrImageToken: created.qr ? randomToken(24) : null,
      deeplink: created.deeplink ?? null,
      expiresAt,
      createdAt: now,
      paymentLinkId: origin?.paymentLinkId ?? null,
      transaction: {
        id: txnId,
        number,
        providerReference: created.providerReference,
        wireAmount: created.wireAmount,
        returnTokenHash: created.returnTokenHash ?? null,
        cancelTokenHash: created.cancelTokenHash ?? null,
        nextCheckAt,
      },
    };

    try {
      // The common order in one autocommit statement; a payment link's (its row lock) and a merchant's with a
      // Telegram channel subscribed to order.created (its messages) in a database transaction.
      if (!origin) {
        const view = await this.createInOneStatement(fresh);
        if (view) return view;
      }
      return await this.orders.inTransaction(async (manager) => {
        if (origin) await origin.admit(manager);
        const { order, txn } = await this.orders.insertWithTransaction(manager, fresh);
        const view = this.present(order, txn);
        await this.outbox.append(manager, { merchantId, livemode: scope.livemode, orderId, type: 'order.created', sequence: 1, data: { order: view } });
        return view;
      });
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'orders_merchant_mode_reference_key') throw duplicateReference(dto.reference);
      if (e.code === '23505' && e.constraint === 'transactions_provider_provider_reference_key') {
        throw problem(ORDERS_ERRORS.duplicate_provider_reference, 'the gateway returned a payment reference that is already in use by another order');
      }
      throw err;
    }
  }

  /**
   * The order, its transaction, `order.created` and its webhook fan-out written and committed by one statement
   * (OrderCreationRepository): the event's order view is built before it from what the statement will write
   * (with customer and metadata as jsonb gives them back), the response from the rows it returns. Null when
   * the statement wrote nothing because a notification channel is subscribed to order.created.
   */
  private async createInOneStatement(row: NewOrder): Promise<OrderView | null> {
    const expected = createdEntities(row);
    const event = this.outbox.stage({
      merchantId: row.scope.merchantId,
      livemode: row.scope.livemode,
      orderId: row.orderId,
      type: 'order.created',
      sequence: 1,
      data: { order: this.present(expected.order, expected.txn) },
    });
    const written = await this.creation.insertCreated(row, event);
    if (!written) return null;
    // Committed: the listeners (metrics) count it now, after the statement succeeded.
    await this.outbox.committed(this.creation.manager, event);
    return this.present(written.order, written.txn);
  }

  async find(scope: Scope, orderId: string): Promise<{ order: Order; txn: Transaction }> {
    const order = await this.orders.findForMerchant(scope, orderId);
    if (!order) throw notFound('order');
    return { order, txn: await this.transactions.latestOf(order.id) };
  }

  async get(scope: Scope, orderId: string): Promise<OrderView> {
    const { order, txn } = await this.find(scope, orderId);
    return this.present(order, txn);
  }

  async list(scope: Scope, q: ListOrdersQuery): Promise<{ data: OrderView[]; has_more: boolean }> {
    const { page, hasMore } = await this.search({ ...q, scope });
    return { data: page.map(({ order, txn }) => this.present(order, txn)), has_more: hasMore };
  }

  /**
   * Orders newest first with the list filters, in one scope; with `merchantId` instead, one merchant in both
   * modes, and with neither, every merchant (admin only). One query for the page, one for its transactions.
   */
  async search(q: OrderSearch): Promise<{ page: { order: Order; txn: Transaction | null }[]; hasMore: boolean }> {
    const limit = q.limit ?? 20;
    const orders = await this.orders.search(q, limit);
    const page = orders.slice(0, limit);
    const txns = await this.transactions.forOrders(page.map((o) => o.id));
    const byOrder = new Map(txns.map((t) => [t.orderId, t]));
    return { page: page.map((order) => ({ order, txn: byOrder.get(order.id) ?? null })), hasMore: orders.length > limit };
  }

  async cancel(scope: Scope, orderId: string): Promise<OrderView> {
    const { merchantId } = scope;
    const { order, txn } = await this.find(scope, orderId);
    const result = await this.transitions.apply(
      order.id,
      { kind: 'cancel' },
      { transactionId: txn.id, actor: `merchant:${merchantId}`, reason: 'cancelled by the merchant' },
    );
    if (result.decision.outcome === 'rejected') throw problem(ORDERS_ERRORS.invalid_transition, result.decision.reason);
    return this.present(result.order, result.transaction);
  }

  /** Asks the gateway now. The order is unchanged when the gateway fails (502/504). */
  async verify(scope: Scope, orderId: string): Promise<OrderView> {
    const { merchantId } = scope;
    const { order, txn } = await this.find(scope, orderId);
    if (order.status === 'PAID') return this.present(order, txn);
    const provider = this.registry.get(order.provider);
    if (!provider?.verify) {
      throw problem(
        ORDERS_ERRORS.verify_not_supported,
        `${order.provider} has no verify API; its payments are confirmed by ${provider?.capabilities.callbacks.join(' / ') || 'callbacks'} and unpaid orders expire on time`,
      );
    }
    try {
      await this.verifier.verifyOne(txn, `merchant:${merchantId}`);
    } catch (err) {
      if (err instanceof ProviderError) throw providerProblem(err);
      throw err;
    }
    return this.get(scope, orderId);
  }
}

function duplicateReference(reference: string): ProblemException {
  return problem(ORDERS_ERRORS.duplicate_reference, `an order with reference "${reference}" already exists for this merchant`);
}
