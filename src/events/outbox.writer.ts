import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newId } from '../common/ids';
import type { EventType } from './event-types';
import { EventsRepository } from './events.repository';

export interface OutboxEvent {
  merchantId: string;
  /** The mode of the order the event reports: it reaches only endpoints of the same mode. */
  livemode: boolean;
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

  constructor(private readonly events: EventsRepository) {}

  onAppend(listener: OutboxListener): void {
    this.listeners.push(listener);
  }

  async append(manager: EntityManager, event: OutboxEvent): Promise<string> {
    const id = newId('evt');
    const createdAt = new Date();
    await this.events.insert(manager, { ...event, id, createdAt });
    for (const listener of this.listeners) await listener(manager, { ...event, id, createdAt });
    return id;
  }
}
