import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';
import { readTreeCpuMs } from './proc';

export interface BenchDatabase {
  url: string;
  /** CPU ms the embedded server has used so far (NaN for a server the bench did not start). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * The bench's own PostgreSQL: an embedded server in a temp dir, migrated. With `adminUrl`
 * (the jest smoke run) a fresh database on that server instead, cloned from its migrated
 * template when there is one.
 */
/** pg_stat_statements for `--pg-stats`: statement counts and times per order (the embedded build ships the extension). */
export const PG_STATS_SETTINGS = [
  'shared_preload_libraries=pg_stat_statements',
  'pg_stat_statements.track=all',
  'pg_stat_statements.track_planning=on',
  'track_io_timing=on',
];

export async function startBenchDatabase(opts: { adminUrl?: string; pgStats?: boolean } = {}): Promise<BenchDatabase> {
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
    return { url, cpuMs: () => NaN, stop: async () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'khqr-bench-pg-'));
  const db = await startEmbeddedPostgres(dir, { persistent: false, settings: opts.pgStats ? PG_STATS_SETTINGS : [] });
  try {
    await runMigrations(db.url);
    if (opts.pgStats) {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').finally(() => client.end());
    }
  } catch (err) {
    await db.stop();
    throw err;
  }
  const postmaster = Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: db.url,
    cpuMs: () => readTreeCpuMs(postmaster),
    async stop() {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
