import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';

/**
 * One embedded PostgreSQL for the whole run. Migrations run once into a template database;
 * each test app gets its own database cloned from it (CREATE DATABASE … TEMPLATE), so specs
 * never see each other's rows.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'khqr-test-pg-'));
  const db = await startEmbeddedPostgres(dir, { persistent: false });
  const adminUrl = db.url.replace(/\/khqr$/, '/postgres');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  await client.query('CREATE DATABASE khqr_template');
  await client.end();
  await runMigrations(adminUrl.replace(/\/postgres$/, '/khqr_template'));
  process.env.TEST_PG_ADMIN_URL = adminUrl;
  (globalThis as { __khqrTestDb?: { stop(): Promise<void> } }).__khqrTestDb = db;
}
