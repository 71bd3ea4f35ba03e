import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Currency } from '../common/money';
import type { Scope } from '../common/scope';
import { preparedQuery } from '../database/prepared';
import { hydrateEntity, returnedRows } from '../database/rows';
import { SEALED_ACCOUNT_COLUMNS, SealedAccountRow } from '../merchants/provider-accounts.repository';
import type { ProviderId } from '../providers/provider';
import { Order, Transaction } from './order.entity';
import type { ListOrdersQuery } from './orders.dto';
import type { OrderStatus, Verification } from './state-machine';

/** GET /v1/orders filters, plus the merchant and mode (unset: every merchant in both modes, for the admin search). */
export type OrderSearch = ListOrdersQuery & { scope?: Scope; merchantId?: string };

/** What order creation reads before calling the gateway (all of it in one round trip). */
export interface CreationFacts {
  /** The merchant's account at the gateway; all null when there is none. */
  account: Partial<SealedAccountRow>;
  /** The merchant already has an order with this reference. */
  taken: boolean;
  /** The new transaction's number (a number spent on a refused request is just a gap). */
  number: string;
}

/** The columns of a new order and its first transaction, as the gateway and the request gave them. */
export interface NewOrder {
  orderId: string;
  scope: Scope;
  reference: string;
  amountMinor: number;
  currency: Currency;
  provider: ProviderId;
  description: string | null;
  customer: object | null;
  metadata: object | null;
  successUrl: string | null;
  cancelUrl: string | null;
  checkoutUrl: string;
  qrPayload: string | null;
  qrMd5: string | null;
  qrImageToken: string | null;
  deeplink: string | null;
  expiresAt: Date;
  createdAt: Date;
  paymentLinkId?: string | null;
  transaction: {
    id: string;
    number: string;
    providerReference: string;
    wireAmount: string;
    returnTokenHash: string | null;
    cancelTokenHash: string | null;
    nextCheckAt: Date;
  };
}

/** A decided change of one order, applied only if the order still has status `from`. */
export interface OrderChange {
  from: OrderStatus;
  addFlags: string[];
  to?: OrderStatus;
  paid?: { at: Date; amountMinor: number; currency: string; verification: Verification };
  reason?: string;
}

/** The orders table's reads and writes, by intent. */
/**
 * The gateway account of the mode, the duplicate probe and the next transaction number ($1 merchant, $2 provider,
 * $3 reference, $4 livemode). The probe hides the merchant from the planner (`(SELECT $1::text)`): with the value
 * visible, a merchant that did not exist at the table's last ANALYZE is estimated at one row, and the planner takes
 * the smaller merchant-wide index (merchant, livemode, status) and filters the reference over every order of that
 * merchant — measured 10–80 ms per order for a merchant with 30,000 orders (the bench's latency run, and
 * test/orders-duplicate-probe.e2e-spec.ts), growing with each order until the next autoanalyze. Without the merchant's
 * value the estimate comes from the reference, so the probe is an index lookup on it. Not a prepared statement: a
 * generic plan made while the table is young keeps a merchant-wide index the same way.
 */
export const CREATION_FACTS_SQL = `SELECT ${SEALED_ACCOUNT_COLUMNS('pa')},
              EXISTS (SELECT 1 FROM orders WHERE merchant_id = (SELECT $1::text) AND livemode = $4 AND reference = $3) AS taken,
              nextval('transaction_number_seq') AS number
         FROM (SELECT 1) AS one LEFT JOIN provider_accounts pa ON pa.merchant_id = $1 AND pa.livemode = $4 AND pa.provider = $2`;

/**
 * $1–$26 of an order + first transaction insert, in the order both writers use (insertWithTransaction here and
 * OrderCreationRepository's one statement); each statement numbers its own parameters after these.
 */
export function orderInsertParams(o: NewOrder): unknown[] {
  const t = o.transaction;
  return [
    o.orderId,
    o.scope.merchantId,
    o.reference,
    o.amountMinor,
    o.currency,
    o.provider,
    o.description,
    o.customer ? JSON.stringify(o.customer) : null,
    o.metadata ? JSON.stringify(o.metadata) : null,
    o.successUrl,
    o.cancelUrl,
    o.checkoutUrl,
    o.qrPayload,
    o.qrMd5,
    o.qrImageToken,
    o.expiresAt,
    o.createdAt,
    o.deeplink,
    t.id,
    t.number,
    t.providerReference,
    t.wireAmount,
    t.returnTokenHash,
    t.nextCheckAt,
    t.cancelTokenHash,
    o.scope.livemode,
  ];
}

