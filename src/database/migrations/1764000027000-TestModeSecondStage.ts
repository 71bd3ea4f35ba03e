import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Test mode for the second stage's tables (docs/test-mode.md, "Table by table"): refunds (a refund takes
 * its order's mode), payment links (a link belongs to a mode and its page creates orders of that mode),
 * notification channels (a merchant may have one Telegram channel per mode; a test-mode event never
 * messages a live channel) and their deliveries (the mode of the event they carry). Existing rows are
 * live. The merchant indexes lead with (merchant_id, livemode); the channel key becomes per mode.
 */
export class TestModeSecondStage1764000027000 implements MigrationInterface {
  name = 'TestModeSecondStage1764000027000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['refunds', 'payment_links', 'notification_channels', 'notification_deliveries']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN livemode boolean NOT NULL DEFAULT true`);
    }
    await q.query(`DROP INDEX refunds_merchant`);
    await q.query(`CREATE INDEX refunds_merchant_mode ON refunds (merchant_id, livemode, id DESC)`);
    await q.query(`DROP INDEX payment_links_merchant_id`);
    await q.query(`CREATE INDEX payment_links_merchant_mode ON payment_links (merchant_id, livemode, id DESC)`);
    await q.query(`ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_pkey`);
    await q.query(`ALTER TABLE notification_channels ADD PRIMARY KEY (merchant_id, livemode, type)`);
    await q.query(`DROP INDEX notification_deliveries_merchant`);
    await q.query(`CREATE INDEX notification_deliveries_merchant_mode ON notification_deliveries (merchant_id, livemode, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Test-mode rows have no place in the schema without modes (orders' test rows go with TestMode1764000026000's down).
    await q.query(`DELETE FROM notification_deliveries WHERE NOT livemode`);
    await q.query(`DELETE FROM notification_channels WHERE NOT livemode`);
    await q.query(`DELETE FROM refunds WHERE NOT livemode`);
    await q.query(`UPDATE orders SET payment_link_id = NULL WHERE payment_link_id IN (SELECT id FROM payment_links WHERE NOT livemode)`);
    await q.query(`DELETE FROM payment_links WHERE NOT livemode`);
    await q.query(`DROP INDEX notification_deliveries_merchant_mode`);
    await q.query(`CREATE INDEX notification_deliveries_merchant ON notification_deliveries (merchant_id, created_at)`);
    await q.query(`ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_pkey`);
    await q.query(`ALTER TABLE notification_channels ADD PRIMARY KEY (merchant_id, type)`);
    await q.query(`DROP INDEX payment_links_merchant_mode`);
    await q.query(`CREATE INDEX payment_links_merchant_id ON payment_links (merchant_id, id DESC)`);
    await q.query(`DROP INDEX refunds_merchant_mode`);
    await q.query(`CREATE INDEX refunds_merchant ON refunds (merchant_id, id DESC)`);
    for (const table of ['refunds', 'payment_links', 'notification_channels', 'notification_deliveries']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN livemode`);
    }
  }
}
