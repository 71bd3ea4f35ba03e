import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config';

/**
 * docker-compose.yml, checked without Docker: parsed as YAML (js-yaml, which jest itself
 * depends on) and held to what the deployment needs. Where a compose CLI is installed
 * (`docker compose` or the standalone `docker-compose`), its own `config` validation runs too.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as { load(text: string): unknown };

const root = join(__dirname, '..');
type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  volumes?: string[];
};
const compose = yaml.load(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

/** The nginx configuration the proxy service mounts. */
const proxyConf = () => readFileSync(join(root, compose.services.proxy.volumes!.find((v) => v.includes('nginx'))!.split(':')[0]), 'utf8');

const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

describe('docker-compose.yml', () => {
  it('has the database, the app and the proxy, each with a health check', () => {
    const { db, app, proxy } = compose.services;
    expect(db.image).toMatch(/^postgres:\d+/);
    expect(db.healthcheck!.test.join(' ')).toContain('pg_isready');
    expect(app.build).toBeDefined();
    expect(app.healthcheck!.test.join(' ')).toContain('/health/ready');
    expect(proxy.healthcheck!.test.join(' ')).toContain('/health/live');
    expect(app.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(proxy.depends_on).toEqual({ app: { condition: 'service_healthy' } });
    expect(Object.keys(compose.volumes ?? {})).toContain('pgdata');
  });

  it('the app can be scaled: no fixed host port, one published port on the proxy, and a stop grace longer than the app’s own shutdown limit', () => {
    const { app, proxy, db } = compose.services;
    expect(app.ports).toBeUndefined();
    expect(app.expose).toEqual(['3000']);
    expect(proxy.ports).toHaveLength(1);
    expect(proxy.ports![0]).toMatch(/:8080$/);
    const mainSource = readFileSync(join(root, 'src', 'main.ts'), 'utf8');
    const shutdownMs = Number(/SHUTDOWN_TIMEOUT_MS = ([\d_]+)/.exec(mainSource)![1].replace(/_/g, ''));
    expect(seconds(app.stop_grace_period!) * 1000).toBeGreaterThan(shutdownMs);
    // Enough connections for several replicas' pools (20 each, plus LISTEN and migrations).
    expect(Number(db.command![db.command!.indexOf('-c') + 1].split('=')[1])).toBeGreaterThanOrEqual(100);
  });

  it('configures the app with production settings and only variables the app knows', () => {
    const env = compose.services.app.environment!;
    expect(env.NODE_ENV).toBe('production');
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.+@db:5432\//);
    // Secrets must be supplied by the operator: compose refuses to start without them.
    expect(env.ENCRYPTION_KEY).toMatch(/^\$\{ENCRYPTION_KEY:\?/);
    expect(env.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?/);
    const configSource = readFileSync(join(root, 'src', 'config', 'config.ts'), 'utf8');
    const known = new Set([...configSource.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]));
    for (const name of Object.keys(env)) expect([name, known.has(name)]).toEqual([name, true]);
  });

  it('the proxy configuration spreads requests over every replica and keeps request ids', () => {
    const conf = proxyConf();
    expect(conf).toMatch(/set \$app http:\/\/app:3000;/);
    expect(conf).toMatch(/proxy_pass \$app;/);
    expect(conf).toContain('resolver 127.0.0.11');
    expect(conf).toMatch(/proxy_set_header X-Request-Id \$khqr_request_id;/);
    expect(conf).toMatch(/listen 8080;/);
  });

  it('client addresses: nginx sets X-Forwarded-For to the address it saw (never the client’s own header) and the app believes that one hop only', () => {
    const conf = proxyConf();
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(conf).not.toContain('$proxy_add_x_forwarded_for');
    const env = compose.services.app.environment!;
    const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'compose-')), TRUST_PROXY: env.TRUST_PROXY });
    expect(config.trustProxy).toBe(1);
  });

  it('the public port never serves /metrics (however it is spelled); /docs is a setting', () => {
    const conf = proxyConf();
    const metrics = /location ~ (\S+) \{\s*return 404;\s*\}/.exec(conf);
    expect(metrics).not.toBeNull();
    const pattern = new RegExp(metrics![1]);
    // nginx matches locations against the normalised path; these are what /metrics spellings normalise to.
    for (const path of ['/metrics', '/metrics/', '/metrics/x']) expect([path, pattern.test(path)]).toEqual([path, true]);
    for (const path of ['/metricsx', '/v1/metrics', '/health/live']) expect([path, pattern.test(path)]).toEqual([path, false]);
    // The deny comes before the catch-all proxy location (regex locations win over prefix ones anyway; this keeps it readable).
    expect(conf.indexOf(metrics![0])).toBeLessThan(conf.indexOf('location / {'));
    expect(compose.services.app.environment!.API_DOCS).toMatch(/^\$\{API_DOCS:-(true|false)\}$/);
  });

  it('is accepted by the compose CLI where one is installed', () => {
    const env = { ...process.env, ENCRYPTION_KEY: 'x', ADMIN_TOKEN: 'y' };
    const tries: [string, string[]][] = [
      ['docker', ['compose', '-f', 'docker-compose.yml', 'config', '-q']],
      ['docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']],
    ];
    for (const [cmd, args] of tries) {
      try {
        execFileSync(cmd, ['--help'], { stdio: 'ignore', env });
        if (cmd === 'docker') execFileSync(cmd, ['compose', 'version'], { stdio: 'ignore', env });
      } catch {
        continue; // this CLI is not installed here
      }
      // Installed: its verdict counts (execFileSync throws on a non-zero exit, failing this test).
      // Without any compose CLI the YAML checks above are the validation.
      execFileSync(cmd, args, { cwd: root, stdio: 'pipe', env });
    }
  });
});