@Injectable()
export class OrdersRepository {
  private selectBoth: string | undefined;

  constructor(private readonly db: DataSource) {}

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The gateway account of the mode, the duplicate check and the transaction number, in one round trip. */
  async creationFacts(scope: Scope, provider: ProviderId, reference: string): Promise<CreationFacts> {
    const [row]: (Partial<SealedAccountRow> & { taken: boolean; number: string })[] = await this.db.query(CREATION_FACTS_SQL, [
      scope.merchantId,
      provider,
      reference,
      scope.livemode,
    ]);
    const { taken, number, ...account } = row;
    return { account, taken, number };
  }

  /**
   * Inserts the order and its first transaction in one statement, read back through RETURNING instead of
   * two reads: the hottest write path, in fewer round trips. Unique violations propagate to the caller.
   */
  async insertWithTransaction(manager: EntityManager, o: NewOrder): Promise<{ order: Order; txn: Transaction }> {
    const [both] = await preparedQuery<Record<string, unknown>>(
      manager,
      'khqr_order_insert',
      `WITH o AS (
         INSERT INTO orders (id, merchant_id, reference, status, amount_minor, currency, provider, description, customer, metadata,
           success_url, cancel_url, checkout_url, qr_payload, qr_md5, qr_image_token, expires_at, event_seq, created_at, updated_at, deeplink, livemode, payment_link_id)
         VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17, $18, $26, $27) RETURNING *),
       t AS (
         INSERT INTO transactions (id, number, order_id, merchant_id, provider, provider_reference, status, amount_minor, currency, wire_amount,
           return_token_hash, expires_at, next_check_at, created_at, updated_at, cancel_token_hash, livemode)
         VALUES ($19, $20, $1, $2, $6, $21, 'PENDING', $4, $5, $22, $23, $16, $24, $17, $17, $25, $26) RETURNING *)
       SELECT ${this.bothColumns()} FROM o, t`,
      [...orderInsertParams(o), o.paymentLinkId ?? null],
    );
    return { order: hydrateEntity(manager, Order, both, 'o_'), txn: hydrateEntity(manager, Transaction, both, 't_') };
  }

  /** The select list of the order and transaction columns (from the entities) of CTEs `o` and `t`, prefixed `o_` and `t_` so they cannot collide. */
  bothColumns(): string {
    if (this.selectBoth === undefined) {
      const list = (alias: string, entity: typeof Order | typeof Transaction) =>
        this.db.getMetadata(entity).columns.map((c) => `${alias}."${c.databaseName}" AS "${alias}_${c.databaseName}"`);
      this.selectBoth = [...list('o', Order), ...list('t', Transaction)].join(', ');
    }
    return this.selectBoth;
  }

  findById(id: string): Promise<Order | null> {
    return this.db.getRepository(Order).findOneBy({ id });
  }

  /** The order `id`, read inside `manager`'s database transaction; throws when there is none. */
  getById(manager: EntityManager, id: string): Promise<Order> {
    return manager.findOneByOrFail(Order, { id });
  }

  /** The order `id` if it belongs to the scope's merchant and mode: another merchant's, or the other mode's, is not found. */
  findForMerchant(scope: Scope, id: string): Promise<Order | null> {
    return this.db.getRepository(Order).findOneBy({ id, merchantId: scope.merchantId, livemode: scope.livemode });
  }

  /** Newest first with the list filters; one row more than the limit, so the caller can tell has_more. */
  search(q: OrderSearch, limit: number): Promise<Order[]> {
    const qb = this.db.getRepository(Order).createQueryBuilder('o');
    if (q.scope) qb.andWhere('o.merchant_id = :merchantId AND o.livemode = :livemode', { merchantId: q.scope.merchantId, livemode: q.scope.livemode });
    // The admin search: one merchant across both modes (every row says which it is).
    else if (q.merchantId) qb.andWhere('o.merchant_id = :merchantId', { merchantId: q.merchantId });
    if (q.status) qb.andWhere('o.status = :status', { status: q.status });
    if (q.provider) qb.andWhere('o.provider = :provider', { provider: q.provider });
    if (q.reference) qb.andWhere('o.reference = :reference', { reference: q.reference });
    if (q.payment_link_id) qb.andWhere('o.payment_link_id = :paymentLinkId', { paymentLinkId: q.payment_link_id });
    if (q.starting_after) qb.andWhere('o.id < :after', { after: q.starting_after });
    return qb
      .orderBy('o.id', 'DESC')
      .limit(limit + 1)
      .getMany();
  }

