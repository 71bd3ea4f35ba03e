import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hosted checkout and SMM top-up: the bank-app deeplink of an order (when its gateway gives one),
 * merchants' SMM panel settings, the credit ledger (one row per paid top-up order: exactly-once
 * crediting), and the sandbox panels' users and payments.
 */
export class CheckoutAndSmmTopup1764000007000 implements MigrationInterface {
  name = 'CheckoutAndSmmTopup1764000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE orders ADD COLUMN deeplink text;
      CREATE TABLE smm_panels (
        merchant_id text PRIMARY KEY REFERENCES merchants(id),
        type text NOT NULL CHECK (type IN ('perfectpanel', 'socpanel')),
        api_url text NOT NULL,
        api_key_sealed text NOT NULL,
        enabled boolean NOT NULL,
        provider text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE smm_credits (
        order_id text PRIMARY KEY REFERENCES orders(id),
        merchant_id text NOT NULL REFERENCES merchants(id),
        username text NOT NULL,
        email text,
        amount text NOT NULL,
        currency text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'attempting', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_outcome text CHECK (last_outcome IN ('rejected', 'unknown')),
        panel_type text,
        panel_payment_id text,
        last_error text,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX smm_credits_due ON smm_credits (next_attempt_at) WHERE status IN ('pending', 'attempting');
      CREATE INDEX smm_credits_status ON smm_credits (status, order_id DESC);
      CREATE TABLE sandbox_panel_users (
        panel text NOT NULL,
        merchant_id text NOT NULL,
        username text NOT NULL,
        balance_minor bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (panel, merchant_id, username)
      );
      CREATE TABLE sandbox_panel_payments (
        id bigserial PRIMARY KEY,
        panel text NOT NULL,
        merchant_id text NOT NULL,
        username text NOT NULL,
        amount text NOT NULL,
        method text,
        memo text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX sandbox_panel_payments_user ON sandbox_panel_payments (panel, merchant_id, username, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sandbox_panel_payments, sandbox_panel_users, smm_credits, smm_panels; ALTER TABLE orders DROP COLUMN deeplink;`);
  }
}
