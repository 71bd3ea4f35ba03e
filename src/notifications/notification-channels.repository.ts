import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/rows';

export type ChannelType = 'telegram';
export type NotificationLanguage = 'km' | 'en';

/** A notification_channels row (the bot token sealed). */
export interface ChannelRow {
  merchant_id: string;
  type: ChannelType;
  chat_id: string;
  bot_token_sealed: string;
  events: string[];
  language: NotificationLanguage;
  created_at: Date;
  updated_at: Date;
}

export interface ChannelWrite {
  merchantId: string;
  type: ChannelType;
  chatId: string;
  botTokenSealed: string;
  botTokenHash: string;
  events: string[];
  language: NotificationLanguage;
}

/** The notification_channels table: at most one channel per merchant and type. Every query is scoped by merchant. */
@Injectable()
export class NotificationChannelsRepository {
  constructor(private readonly db: DataSource) {}

  list(merchantId: string): Promise<ChannelRow[]> {
    return this.db.query(`SELECT * FROM notification_channels WHERE merchant_id = $1 ORDER BY type`, [merchantId]);
  }

  async find(merchantId: string, type: ChannelType): Promise<ChannelRow | null> {
    const rows: ChannelRow[] = await this.db.query(`SELECT * FROM notification_channels WHERE merchant_id = $1 AND type = $2`, [merchantId, type]);
    return rows[0] ?? null;
  }

  async save(c: ChannelWrite): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_channels (merchant_id, type, chat_id, bot_token_sealed, bot_token_hash, events, language) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (merchant_id, type) DO UPDATE SET chat_id = EXCLUDED.chat_id, bot_token_sealed = EXCLUDED.bot_token_sealed,
         bot_token_hash = EXCLUDED.bot_token_hash, events = EXCLUDED.events, language = EXCLUDED.language, updated_at = now()`,
      [c.merchantId, c.type, c.chatId, c.botTokenSealed, c.botTokenHash, c.events, c.language],
    );
  }

  /** Deletes the channel; what was still waiting to be sent through it is dead-lettered in the same transaction. True when there was one. */
  async delete(merchantId: string, type: ChannelType): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      const deleted = returnedRows(
        await manager.query(`DELETE FROM notification_channels WHERE merchant_id = $1 AND type = $2 RETURNING type`, [merchantId, type]),
      );
      await manager.query(
        `UPDATE notification_deliveries SET status = 'dead', last_error = 'channel deleted', updated_at = now()
         WHERE merchant_id = $1 AND channel_type = $2 AND status IN ('pending', 'failed')`,
        [merchantId, type],
      );
      return deleted.length > 0;
    });
  }

  /** Inside an event's transaction: the merchant's channels subscribed to this event type. */
  subscribed(manager: EntityManager, merchantId: string, eventType: string): Promise<Pick<ChannelRow, 'type' | 'language'>[]> {
    return manager.query(`SELECT type, language FROM notification_channels WHERE merchant_id = $1 AND $2 = ANY(events)`, [merchantId, eventType]);
  }
}
