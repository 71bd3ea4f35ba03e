import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox's Ahnajak and hosted-checkout gateways: their own payment sessions, kept in the
 * database so every app instance sees them (the checkout gateway creates its session before the
 * orchestrator has written its transaction row).
 */
export class SandboxPushGateways1764000004000 implements MigrationInterface {
  name = 'SandboxPushGateways1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sandbox_ahnajak_sessions (
        tx_id text PRIMARY KEY,
        merchant_id text NOT NULL,
        profile_id text NOT NULL,
        transaction_id text NOT NULL,
        amount text NOT NULL,
        success_url text,
        remark text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        UNIQUE (merchant_id, transaction_id)
      );
      CREATE TABLE sandbox_checkout_sessions (
        trx_id text PRIMARY KEY,
        merchant_id text NOT NULL,
        amount text NOT NULL,
        customer_name text,
        customer_email text,
        success_url text NOT NULL,
        cancel_url text NOT NULL,
        meta_data text,
        cancelled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sandbox_checkout_sessions, sandbox_ahnajak_sessions`);
  }
}
