import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomToken } from '../common/crypto';
import { newId } from '../common/ids';
import { Currency, MoneyError, parseAmount } from '../common/money';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { AppConfig } from '../config/config';
import { OutboxWriter } from '../events/outbox.writer';
import { ProviderAccountsService, SEALED_ACCOUNT_COLUMNS, SealedAccountRow } from '../merchants/provider-accounts.service';
import { CreatePaymentResult, ProviderError, ProviderRegistry } from '../providers/provider';
import { providerProblem } from '../providers/provider-errors';
import { Order, Transaction } from './order.entity';
import { OrderView, presentOrder } from './order.presenter';
import { OrderTransitions } from './order-transitions.service';
import { CreateOrderDto, ListOrdersQuery } from './orders.dto';
import { PaymentVerifier } from './payment-verifier.service';
import { hydrateEntity } from '../database/rows';

/** GET /v1/orders filters, plus the merchant (unset: every merchant, for the admin search). */
export type OrderSearch = ListOrdersQuery & { merchantId?: string };

export const DEFAULT_EXPIRES_IN_SECONDS = 1800;
/** First reconciliation check this long after creation; the sweeper backs off from there. */
export const FIRST_CHECK_DELAY_MS = 15_000;

@Injectable()
export class OrdersService {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly accounts: ProviderAccountsService,
    private readonly outbox: OutboxWriter,
    private readonly transitions: OrderTransitions,
    private readonly verifier: PaymentVerifier,
  ) {}

  present(order: Order, txn: Transaction | null): OrderView {
    return presentOrder(order, txn, this.config.publicBaseUrl);
  }

  private selectBoth: string | undefined;

  /** The select list of the order and transaction columns (from the entities), prefixed `o_` and `t_` so they cannot collide. */
  private bothColumns(): string {
    if (this.selectBoth === undefined) {
      const list = (alias: string, entity: typeof Order | typeof Transaction) =>
        this.db.getMetadata(entity).columns.map((c) => `${alias}."${c.databaseName}" AS "${alias}_${c.databaseName}"`);
      this.selectBoth = [...list('o', Order), ...list('t', Transaction)].join(', ');
    }
    return this.selectBoth;
  }

  async create(merchantId: string, dto: CreateOrderDto): Promise<OrderView> {
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
    const [row]: (Partial<SealedAccountRow> & { taken: boolean; number: string })[] = await this.db.query(
      `SELECT ${SEALED_ACCOUNT_COLUMNS('pa')},
              EXISTS (SELECT 1 FROM orders WHERE merchant_id = $1 AND reference = $3) AS taken, nextval('transaction_number_seq') AS number
         FROM (SELECT 1) AS one LEFT JOIN provider_accounts pa ON pa.merchant_id = $1 AND pa.provider = $2`,
      [merchantId, provider.id, dto.reference],
    );
    const account = this.accounts.credentialsFromRow(provider.id, row);
    const { taken, number } = row;
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

    try {
      return await this.db.transaction(async (manager) => {
        // Both rows in one statement, read back through RETURNING instead of two reads: the hottest write path, in fewer round trips.
        const [both]: Record<string, unknown>[] = await manager.query(
          `WITH o AS (
             INSERT INTO orders (id, merchant_id, reference, status, amount_minor, currency, provider, description, customer, metadata,
               success_url, cancel_url, checkout_url, qr_payload, qr_md5, qr_image_token, expires_at, event_seq, created_at, updated_at, deeplink)
             VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17, $18) RETURNING *),
           t AS (
             INSERT INTO transactions (id, number, order_id, merchant_id, provider, provider_reference, status, amount_minor, currency, wire_amount,
               return_token_hash, expires_at, next_check_at, created_at, updated_at, cancel_token_hash)
             VALUES ($19, $20, $1, $2, $6, $21, 'PENDING', $4, $5, $22, $23, $16, $24, $17, $17, $25) RETURNING *)
           SELECT ${this.bothColumns()} FROM o, t`,
          [
            orderId,
            merchantId,
            dto.reference,
            amountMinor,
            currency,
            provider.id,
            dto.description ?? null,
            dto.customer ? JSON.stringify(dto.customer) : null,
            dto.metadata ? JSON.stringify(dto.metadata) : null,
            dto.success_url ?? null,
            dto.cancel_url ?? null,
            checkoutUrl,
            created.qr?.payload ?? null,
            created.qr?.md5 ?? null,
            created.qr ? randomToken(24) : null,
            expiresAt,
            now,
            created.deeplink ?? null,
            txnId,
            number,
            created.providerReference,
            created.wireAmount,
            created.returnTokenHash ?? null,
            nextCheckAt,
            created.cancelTokenHash ?? null,
          ],
        );
        const order = hydrateEntity(manager, Order, both, 'o_');
        const txn = hydrateEntity(manager, Transaction, both, 't_');
        const view = this.present(order, txn);
        await this.outbox.append(manager, { merchantId, orderId, type: 'order.created', sequence: 1, data: { order: view } });
        return view;
      });
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'orders_merchant_id_reference_key') throw duplicateReference(dto.reference);
      if (e.code === '23505' && e.constraint === 'transactions_provider_provider_reference_key') {
        throw new ProblemException(409, 'duplicate_provider_reference', 'the gateway returned a payment reference that is already in use by another order');
      }
      throw err;
    }
  }

  async find(merchantId: string, orderId: string): Promise<{ order: Order; txn: Transaction }> {
    const order = await this.db.getRepository(Order).findOneBy({ id: orderId, merchantId });
    if (!order) throw notFound('order');
    return { order, txn: await this.verifier.latestTransaction(order) };
  }

  async get(merchantId: string, orderId: string): Promise<OrderView> {
    const { order, txn } = await this.find(merchantId, orderId);
    return this.present(order, txn);
  }

  async list(merchantId: string, q: ListOrdersQuery): Promise<{ data: OrderView[]; has_more: boolean }> {
    const { page, hasMore } = await this.search({ ...q, merchantId });
    return { data: page.map(({ order, txn }) => this.present(order, txn)), has_more: hasMore };
  }

  /**
   * Orders newest first with the list filters; `merchantId` unset searches across merchants
   * (admin only). One query for the page, one for its transactions.
   */
  async search(q: OrderSearch): Promise<{ page: { order: Order; txn: Transaction | null }[]; hasMore: boolean }> {
    const limit = q.limit ?? 20;
    const qb = this.db.getRepository(Order).createQueryBuilder('o');
    if (q.merchantId) qb.andWhere('o.merchant_id = :merchantId', { merchantId: q.merchantId });
    if (q.status) qb.andWhere('o.status = :status', { status: q.status });
    if (q.provider) qb.andWhere('o.provider = :provider', { provider: q.provider });
    if (q.reference) qb.andWhere('o.reference = :reference', { reference: q.reference });
    if (q.starting_after) qb.andWhere('o.id < :after', { after: q.starting_after });
    const orders = await qb.orderBy('o.id', 'DESC').limit(limit + 1).getMany();
    const page = orders.slice(0, limit);
    const txns = page.length
      ? await this.db.getRepository(Transaction).createQueryBuilder('t').where('t.order_id IN (:...ids)', { ids: page.map((o) => o.id) }).orderBy('t.created_at', 'ASC').getMany()
      : [];
    const byOrder = new Map(txns.map((t) => [t.orderId, t]));
    return { page: page.map((order) => ({ order, txn: byOrder.get(order.id) ?? null })), hasMore: orders.length > limit };
  }

  async cancel(merchantId: string, orderId: string): Promise<OrderView> {
    const { order, txn } = await this.find(merchantId, orderId);
    const result = await this.transitions.apply(order.id, { kind: 'cancel' }, { transactionId: txn.id, actor: `merchant:${merchantId}`, reason: 'cancelled by the merchant' });
    if (result.decision.outcome === 'rejected') throw new ProblemException(409, 'invalid_transition', result.decision.reason);
    return this.present(result.order, result.transaction);
  }

  /** Asks the gateway now. The order is unchanged when the gateway fails (502/504). */
  async verify(merchantId: string, orderId: string): Promise<OrderView> {
    const { order, txn } = await this.find(merchantId, orderId);
    if (order.status === 'PAID') return this.present(order, txn);
    const provider = this.registry.get(order.provider);
    if (!provider?.verify) {
      throw new ProblemException(422, 'verify_not_supported', `${order.provider} has no verify API; its payments are confirmed by ${provider?.capabilities.callbacks.join(' / ') || 'callbacks'} and unpaid orders expire on time`);
    }
    try {
      await this.verifier.verifyOne(txn, `merchant:${merchantId}`);
    } catch (err) {
      if (err instanceof ProviderError) throw providerProblem(err);
      throw err;
    }
    return this.get(merchantId, orderId);
  }
}


function duplicateReference(reference: string): ProblemException {
  return new ProblemException(409, 'duplicate_reference', `an order with reference "${reference}" already exists for this merchant`);
}
