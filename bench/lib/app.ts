import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/database/embedded-postgres';
import { api } from './http';
import { readCpuMs, RssSampler, Service, startService } from './proc';

export interface BenchApp extends Service {
  adminToken: string;
  rss: RssSampler;
  /** The per-provider reconciliation concurrency the app was started with. */
  reconcileConcurrency: number;
  /** CPU ms the app process has used so far (deltas give CPU per request, a number the machine's noise hardly moves). */
  cpuMs(): number;
}

export interface BenchMerchant {
  id: string;
  apiKey: string;
}

/**
 * The orchestrator as a production process: `node dist/src/main.js` with NODE_ENV=production,
 * the sandbox on (the simulated gateways), warn-level logs, and rate limits raised so the load
 * generator measures the app rather than the limiter. Its RSS is sampled from outside.
 */
export async function startBenchApp(opts: {
  databaseUrl: string;
  reconcileConcurrency: number;
  env?: Record<string, string>;
  nodeFlags?: string[];
}): Promise<BenchApp> {
  const port = await freePort();
  const adminToken = `adm_bench_${randomBytes(16).toString('hex')}`;
  const service = await startService({
    name: 'app',
    script: 'src/main.ts',
    port,
    readyPath: '/health/live',
    nodeFlags: opts.nodeFlags,
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: opts.databaseUrl,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ADMIN_TOKEN: adminToken,
      SANDBOX: 'true',
      // Beside a real database loopback is reached only through the allow-list (the sandbox, local receivers).
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      RATE_LIMIT_PER_KEY_PER_S: '1000000',
      RATE_LIMIT_PER_IP_PER_S: '1000000',
      RECONCILE_CONCURRENCY: String(opts.reconcileConcurrency),
      // The rate cap is a separate knob; the bench measures the concurrency limit, so the cap is out of the way.
      RECONCILE_RATE_PER_S: '100000',
      // The scheduled sweep stays out of the measurements; the bench triggers runs on demand.
      RECONCILE_INTERVAL_SECONDS: '86400',
      ...(opts.env ?? {}),
    },
  });
  const rss = new RssSampler(service.pid);
  rss.start(100);
  return {
    ...service,
    adminToken,
    rss,
    reconcileConcurrency: opts.reconcileConcurrency,
    cpuMs: () => readCpuMs(service.pid),
    async stop() {
      rss.stop();
      await service.stop();
    },
  };
}

/** A merchant with a RaksmeyPay account pointing at the app's own sandbox. */
export async function createMerchant(app: BenchApp, name: string): Promise<BenchMerchant> {
  const m = await api(app.url, 'POST', '/admin/merchants', { token: app.adminToken, body: { name }, expect: 201 });
  const merchant = { id: String(m.json.id), apiKey: String(m.json.api_key) };
  await api(app.url, 'PUT', '/v1/provider-accounts/raksmeypay', {
    token: merchant.apiKey,
    body: {
      profile_id: `bench-${merchant.id.slice(-8)}`,
      profile_key: `bench-key-${randomBytes(8).toString('hex')}`,
      base_url: `${app.url}/sandbox/raksmeypay`,
    },
    expect: 200,
  });
  return merchant;
}
