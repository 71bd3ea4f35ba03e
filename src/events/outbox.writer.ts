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

/**
 * What the event's INSERT statement learnt on the way, for the listeners: whether the merchant has
 * a notification channel of the event's mode subscribed to its type (undefined: not asked).
 */
export interface OutboxFacts {
  notificationChannels?: boolean;
}

/** An event with its id and creation time, before or after it is written. */
export type StagedEvent = OutboxEvent & { id: string; createdAt: Date };

/** A hook that runs inside the same database transaction as the event insert (e.g. the Telegram notifications). */
export type OutboxListener = (manager: EntityManager, event: OutboxEvent & { id: string; createdAt: Date }, facts: OutboxFacts) => Promise<void>;

/** Writes the event row itself, with whatever must be written in the same statement (the webhook fan-out). */
export type OutboxInserter = (manager: EntityManager, event: OutboxEvent & { id: string; createdAt: Date }) => Promise<OutboxFacts>;

/**
 * The transactional outbox: events are inserted with the state change they report, in the
 * same database transaction, so there is never a change without its event or an event
 * without its change.
 */
@Injectable()
export class OutboxWriter {
  private readonly listeners: OutboxListener[] = [];
  private inserter: OutboxInserter | null = null;

  constructor(private readonly events: EventsRepository) {}

  onAppend(listener: OutboxListener): void {
    this.listeners.push(listener);
  }

  /** Replaces the plain event INSERT by one that also writes the event's fan-out (one round trip per event instead of two). */
  useInserter(inserter: OutboxInserter): void {
    this.inserter = inserter;
  }

  /** The event with its id and creation time, as `append` writes it; for a caller that inserts it itself (see `committed`). */
  stage(event: OutboxEvent): StagedEvent {
    return { ...event, id: newId('evt'), createdAt: new Date() };
  }

  async append(manager: EntityManager, event: OutboxEvent): Promise<string> {
    const written = this.stage(event);
    let facts: OutboxFacts = {};
    if (this.inserter) facts = await this.inserter(manager, written);
    else await this.events.insert(manager, written);
    for (const listener of this.listeners) await listener(manager, written, facts);
    return written.id;
  }

  /**
   * For a staged event its caller already wrote and committed in ONE autocommit statement with the change it
   * reports and its webhook fan-out (order creation's common case, OrderCreationRepository.insertCreated): tells the
   * listeners now, outside any transaction, so the metrics count it at once. Only for events whose listeners
   * have nothing to write: the caller's statement wrote nothing when a notification channel was subscribed to
   * the event (`notificationChannels: false`), and only `order.paid` writes elsewhere (the SMM credit ledger).
   */
  async committed(manager: EntityManager, event: StagedEvent): Promise<void> {
    if (manager.queryRunner?.isTransactionActive) throw new Error('OutboxWriter.committed: the event must already be committed');
    if (event.type === 'order.paid') throw new Error('OutboxWriter.committed: order.paid has listeners that write in its transaction');
    for (const listener of this.listeners) await listener(manager, event, { notificationChannels: false });
  }
}
