import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the operator's cross-merchant searches (GET /admin/orders by status or
 * reference, GET /admin/audit-log by action). Built CONCURRENTLY, outside a transaction, so
 * applying this to a busy production database never blocks order writes.
 */
export class OpsIndexes1764000008000 implements MigrationInterface {
  name = 'OpsIndexes1764000008000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_id ON orders (status, id DESC)`);
    await q.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_reference ON orders (reference)`);
    await q.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_action ON audit_log (action, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS audit_log_action`);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS orders_reference`);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS orders_status_id`);
  }
}
