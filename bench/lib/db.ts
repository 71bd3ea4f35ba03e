import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';

export interface BenchDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * The bench's own PostgreSQL: an embedded server in a temp dir, migrated. With `adminUrl`
 * (the jest smoke run) a fresh database on that server instead, cloned from its migrated
 * template when there is one.
 */
export async function startBenchDatabase(opts: { adminUrl?: string } = {}): Promise<BenchDatabase> {
  if (opts.adminUrl) {
    const name = `bench_${randomBytes(6).toString('hex')}`;
    const client = new Client({ connectionString: opts.adminUrl });
    await client.connect();
    try {
      const template = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'khqr_template'`);
      await client.query(`CREATE DATABASE ${name}${template.rowCount ? ' TEMPLATE khqr_template' : ''}`);
    } finally {
      await client.end();
    }
    const url = opts.adminUrl.replace(/\/[^/]+$/, `/${name}`);
    await runMigrations(url);
    return { url, stop: async () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'khqr-bench-pg-'));
  const db = await startEmbeddedPostgres(dir, { persistent: false });
  try {
    await runMigrations(db.url);
  } catch (err) {
    await db.stop();
    throw err;
  }
  return {
    url: db.url,
    async stop() {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
