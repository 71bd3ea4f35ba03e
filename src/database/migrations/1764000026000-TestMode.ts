import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Test mode (docs/test-mode.md). Every table a merchant's key reads or writes through the API
 * carries `livemode` (true for everything that existed before): API keys (the mode a key opens),
 * provider accounts (a test-mode account is the simulated one), orders and their transactions,
 * events, webhook endpoints and idempotency keys. Uniqueness that was per merchant becomes per
 * merchant and mode, so a test order can never block a live reference (or an idempotency key),
 * and the merchant indexes lead with (merchant_id, livemode). Webhook deliveries and attempts
 * inherit the mode of their event and endpoint (the fan-out pairs only equal modes).
 */
export class TestMode1764000026000 implements MigrationInterface {
  name = 'TestMode1764000026000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['api_keys', 'provider_accounts', 'orders', 'transactions', 'events', 'webhook_endpoints', 'idempotency_keys']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN livemode boolean NOT NULL DEFAULT true`);
    }
    await q.query(`ALTER TABLE provider_accounts DROP CONSTRAINT provider_accounts_merchant_id_provider_key`);
    await q.query(`ALTER TABLE provider_accounts ADD CONSTRAINT provider_accounts_merchant_mode_provider_key UNIQUE (merchant_id, livemode, provider)`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_merchant_id_reference_key`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_merchant_mode_reference_key UNIQUE (merchant_id, livemode, reference)`);
    await q.query(`DROP INDEX orders_merchant_id`);
    await q.query(`CREATE INDEX orders_merchant_mode ON orders (merchant_id, livemode, id DESC)`);
    await q.query(`DROP INDEX orders_merchant_status`);
    await q.query(`CREATE INDEX orders_merchant_mode_status ON orders (merchant_id, livemode, status, id DESC)`);
    await q.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey`);
    await q.query(`ALTER TABLE idempotency_keys ADD PRIMARY KEY (merchant_id, livemode, key)`);
    await q.query(`DROP INDEX events_merchant`);
    await q.query(`CREATE INDEX events_merchant_mode ON events (merchant_id, livemode, id DESC)`);
    await q.query(`DROP INDEX webhook_endpoints_merchant`);
    await q.query(`CREATE INDEX webhook_endpoints_merchant_mode ON webhook_endpoints (merchant_id, livemode, id DESC) WHERE deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Test-mode rows have no place in the schema without modes.
    for (const table of ['webhook_endpoints', 'events', 'idempotency_keys', 'transactions', 'orders', 'provider_accounts', 'api_keys']) {
      await q.query(`DELETE FROM ${table} WHERE NOT livemode`);
    }
    await q.query(`DROP INDEX webhook_endpoints_merchant_mode`);
    await q.query(`CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, id DESC) WHERE deleted_at IS NULL`);
    await q.query(`DROP INDEX events_merchant_mode`);
    await q.query(`CREATE INDEX events_merchant ON events (merchant_id, id DESC)`);
    await q.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey`);
    await q.query(`ALTER TABLE idempotency_keys ADD PRIMARY KEY (merchant_id, key)`);
    await q.query(`DROP INDEX orders_merchant_mode_status`);
    await q.query(`CREATE INDEX orders_merchant_status ON orders (merchant_id, status, id DESC)`);
    await q.query(`DROP INDEX orders_merchant_mode`);
    await q.query(`CREATE INDEX orders_merchant_id ON orders (merchant_id, id DESC)`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_merchant_mode_reference_key`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_merchant_id_reference_key UNIQUE (merchant_id, reference)`);
    await q.query(`ALTER TABLE provider_accounts DROP CONSTRAINT provider_accounts_merchant_mode_provider_key`);
    await q.query(`ALTER TABLE provider_accounts ADD CONSTRAINT provider_accounts_merchant_id_provider_key UNIQUE (merchant_id, provider)`);
    for (const table of ['api_keys', 'provider_accounts', 'orders', 'transactions', 'events', 'webhook_endpoints', 'idempotency_keys']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN livemode`);
    }
  }
}
