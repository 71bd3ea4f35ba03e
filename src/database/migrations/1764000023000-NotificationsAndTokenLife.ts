import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merchant notifications (Telegram) and the life of gateway credentials.
 * - notification_channels: one channel per merchant and type; the bot token sealed like provider
 *   credentials (AES-256-GCM, bound to merchant and channel), its sha256 (the sandbox's Bot API
 *   recognises its own bots by it), the events it wants, its language.
 * - notification_deliveries: one message per (event, channel type), written in the event's own
 *   transaction (outbox fan-out), its text rendered then; claimed with SKIP LOCKED, retried on the
 *   webhook schedule, dead after the last attempt.
 * - provider_accounts.credential_expires_at: when the stored credential stops working (a Bakong
 *   token's JWT exp), for the account GET, the metric and /health/ready.
 */
export class NotificationsAndTokenLife1764000023000 implements MigrationInterface {
  name = 'NotificationsAndTokenLife1764000023000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_accounts ADD COLUMN credential_expires_at timestamptz`);
    await q.query(`
      CREATE TABLE notification_channels (
        merchant_id text NOT NULL REFERENCES merchants(id),
        type text NOT NULL CHECK (type IN ('telegram')),
        chat_id text NOT NULL,
        bot_token_sealed text NOT NULL,
        bot_token_hash text NOT NULL,
        events text[] NOT NULL,
        language text NOT NULL CHECK (language IN ('km', 'en')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (merchant_id, type)
      )`);
    await q.query(`
      CREATE TABLE notification_deliveries (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        channel_type text NOT NULL,
        event_id text NOT NULL REFERENCES events(id),
        text text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'failed', 'delivered', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_status integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (event_id, channel_type)
      )`);
    await q.query(`CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed', 'delivering')`);
    await q.query(`CREATE INDEX notification_deliveries_merchant ON notification_deliveries (merchant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_deliveries, notification_channels`);
    await q.query(`ALTER TABLE provider_accounts DROP COLUMN credential_expires_at`);
  }
}
