import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newId } from '../common/ids';
import type { EventType } from '../orders/state-machine';

export interface OutboxEvent {
  merchantId: string;
  orderId: string;
  type: EventType;
  /** The order's event sequence number, strictly increasing per order. */
  sequence: number;
  data: Record<string, unknown>;
}

/** A hook that runs inside the same database transaction as the event insert (e.g. fan-out to webhook deliveries). */
export type OutboxListener = (manager: EntityManager, event: OutboxEvent & { id: string; createdAt: Date }) => Promise<void>;

/**
 * The transactional outbox: events are inserted with the state change they report, in the
 * same database transaction, so there is never a change without its event or an event
 * without its change.
 */
@Injectable()
export class OutboxWriter {
  private readonly listeners: OutboxListener[] = [];

  onAppend(listener: OutboxListener): void {
    this.listeners.push(listener);
  }

  async append(manager: EntityManager, event: OutboxEvent): Promise<string> {
    const id = newId('evt');
    const createdAt = new Date();
    await manager.query(
      `INSERT INTO events (id, merchant_id, order_id, type, sequence, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, event.merchantId, event.orderId, event.type, event.sequence, event.data, createdAt],
    );
    for (const listener of this.listeners) await listener(manager, { ...event, id, createdAt });
    return id;
  }
}
