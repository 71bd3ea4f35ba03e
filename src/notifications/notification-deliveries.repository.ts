import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { newId } from '../common/ids';
import type { Scope } from '../common/scope';
import { returnedRows } from '../database/rows';

/** A delivery claimed for sending, with its channel as it is now (null fields when the channel was deleted). */
export interface ClaimedNotification {
  id: string;
  merchant_id: string;
  /** The event's mode; the channel joined is the one of the same mode. */
  livemode: boolean;
  channel_type: string;
  text: string;
  /** Attempts including the one claimed now: the fencing token of the outcome write. */
  attempts: number;
  chat_id: string | null;
  bot_token_sealed: string | null;
}

export interface NotificationOutcome {
  status: 'delivered' | 'failed' | 'dead';
  httpStatus: number | null;
  error: string | null;
  nextAt: Date | null;
}

/** The notification_deliveries table: one message per (event, channel type); claims with SKIP LOCKED and a lease; outcome writes fenced by attempts. */
@Injectable()
export class NotificationDeliveriesRepository {
  constructor(private readonly db: DataSource) {}

  /** Inside the event's transaction (outbox fan-out): the message to send, once per event and channel. */
  async insert(manager: EntityManager, d: { scope: Scope; channelType: string; eventId: string; text: string }): Promise<void> {
    await manager.query(
      `INSERT INTO notification_deliveries (id, merchant_id, channel_type, event_id, text, livemode) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (event_id, channel_type) DO NOTHING`,
      [newId('ntf'), d.scope.merchantId, d.channelType, d.eventId, d.text, d.scope.livemode],
    );
  }

  /**
   * Claims up to `limit` due deliveries (waiting, retry due, or a claim whose lease ran out), each
   * leased for `leaseSeconds` and its attempt counted, with its channel.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<ClaimedNotification[]> {
    return returnedRows(
      await this.db.query(
        `WITH claimed AS (
           UPDATE notification_deliveries d SET status = 'delivering', attempts = d.attempts + 1,
             next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
           FROM (SELECT id FROM notification_deliveries WHERE status IN ('pending', 'failed', 'delivering') AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
           WHERE d.id = due.id
           RETURNING d.id, d.merchant_id, d.livemode, d.channel_type, d.text, d.attempts)
         SELECT c.*, ch.chat_id, ch.bot_token_sealed FROM claimed c
         LEFT JOIN notification_channels ch ON ch.merchant_id = c.merchant_id AND ch.livemode = c.livemode AND ch.type = c.channel_type`,
        [limit, leaseSeconds],
      ),
    );
  }

  /** The attempt's outcome, only while the claim is still this attempt's (false when the lease was lost to another claim). */
  async record(row: ClaimedNotification, o: NotificationOutcome): Promise<boolean> {
    const rows = returnedRows(
      await this.db.query(
        `UPDATE notification_deliveries SET status = $3, last_status = $4, last_error = $5, next_attempt_at = COALESCE($6, next_attempt_at),
           delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END, updated_at = now()
         WHERE id = $1 AND attempts = $2 AND status = 'delivering' RETURNING id`,
        [row.id, row.attempts, o.status, o.httpStatus, o.error, o.nextAt],
      ),
    );
    return rows.length > 0;
  }

  /** The merchant's deliveries in one mode, newest first (tests, diagnostics). */
  listForMerchant(scope: Scope, limit = 20): Promise<{ id: string; event_id: string; status: string; attempts: number; last_error: string | null }[]> {
    return this.db.query(
      `SELECT id, event_id, status, attempts, last_status, last_error, delivered_at, created_at FROM notification_deliveries
       WHERE merchant_id = $1 AND livemode = $3 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [scope.merchantId, limit, scope.livemode],
    );
  }
}
