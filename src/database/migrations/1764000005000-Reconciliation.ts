import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation: claim leases on transactions (so several instances never check the same one
 * at once, and a crashed instance's claims lapse) and the record of every sweep.
 */
export class Reconciliation1764000005000 implements MigrationInterface {
  name = 'Reconciliation1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE transactions
        ADD COLUMN claimed_until timestamptz,
        ADD COLUMN claimed_by text,
        ADD COLUMN swept_at timestamptz;
      CREATE INDEX transactions_pending_provider ON transactions (provider, next_check_at) WHERE status = 'PENDING';
      CREATE TABLE reconciliation_runs (
        id text PRIMARY KEY,
        trigger text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
        status text NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
        instance text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        claimed integer NOT NULL DEFAULT 0,
        checked integer NOT NULL DEFAULT 0,
        paid integer NOT NULL DEFAULT 0,
        expired integer NOT NULL DEFAULT 0,
        flagged integer NOT NULL DEFAULT 0,
        errors integer NOT NULL DEFAULT 0,
        providers jsonb NOT NULL DEFAULT '{}',
        error text
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE reconciliation_runs;
      DROP INDEX transactions_pending_provider;
      ALTER TABLE transactions DROP COLUMN claimed_until, DROP COLUMN claimed_by, DROP COLUMN swept_at;
    `);
  }
}
