import type { PoolClient } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';

/**
 * A hot statement as a named prepared statement: PostgreSQL parses and plans it once per
 * connection instead of on every call (the order path's statements spent more time being
 * planned than executed: docs/benchmarks.md, "Second stage: where an order's time goes").
 * `name` must be unique per distinct `text` (node-postgres refuses a name reused with another
 * text). Runs on the manager's query runner, so inside `transaction()` it is part of the
 * transaction; errors come back as typeorm's QueryFailedError with the driver's `code` and
 * `constraint`, exactly as `manager.query` reports them.
 *
 * Statements only change plan, never meaning: a migration that alters a table makes
 * PostgreSQL re-plan them by itself. A pooler in transaction mode must track them (PgBouncer
 * 1.21+ with `max_prepared_statements`), see docs/scaling.md.
 */
export async function preparedQuery<T>(db: DataSource | EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const manager = db instanceof DataSource ? db.manager : db;
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    try {
      const result = await client.query<T & Record<string, unknown>>({ name, text, values });
      return result.rows;
    } catch (err) {
      throw new QueryFailedError(text, values, err as Error);
    }
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
