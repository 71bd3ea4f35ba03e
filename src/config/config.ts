import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import * as ipaddr from 'ipaddr.js';

/**
 * The validated environment. Built once at boot by `loadConfig`; a bad environment lists
 * every bad variable and the process exits non-zero before anything starts.
 */
export class AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  adminToken: string;
  /** True when the admin token was generated at boot (printed once for the operator). */
  adminTokenGenerated: boolean;
  encryptionKey: string;
  publicBaseUrl: string;
  /** The gateway simulators: on by default in embedded mode only, else only with SANDBOX=true. */
  sandbox: boolean;
  /** True when SANDBOX=true turned the simulators on beside a real database (or in production): logged loudly at start. */
  sandboxForced: boolean;
  /** Outbound calls may reach loopback without OUTBOUND_ALLOWLIST: only in embedded mode with the sandbox on. */
  outboundLoopback: boolean;
  reconcileIntervalSeconds: number;
  /** Reconciliation: concurrent gateway calls per provider (RECONCILE_CONCURRENCY). */
  reconcileConcurrency: number;
  /** Reconciliation: gateway calls per second per provider (RECONCILE_RATE_PER_S). */
  reconcileRatePerS: number;
  /** Reconciliation: time each provider's part of a run may take (RECONCILE_BUDGET_SECONDS; default max(interval, 30 s)). */
  reconcileBudgetSeconds: number;
  logLevel: string;
  outboundAllowlist: string[];
  rateLimitPerKeyPerS: number;
  rateLimitPerIpPerS: number;
  /** New orders the public top-up widget may create per merchant per minute, across all instances (TOPUP_ORDERS_PER_MERCHANT_PER_MIN). */
  topupOrdersPerMerchantPerMin: number;
  /** New orders the public payment-link pages may create per merchant per minute, across all instances (PAYMENT_LINK_ORDERS_PER_MERCHANT_PER_MIN). */
  paymentLinkOrdersPerMerchantPerMin: number;
  /** Gateway checks the public pay-page status poll may make per merchant per second, across all instances (PAGE_CHECKS_PER_MERCHANT_PER_S). */
  pageChecksPerMerchantPerS: number;
  /** Wrong admin tokens one client address may send per minute before its admin requests answer 429 (ADMIN_AUTH_FAILURES_PER_MIN). */
  adminAuthFailuresPerMin: number;
  /** Seed the demo merchant (embedded mode only, default on there). */
  seedDemo: boolean;
  /** Reconciliation and webhook dispatch loops (off in some tests, which drive them by hand). */
  backgroundJobs: boolean;
  corsOrigins: string[];
  /**
   * Which hops of X-Forwarded-For to believe (TRUST_PROXY): false (none: the socket address), a hop count
   * (1 = the proxy in front of us, whose own X-Forwarded-For entry is the client), or the proxies' addresses/CIDRs.
   * `true` believes every hop, so a client can choose its own address past the per-IP limits.
   */
  trustProxy: boolean | number | string[];
  /** Serve Swagger UI at /docs and the OpenAPI document at /docs-json (API_DOCS, default on: they describe the public API, no secret). */
  apiDocs: boolean;
  /** Deadline for one gateway API call. */
  providerTimeoutMs: number;
  /** Webhook retry delays after each failed attempt (WEBHOOK_RETRY_SCHEDULE_MS; default 5 s … 14 h, about 2.5 days). */
  webhookRetryScheduleMs: number[];
  /** Deadline for one webhook delivery attempt (WEBHOOK_TIMEOUT_MS, default 15 s). */
  webhookTimeoutMs: number;
  /** Webhook attempts in flight per instance (WEBHOOK_CONCURRENCY, default 32). */
  webhookConcurrency: number;
  /** How often the dispatcher looks for due retries when no NOTIFY woke it (WEBHOOK_POLL_INTERVAL_MS). */
  webhookPollIntervalMs: number;
  /** Webhook attempts in flight per endpoint, across all instances (WEBHOOK_ENDPOINT_CONCURRENCY, default 16). */
  webhookEndpointConcurrency: number;
  /** How long an endpoint's circuit breaker stays open before one probe is let through (WEBHOOK_BREAKER_COOLDOWN_MS, default 30 s). */
  webhookBreakerCooldownMs: number;
  /** HTTP(S) proxy for Bakong Open API calls of accounts without their own proxy_url (BAKONG_PROXY_URL): a relay in Cambodia. */
  bakongProxyUrl: string | null;
  /** The Telegram Bot API's base URL (TELEGRAM_API_BASE_URL, default https://api.telegram.org). */
  telegramApiBaseUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Standard Webhooks-style schedule: 5 s, 15 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 14 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [5, 15, 60, 300, 1800, 7200, 18000, 36000, 36000, 50400, 50400].map((s) => s * 1000);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function bool(name: string, raw: string | undefined, fallback: boolean, problems: string[]): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  problems.push(`${name} must be true or false (got "${raw}")`);
  return fallback;
}

