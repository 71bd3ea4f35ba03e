import { DataSource, EntityManager } from 'typeorm';

/**
 * The rows of a `query(… RETURNING …)`: typeorm answers UPDATE/DELETE … RETURNING on
 * PostgreSQL as [rows, count], INSERT/SELECT as rows.
 */
export function returnedRows<T>(result: unknown): T[] {
  const list = result as unknown[];
  return (Array.isArray(list) && Array.isArray(list[0]) ? list[0] : list) as T[];
}

/**
 * A raw row (columns optionally under `prefix`) as an entity, converted column by column
 * exactly as typeorm converts the rows a find() reads: lets a RETURNING row stand in for a
 * read-back query.
 */
export function hydrateEntity<T extends object>(db: DataSource | EntityManager, entity: new () => T, row: Record<string, unknown>, prefix = ''): T {
  const connection = db instanceof DataSource ? db : db.connection;
  const metadata = connection.getMetadata(entity);
  const target = metadata.create() as T;
  for (const column of metadata.columns) {
    column.setEntityValue(target, connection.driver.prepareHydratedValue(row[prefix + column.databaseName], column));
  }
  return target;
}