  /** The KHQR payload behind a public QR image token; null when no order with a KHQR has it. */
  async findQrByImageToken(token: string): Promise<{ payload: string; md5: string } | null> {
    const rows: { qr_payload: string; qr_md5: string }[] = await this.db.query(
      `SELECT qr_payload, qr_md5 FROM orders WHERE qr_image_token = $1 AND qr_payload IS NOT NULL`,
      [token],
    );
    return rows[0] ? { payload: rows[0].qr_payload, md5: rows[0].qr_md5 } : null;
  }

  /** A panel user's PENDING (live: the top-up widget takes real payments only) top-up order for this amount on this gateway that still has `minRemainingSeconds` to be paid, the latest-expiring first. */
  async findOpenTopup(q: {
    merchantId: string;
    provider: ProviderId;
    currency: string;
    amountMinor: number;
    source: string;
    user: string;
    minRemainingSeconds: number;
  }): Promise<{ id: string; checkout_url: string | null } | null> {
    const rows: { id: string; checkout_url: string | null }[] = await this.db.query(
      `SELECT id, checkout_url FROM orders
        WHERE merchant_id = $1 AND livemode AND status = 'PENDING' AND provider = $2 AND currency = $3 AND amount_minor = $4
          AND metadata->>'source' = $5 AND metadata->>'smm_user' = $6 AND expires_at > now() + make_interval(secs => $7)
        ORDER BY expires_at DESC LIMIT 1`,
      [q.merchantId, q.provider, q.currency, q.amountMinor, q.source, q.user, q.minRemainingSeconds],
    );
    return rows[0] ?? null;
  }

  // ── Refunds (src/refunds/): the order's refunded_minor is the reservation that keeps refunds within the paid amount ──

  /**
   * Reserves a refund on a PAID order of the merchant's in ONE conditional UPDATE: `amountMinor` (null: what is
   * left) is added to refunded_minor only if the sum stays within paid_amount_minor, and event_seq moves by
   * `events`. The order row is locked by the CTE, so concurrent reservations queue and each sees the last one's
   * sum (never read-then-write). Null when the order is not the merchant's, not PAID, or the amount does not fit;
   * the caller re-reads to say which. The CHECK orders_refunded_within_paid backs this up in the schema.
   */
  async reserveRefund(
    manager: EntityManager,
    q: { scope: Scope; orderId: string; amountMinor: number | null; events: number },
  ): Promise<{ order: Order; amountMinor: number } | null> {
    const [row] = returnedRows<Record<string, unknown>>(
      await manager.query(
        `WITH cur AS (
           SELECT id, COALESCE($3::bigint, paid_amount_minor - refunded_minor) AS amount FROM orders WHERE id = $1 AND merchant_id = $2 AND livemode = $5 FOR UPDATE
         )
         UPDATE orders o SET refunded_minor = o.refunded_minor + cur.amount, event_seq = o.event_seq + $4, updated_at = now()
           FROM cur
          WHERE o.id = cur.id AND o.status = 'PAID' AND o.paid_amount_minor IS NOT NULL AND cur.amount > 0 AND o.refunded_minor + cur.amount <= o.paid_amount_minor
         RETURNING o.*, cur.amount AS refund_amount_minor`,
        [q.orderId, q.scope.merchantId, q.amountMinor, q.events, q.scope.livemode],
      ),
    );
    return row ? { order: hydrateEntity(manager, Order, row), amountMinor: Number(row.refund_amount_minor) } : null;
  }

  /** A refund's final outcome on its order: one more event, and `releaseMinor` given back when the refund failed. */
  async settleRefund(manager: EntityManager, orderId: string, releaseMinor: number): Promise<Order> {
    const [row] = returnedRows<Record<string, unknown>>(
      await manager.query(`UPDATE orders SET refunded_minor = refunded_minor - $2, event_seq = event_seq + 1, updated_at = now() WHERE id = $1 RETURNING *`, [
        orderId,
        releaseMinor,
      ]),
    );
    return hydrateEntity(manager, Order, row);
  }
}
