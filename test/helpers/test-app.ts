import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/config';
import { freePort } from '../../src/database/embedded-postgres';

export const TEST_ADMIN_TOKEN = 'adm_test_admin_token_0123456789';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** A fresh database cloned from the migrated template. */
export async function createTestDatabase(): Promise<string> {
  const admin = process.env.TEST_PG_ADMIN_URL;
  if (!admin) throw new Error('TEST_PG_ADMIN_URL is unset: run e2e specs through jest (test/helpers/global-setup.ts)');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE khqr_template`);
  } finally {
    await client.end();
  }
  return admin.replace(/\/postgres$/, `/${name}`);
}

export interface TestAppOptions {
  /** Share a database with another instance (multi-instance tests). */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Where the app's log lines go (tests capture them); stdout when unset. */
  logStream?: DestinationStream;
  /** The dashboard's web bundle directory (default dist/web). */
  dashboardDir?: string;
}

export interface TestMerchant {
  id: string;
  /** The live key (`sk_live_…`). */
  apiKey: string;
  /** The test key (`sk_test_…`): the same merchant's test-mode data only. */
  testApiKey: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  databaseUrl: string;
  /** A pool on the app's database, for assertions. */
  db: Pool;
  close(): Promise<void>;
  createMerchant(name?: string): Promise<TestMerchant>;
  /** HTTP against the app; never follows redirects. */
  request(method: string, path: string, opts?: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string }): Promise<TestResponse>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function httpRequest(
  url: string,
  method: string,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Boots the real application in-process on a loopback port, against its own database. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const databaseUrl = opts.databaseUrl ?? (await createTestDatabase());
  const port = await freePort();
  // The app runs beside a real database (DATABASE_URL), so the sandbox is opted into explicitly, and
  // its loopback URLs (simulators, receivers) are reachable only through OUTBOUND_ALLOWLIST. A spec
  // that turns the sandbox off gets no allow-list unless it gives one.
  const sandbox = opts.env?.SANDBOX ?? 'true';
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    SANDBOX: sandbox,
    ...(sandbox === 'true' ? { OUTBOUND_ALLOWLIST: '127.0.0.1' } : {}),
    SEED_DEMO: 'false',
    BACKGROUND_JOBS: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PROVIDER_TIMEOUT_MS: '1500',
    // Specs drive the API hard on purpose; the rate-limit specs set their own small limits.
    RATE_LIMIT_PER_KEY_PER_S: '100000',
    RATE_LIMIT_PER_IP_PER_S: '100000',
    ADMIN_AUTH_FAILURES_PER_MIN: '100000',
    ...(opts.env ?? {}),
  });
  const app = await createApp(config, databaseUrl, { logStream: opts.logStream, dashboardDir: opts.dashboardDir });
  await app.listen({ port, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  const db = new Pool({ connectionString: databaseUrl, max: 4 });
  const request: TestApp['request'] = (method, path, o) => httpRequest(url + path, method, o);
  return {
    app,
    config,
    url,
    databaseUrl,
    db,
    request,
    async close() {
      await app.close();
      await db.end();
    },
    async createMerchant(name = 'Test Merchant') {
      const res = await request('POST', '/admin/merchants', { token: TEST_ADMIN_TOKEN, body: { name } });
      if (res.status !== 201) throw new Error(`create merchant: ${res.status} ${res.text}`);
      return { id: res.json.id, apiKey: res.json.api_key, testApiKey: res.json.test_api_key };
    },
  };
}
