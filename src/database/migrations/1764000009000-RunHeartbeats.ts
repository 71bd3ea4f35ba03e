import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation runs get a heartbeat (renewed with their claim leases), so a run whose
 * instance was killed can be told from one still working and closed as interrupted. Plus a
 * partial index for the lease renewal and release statements, which look rows up by claimed_by.
 */
export class RunHeartbeats1764000009000 implements MigrationInterface {
  name = 'RunHeartbeats1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reconciliation_runs ADD COLUMN heartbeat_at timestamptz`);
    await q.query(`UPDATE reconciliation_runs SET heartbeat_at = COALESCE(finished_at, started_at)`);
    await q.query(`CREATE INDEX transactions_claimed_by ON transactions (claimed_by) WHERE claimed_by IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX transactions_claimed_by`);
    await q.query(`ALTER TABLE reconciliation_runs DROP COLUMN heartbeat_at`);
  }
}