/** Addresses proxy-addr knows by name, besides IPs and CIDRs. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(raw: string | undefined, problems: string[]): boolean | number | string[] {
  if (raw === undefined || raw === '') return false;
  if (/^\d{1,2}$/.test(raw)) return Number(raw) === 0 ? false : Number(raw);
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^(false|no|off)$/i.test(raw)) return false;
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => {
    if (PROXY_RANGE_NAMES.has(e)) return false;
    const [address, bits, extra] = e.split('/');
    const family = isIP(address);
    return !family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
  });
  if (!entries.length || bad.length) problems.push(`TRUST_PROXY must be false, a hop count, or proxy addresses/CIDRs (got "${raw}")`);
  return entries;
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number, problems: string[]): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return Number(raw);
}

function readOrCreateSecret(dataDir: string, file: string, make: () => string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return value;
}

/** Validates `env` and fills in the defaults DESIGN.md documents. Throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const c = new AppConfig();
  c.nodeEnv = env.NODE_ENV || 'development';
  c.production = c.nodeEnv === 'production';
  c.port = int('PORT', env.PORT, 3000, 0, 65535, problems);
  c.host = env.HOST || '0.0.0.0';
  c.databaseUrl = env.DATABASE_URL || undefined;
  if (c.databaseUrl && !/^postgres(ql)?:\/\//.test(c.databaseUrl)) problems.push('DATABASE_URL must be a postgres:// URL');
  c.dataDir = resolve(env.DATA_DIR || './.data');
  // Off beside a real database unless asked for: the simulators must never run next to real merchants by accident.
  const sandboxDefault = !c.production && !c.databaseUrl;
  c.sandbox = bool('SANDBOX', env.SANDBOX, sandboxDefault, problems);
  c.sandboxForced = c.sandbox && !sandboxDefault;
  c.outboundLoopback = c.sandbox && !c.databaseUrl;
  c.reconcileIntervalSeconds = int('RECONCILE_INTERVAL_SECONDS', env.RECONCILE_INTERVAL_SECONDS, 30, 1, 86400, problems);
  c.reconcileConcurrency = int('RECONCILE_CONCURRENCY', env.RECONCILE_CONCURRENCY, 8, 1, 256, problems);
  c.reconcileRatePerS = int('RECONCILE_RATE_PER_S', env.RECONCILE_RATE_PER_S, 20, 1, 100_000, problems);
  c.reconcileBudgetSeconds = int('RECONCILE_BUDGET_SECONDS', env.RECONCILE_BUDGET_SECONDS, Math.max(c.reconcileIntervalSeconds, 30), 1, 86400, problems);
  c.logLevel = env.LOG_LEVEL || (c.nodeEnv === 'test' ? 'warn' : 'info');
  if (!LOG_LEVELS.includes(c.logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  c.outboundAllowlist = (env.OUTBOUND_ALLOWLIST || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of c.outboundAllowlist) {
    if (!isAllowlistEntry(entry)) problems.push(`OUTBOUND_ALLOWLIST entry "${entry}" is neither a host name nor a CIDR`);
  }
  c.rateLimitPerKeyPerS = int('RATE_LIMIT_PER_KEY_PER_S', env.RATE_LIMIT_PER_KEY_PER_S, 100, 1, 1_000_000, problems);
  c.adminAuthFailuresPerMin = int('ADMIN_AUTH_FAILURES_PER_MIN', env.ADMIN_AUTH_FAILURES_PER_MIN, 10, 1, 1_000_000, problems);
  c.rateLimitPerIpPerS = int('RATE_LIMIT_PER_IP_PER_S', env.RATE_LIMIT_PER_IP_PER_S, 50, 1, 1_000_000, problems);
  c.topupOrdersPerMerchantPerMin = int('TOPUP_ORDERS_PER_MERCHANT_PER_MIN', env.TOPUP_ORDERS_PER_MERCHANT_PER_MIN, 30, 1, 1_000_000, problems);
  c.paymentLinkOrdersPerMerchantPerMin = int(
    'PAYMENT_LINK_ORDERS_PER_MERCHANT_PER_MIN',
    env.PAYMENT_LINK_ORDERS_PER_MERCHANT_PER_MIN,
    60,
    1,
    1_000_000,
    problems,
  );
  c.pageChecksPerMerchantPerS = int('PAGE_CHECKS_PER_MERCHANT_PER_S', env.PAGE_CHECKS_PER_MERCHANT_PER_S, 10, 1, 1_000_000, problems);
  c.publicBaseUrl = (env.PUBLIC_BASE_URL || `http://localhost:${c.port}`).replace(/\/+$/, '');
  try {
    const u = new URL(c.publicBaseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    problems.push('PUBLIC_BASE_URL must be an absolute http(s) URL');
  }
  c.seedDemo = bool('SEED_DEMO', env.SEED_DEMO, !c.databaseUrl, problems);
  c.backgroundJobs = bool('BACKGROUND_JOBS', env.BACKGROUND_JOBS, true, problems);
  c.providerTimeoutMs = int('PROVIDER_TIMEOUT_MS', env.PROVIDER_TIMEOUT_MS, 10_000, 100, 120_000, problems);
  c.webhookRetryScheduleMs = DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS;
  if (env.WEBHOOK_RETRY_SCHEDULE_MS) {
    const steps = env.WEBHOOK_RETRY_SCHEDULE_MS.split(',').map((s) => s.trim());
    if (steps.length > 50 || steps.some((s) => !/^\d{1,9}$/.test(s)))
      problems.push('WEBHOOK_RETRY_SCHEDULE_MS must be up to 50 comma-separated delays in milliseconds');
    else c.webhookRetryScheduleMs = steps.map(Number);
  }
  c.webhookTimeoutMs = int('WEBHOOK_TIMEOUT_MS', env.WEBHOOK_TIMEOUT_MS, 15_000, 100, 60_000, problems);
  c.webhookConcurrency = int('WEBHOOK_CONCURRENCY', env.WEBHOOK_CONCURRENCY, 32, 1, 256, problems);
  c.webhookPollIntervalMs = int('WEBHOOK_POLL_INTERVAL_MS', env.WEBHOOK_POLL_INTERVAL_MS, 1_000, 50, 60_000, problems);
  c.trustProxy = trustProxy(env.TRUST_PROXY, problems);
  c.apiDocs = bool('API_DOCS', env.API_DOCS, true, problems);
  c.webhookEndpointConcurrency = int('WEBHOOK_ENDPOINT_CONCURRENCY', env.WEBHOOK_ENDPOINT_CONCURRENCY, 16, 1, 256, problems);
  c.webhookBreakerCooldownMs = int('WEBHOOK_BREAKER_COOLDOWN_MS', env.WEBHOOK_BREAKER_COOLDOWN_MS, 30_000, 100, 86_400_000, problems);
  c.corsOrigins = (env.CORS_ORIGINS || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  c.bakongProxyUrl = httpUrl('BAKONG_PROXY_URL', env.BAKONG_PROXY_URL, null, problems);
  c.telegramApiBaseUrl = httpUrl('TELEGRAM_API_BASE_URL', env.TELEGRAM_API_BASE_URL, 'https://api.telegram.org', problems)!.replace(/\/+$/, '');

  const adminToken = env.ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 16) problems.push('ADMIN_TOKEN must be at least 16 characters');
  if (!adminToken && c.production) problems.push('ADMIN_TOKEN is required when NODE_ENV=production');

  const key = env.ENCRYPTION_KEY;
  if (key && Buffer.from(key, 'base64').length !== 32) problems.push('ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  if (!key && c.databaseUrl) problems.push('ENCRYPTION_KEY is required with DATABASE_URL (it is generated only in embedded mode)');

  if (problems.length) throw new ConfigError(problems);

  c.encryptionKey = key || readOrCreateSecret(c.dataDir, 'encryption.key', () => randomBytes(32).toString('base64'));
  c.adminTokenGenerated = !adminToken;
  c.adminToken =
    adminToken ||
    (c.databaseUrl
      ? `adm_${randomBytes(24).toString('base64url')}`
      : readOrCreateSecret(c.dataDir, 'admin.token', () => `adm_${randomBytes(24).toString('base64url')}`));
  return c;
}

/** An optional absolute http(s) URL from the environment (the default when unset or blank). */
function httpUrl(name: string, raw: string | undefined, fallback: string | null, problems: string[]): string | null {
  if (!raw?.trim()) return fallback;
  try {
    const u = new URL(raw.trim());
    if (u.protocol === 'http:' || u.protocol === 'https:') return raw.trim();
  } catch {
    // reported below
  }
  problems.push(`${name} must be an absolute http(s) URL`);
  return fallback;
}

/**
 * An OUTBOUND_ALLOWLIST entry is a host name, an IP or a CIDR (IPv6 may be bracketed); blank is ignored.
 * Lives here, not in common/http/ssrf-guard.ts (which reuses it), so that config/ imports nothing from common/.
 */
export function isAllowlistEntry(entry: string): boolean {
  const e = entry.trim().replace(/^\[|\]$/g, '');
  if (!e) return true;
  if (e.includes('/')) {
    try {
      ipaddr.parseCIDR(e);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(e) || /^[a-z0-9.-]+$/i.test(e);
}
