import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '../database/prepared';

/** An event as stored, and as presented (see presentEvent). */
export interface EventRow {
  id: string;
  type: string;
  /** false for a test-mode event. */
  livemode: boolean;
  order_id: string;
  sequence: number;
  data: Record<string, unknown>;
  created_at: Date;
}

export interface NewEvent {
  id: string;
  merchantId: string;
  livemode: boolean;
  orderId: string;
  type: string;
  sequence: number;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface EventFilter {
  type?: string;
  orderId?: string;
  /** An event id: events older than it (ids sort by time). */
  startingAfter?: string;
  limit: number;
}

const COLUMNS = 'id, type, livemode, order_id, sequence, data, created_at';

/** The events table's one owner: the outbox insert and the merchant's reads. */
@Injectable()
export class EventsRepository {
  constructor(private readonly db: DataSource) {}

  /** Inside the caller's transaction: the event commits with the change it reports. */
  async insert(manager: EntityManager, event: NewEvent): Promise<void> {
    await preparedQuery(
      manager,
      'khqr_event_insert',
      `INSERT INTO events (id, merchant_id, order_id, type, sequence, data, created_at, livemode) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [event.id, event.merchantId, event.orderId, event.type, event.sequence, event.data, event.createdAt, event.livemode],
    );
  }

  /** The merchant's events in the scope's mode, newest first; one row more than `limit`, so the caller can tell has_more. */
  listForMerchant(scope: Scope, filter: EventFilter): Promise<EventRow[]> {
    const params: unknown[] = [scope.merchantId, filter.limit + 1, scope.livemode];
    let where = 'merchant_id = $1 AND livemode = $3';
    if (filter.type) {
      params.push(filter.type);
      where += ` AND type = $${params.length}`;
    }
    if (filter.orderId) {
      params.push(filter.orderId);
      where += ` AND order_id = $${params.length}`;
    }
    if (filter.startingAfter) {
      params.push(filter.startingAfter);
      where += ` AND id < $${params.length}`;
    }
    return this.db.query(`SELECT ${COLUMNS} FROM events WHERE ${where} ORDER BY id DESC LIMIT $2`, params);
  }

  async findForMerchant(scope: Scope, id: string): Promise<EventRow | null> {
    const rows: EventRow[] = await this.db.query(`SELECT ${COLUMNS} FROM events WHERE id = $1 AND merchant_id = $2 AND livemode = $3`, [
      id,
      scope.merchantId,
      scope.livemode,
    ]);
    return rows[0] ?? null;
  }
}
