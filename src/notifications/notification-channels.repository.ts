import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Scope } from '../common/scope';
import { preparedQuery } from '../database/prepared';
import { returnedRows } from '../database/rows';

export type ChannelType = 'telegram';
export type NotificationLanguage = 'km' | 'en';

/** A notification_channels row (the bot token sealed). */
export interface ChannelRow {
  merchant_id: string;
  livemode: boolean;
  type: ChannelType;
  chat_id: string;
  bot_token_sealed: string;
  events: string[];
  language: NotificationLanguage;
  created_at: Date;
  updated_at: Date;
}

export interface ChannelWrite {
  scope: Scope;
  type: ChannelType;
  chatId: string;
  botTokenSealed: string;
  botTokenHash: string;
  events: string[];
  language: NotificationLanguage;
}

/** The notification_channels table: at most one channel per merchant, mode and type. Every query is scoped by merchant and mode. */
@Injectable()
export class NotificationChannelsRepository {
  constructor(private readonly db: DataSource) {}

  list(scope: Scope): Promise<ChannelRow[]> {
    return this.db.query(`SELECT * FROM notification_channels WHERE merchant_id = $1 AND livemode = $2 ORDER BY type`, [scope.merchantId, scope.livemode]);
  }

  async find(scope: Scope, type: ChannelType): Promise<ChannelRow | null> {
    const rows: ChannelRow[] = await this.db.query(`SELECT * FROM notification_channels WHERE merchant_id = $1 AND livemode = $3 AND type = $2`, [
      scope.merchantId,
      type,
      scope.livemode,
    ]);
    return rows[0] ?? null;
  }

  async save(c: ChannelWrite): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_channels (merchant_id, type, chat_id, bot_token_sealed, bot_token_hash, events, language, livemode)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (merchant_id, livemode, type) DO UPDATE SET chat_id = EXCLUDED.chat_id, bot_token_sealed = EXCLUDED.bot_token_sealed,
         bot_token_hash = EXCLUDED.bot_token_hash, events = EXCLUDED.events, language = EXCLUDED.language, updated_at = now()`,
      [c.scope.merchantId, c.type, c.chatId, c.botTokenSealed, c.botTokenHash, c.events, c.language, c.scope.livemode],
    );
  }

  /** Deletes the channel; what was still waiting to be sent through it is dead-lettered in the same transaction. True when there was one. */
  async delete(scope: Scope, type: ChannelType): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      const deleted = returnedRows(
        await manager.query(`DELETE FROM notification_channels WHERE merchant_id = $1 AND livemode = $3 AND type = $2 RETURNING type`, [
          scope.merchantId,
          type,
          scope.livemode,
        ]),
      );
      await manager.query(
        `UPDATE notification_deliveries SET status = 'dead', last_error = 'channel deleted', updated_at = now()
         WHERE merchant_id = $1 AND livemode = $3 AND channel_type = $2 AND status IN ('pending', 'failed')`,
        [scope.merchantId, type, scope.livemode],
      );
      return deleted.length > 0;
    });
  }

  /** Inside an event's transaction: the merchant's channels of the event's mode subscribed to this event type (a test event never reaches a live channel). */
  subscribed(manager: EntityManager, scope: Scope, eventType: string): Promise<Pick<ChannelRow, 'type' | 'language'>[]> {
    return preparedQuery(
      manager,
      'khqr_notification_subscribed',
      `SELECT type, language FROM notification_channels WHERE merchant_id = $1 AND livemode = $3 AND $2 = ANY(events)`,
      [scope.merchantId, eventType, scope.livemode],
    );
  }
}
