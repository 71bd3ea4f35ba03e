import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '../database/prepared';
import { hydrateEntity } from '../database/rows';
import type { StagedEvent } from '../events/outbox.writer';
import { fanOutCtes, NOTIFY_CHANNEL } from '../events/webhook-deliveries.repository';
import { newDeliveryIds } from '../events/webhook-endpoints.service';
import { Order, Transaction } from './order.entity';
import { NewOrder, orderInsertParams, OrdersRepository } from './orders.repository';

/**
 * Order creation's common case in ONE autocommit statement (issue 19: two round trips per order instead of five):
 * the order, its first transaction, its `order.created` event, the event's webhook deliveries and the NOTIFY that
 * wakes the dispatchers (pg_notify inside a statement is delivered at its commit). A single statement is atomic:
 * any failure in it (a unique violation, a foreign key, the fan-out) leaves nothing behind.
 *
 * The statement writes nothing at all, and answers no row, when the merchant has a notification channel of the
 * order's mode subscribed to `order.created`: those messages are written by the notifications listener in the
 * event's transaction, so the caller then takes the transactional path (OrdersRepository.insertWithTransaction
 * and OutboxWriter.append). Every INSERT reads from the one before it, so the guard on the first stops them all.
 */
@Injectable()
export class OrderCreationRepository {
  constructor(
    private readonly db: DataSource,
    private readonly orders: OrdersRepository,
  ) {}

  private sql: string | undefined;

  /** The manager outside any transaction, for the outbox listeners told of an event this statement committed. */
  get manager(): EntityManager {
    return this.db.manager;
  }

  /**
   * Inserts `o` (no payment link: a link's orders take its row lock, in a transaction) with `event` (its
   * `order.created`, staged with the order view in `data`) and the event's fan-out, committed by the statement
   * itself. Null when a notification channel is subscribed (nothing written). Unique violations propagate.
   */
  async insertCreated(o: NewOrder, event: StagedEvent): Promise<{ order: Order; txn: Transaction; deliveries: number } | null> {
    if (o.paymentLinkId) throw new Error('OrderCreationRepository.insertCreated: payment-link orders take the transactional path');
    if (event.type !== 'order.created' || event.orderId !== o.orderId) throw new Error('OrderCreationRepository.insertCreated: not this order’s order.created');
    const rows = await preparedQuery<Record<string, unknown>>(this.db, 'khqr_order_insert_created', this.text(), [
      ...orderInsertParams(o),
      event.id,
      JSON.stringify(event.data),
      event.createdAt,
      newDeliveryIds(),
      NOTIFY_CHANNEL,
    ]);
    const [row] = rows;
    if (!row) return null;
    return { order: hydrateEntity(this.db, Order, row, 'o_'), txn: hydrateEntity(this.db, Transaction, row, 't_'), deliveries: Number(row.fan_out) };
  }

  /** The statement's text, built once (it names the entities' columns). */
  private text(): string {
    this.sql ??= `WITH o AS (
         INSERT INTO orders (id, merchant_id, reference, status, amount_minor, currency, provider, description, customer, metadata,
           success_url, cancel_url, checkout_url, qr_payload, qr_md5, qr_image_token, expires_at, event_seq, created_at, updated_at, deeplink, livemode, payment_link_id)
         SELECT $1::text, $2::text, $3::text, 'PENDING', $4::bigint, $5::text, $6::text, $7::text, $8::jsonb, $9::jsonb, $10::text, $11::text, $12::text,
                $13::text, $14::text, $15::text, $16::timestamptz, 1, $17::timestamptz, $17::timestamptz, $18::text, $26::boolean, NULL
          WHERE NOT EXISTS (SELECT 1 FROM notification_channels WHERE merchant_id = $2 AND livemode = $26 AND 'order.created' = ANY(events))
         RETURNING *),
       t AS (
         INSERT INTO transactions (id, number, order_id, merchant_id, provider, provider_reference, status, amount_minor, currency, wire_amount,
           return_token_hash, expires_at, next_check_at, created_at, updated_at, cancel_token_hash, livemode)
         SELECT $19::text, $20::bigint, o.id, $2, $6, $21::text, 'PENDING', $4, $5, $22::text, $23::text, $16, $24::timestamptz, $17, $17, $25::text, $26 FROM o
         RETURNING *),
       ev AS (
         INSERT INTO events (id, merchant_id, order_id, type, sequence, data, created_at, livemode)
         SELECT $27::text, $2, o.id, 'order.created', 1, $28::jsonb, $29::timestamptz, $26 FROM o
         RETURNING id),
       ${fanOutCtes({ merchant: '$2', livemode: '$26', type: `'order.created'`, ids: '$30' })}
       SELECT ${this.orders.bothColumns()}, c.n AS fan_out, CASE WHEN c.n > 0 THEN pg_notify($31, '') END AS notified
         FROM o, t, (SELECT count(*)::int AS n FROM ins) c`;
    return this.sql;
  }
}
