import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '../database/prepared';
import { hydrateEntity } from '../database/rows';
import { Order, Transaction } from './order.entity';
import type { OrderChange } from './orders.repository';

/** The transaction a transition moves with its order (to the order's new status), and the gateway's proof to keep on it. */
export interface TransactionFollow {
  id: string;
  proof: string | null;
}

/**
 * The statements of one order transition (OrderTransitions.tryApply), each a prepared statement
 * (fixed text, planned once per connection): the order and its transaction read in one round
 * trip, and the compare-and-set on the order with its transaction following it in one more,
 * both rows coming back through RETURNING (docs/benchmarks.md, "Sweeps (issue 19)").
 */
@Injectable()
export class OrderTransitionsRepository {
  private columns: string | undefined;

  constructor(private readonly db: DataSource) {}

  /**
   * The order and its transaction `transactionId` (the order's latest when not given), read inside `manager`'s
   * database transaction; null when there is no such pair (the order does not exist, or the transaction is not its).
   */
  async read(manager: EntityManager, orderId: string, transactionId?: string): Promise<{ order: Order; transaction: Transaction } | null> {
    const [row] = transactionId
      ? await preparedQuery<Record<string, unknown>>(
          manager,
          'khqr_transition_read',
          `SELECT ${this.both()} FROM orders o JOIN transactions t ON t.order_id = o.id WHERE o.id = $1 AND t.id = $2`,
          [orderId, transactionId],
        )
      : await preparedQuery<Record<string, unknown>>(
          manager,
          'khqr_transition_read_latest',
          `SELECT ${this.both()} FROM orders o
             CROSS JOIN LATERAL (SELECT * FROM transactions WHERE order_id = o.id ORDER BY created_at DESC LIMIT 1) t
            WHERE o.id = $1`,
          [orderId],
        );
    return row ? { order: hydrateEntity(manager, Order, row, 'o_'), transaction: hydrateEntity(manager, Transaction, row, 't_') } : null;
  }

  /**
   * Applies `change` as a compare-and-set on the status it was decided from (bumping event_seq) and, in the same
   * statement and only if the order changed, moves the transaction `follow` to the order's new status with the
   * gateway's proof (a transaction that left PENDING is checked no more). Null when the order no longer has the
   * status (the caller lost a race: re-read and decide again); `transaction` is null when no `follow` was given.
   * A proof already recorded for another payment fails the statement (unique index transactions_provider_proof).
   */
  async compareAndSet(
    manager: EntityManager,
    orderId: string,
    change: OrderChange,
    follow: TransactionFollow | null,
  ): Promise<{ order: Order; transaction: Transaction | null } | null> {
    const paid = change.paid ?? null;
    const [row] = await preparedQuery<Record<string, unknown>>(
      manager,
      'khqr_transition_cas',
      `WITH o AS (
         UPDATE orders SET flags = ARRAY(SELECT DISTINCT unnest(flags || $3::text[]) ORDER BY 1), event_seq = event_seq + 1, updated_at = now(),
           status = COALESCE($4::text, status),
           paid_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE paid_at END,
           paid_amount_minor = CASE WHEN $5::boolean THEN $7::bigint ELSE paid_amount_minor END,
           paid_currency = CASE WHEN $5::boolean THEN $8::text ELSE paid_currency END,
           verification = CASE WHEN $5::boolean THEN $9::text ELSE verification END,
           status_reason = COALESCE($10::text, status_reason)
         WHERE id = $1 AND status = $2 RETURNING *
       ), t AS (
         UPDATE transactions tr SET status = o.status, provider_proof = COALESCE($12::text, tr.provider_proof),
           next_check_at = CASE WHEN o.status = 'PENDING' THEN tr.next_check_at ELSE NULL END, updated_at = now()
         FROM o WHERE tr.id = $11::text AND tr.order_id = o.id RETURNING tr.*
       )
       SELECT ${this.both()} FROM o LEFT JOIN t ON true`,
      [
        orderId,
        change.from,
        change.addFlags,
        change.to ?? null,
        paid !== null,
        paid?.at ?? null,
        paid?.amountMinor ?? null,
        paid?.currency ?? null,
        paid?.verification ?? null,
        change.reason ?? null,
        follow?.id ?? null,
        follow?.proof ?? null,
      ],
    );
    if (!row) return null;
    const order = hydrateEntity(manager, Order, row, 'o_');
    if (!follow) return { order, transaction: null };
    if (row.t_id == null) throw new Error(`transaction ${follow.id} is not one of order ${orderId}'s`);
    return { order, transaction: hydrateEntity(manager, Transaction, row, 't_') };
  }

  /** The order and transaction columns (from the entities), prefixed `o_` and `t_` so they cannot collide. */
  private both(): string {
    if (this.columns === undefined) {
      const list = (alias: string, entity: typeof Order | typeof Transaction) =>
        this.db.getMetadata(entity).columns.map((c) => `${alias}."${c.databaseName}" AS "${alias}_${c.databaseName}"`);
      this.columns = [...list('o', Order), ...list('t', Transaction)].join(', ');
    }
    return this.columns;
  }
}
