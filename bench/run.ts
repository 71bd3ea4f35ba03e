import 'reflect-metadata';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createMerchant, startBenchApp } from './lib/app';
import { BenchContext, ScenarioResult, sizesFor } from './lib/context';
import { startBenchDatabase } from './lib/db';
import { REPO_ROOT, shippedNodeFlags } from './lib/proc';
import { BenchReport, describeMachine, gitCommit, judge, renderMarkdown, renderSvg, renderTable, Row } from './lib/report';
import { round } from './lib/stats';
import { frameworkOverhead } from './scenarios/health';
import { ORDER_CONNECTIONS, orderCreation } from './scenarios/orders';
import { addBakongAccount, reconciliation } from './scenarios/reconciliation';
import { webhookDelivery } from './scenarios/webhooks';

export const SCENARIOS = ['health', 'orders', 'reconciliation', 'webhooks'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * The app's node flags as shipped: the heap limits `npm start` (package.json) and the Docker
 * image's CMD set, so the bench measures the memory a user gets. Without a cap V8 defers full
 * collections until the heap nears a limit sized from the host's memory, and RSS climbs past
 * 230 MB with ~60 MB live; the young generation keeps 16 MB semi-spaces (a small old space would
 * otherwise shrink them and cost throughput). src/runtime-flags.spec.ts keeps the three equal.
 */
export const DEFAULT_APP_NODE_FLAGS = shippedNodeFlags();

export interface BenchOptions {
  /** Multiplies sizes and durations (1 = the sizes: 10,000 transactions and events, 10 s loads). */
  scale: number;
  /** Tiny sizes for the test suite: proves the harness and the correctness checks, not the speed. */
  smoke: boolean;
  /** Where latest.md / .json / .svg go. */
  outDir: string;
  /** Use a database on this server instead of starting an embedded PostgreSQL (the jest smoke run). */
  adminUrl?: string;
  only?: ScenarioName[];
  /** Per-provider reconciliation concurrency C. */
  reconcileConcurrency: number;
  /** Node flags for the app process (heap sizing: see DEFAULT_APP_NODE_FLAGS). */
  appNodeFlags: string[];
  /** Extra environment for the app (experiments: `--app-env=WEBHOOK_CONCURRENCY=64,…`). */
  appEnv: Record<string, string>;
  /** Write a V8 CPU profile of the app into this directory. */
  cpuProfDir?: string;
  /** Load pg_stat_statements into the embedded PostgreSQL and report statements per order. */
  pgStats?: boolean;
  log?: (message: string) => void;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flag = (name: string) => argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const value = (name: string) => flag(name)?.split('=').slice(1).join('=');
  const smoke = Boolean(flag('smoke'));
  const scale = Number(value('scale') ?? env.BENCH_SCALE ?? 1);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) throw new Error('--scale / BENCH_SCALE must be a number in (0, 10]');
  const only = value('only')
    ?.split(',')
    .map((s) => s.trim()) as ScenarioName[] | undefined;
  for (const s of only ?? []) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})`);
  const concurrency = Number(value('concurrency') ?? env.BENCH_RECONCILE_CONCURRENCY ?? 8);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new Error('--concurrency must be an integer 1–256');
  const cpuProf = flag('cpu-prof');
  const appFlags = value('app-node-flags') ?? env.BENCH_APP_NODE_FLAGS;
  const appEnv: Record<string, string> = {};
  for (const pair of (value('app-env') ?? env.BENCH_APP_ENV ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--app-env: "${pair}" is not NAME=value`);
    appEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    appEnv,
    appNodeFlags: appFlags === undefined ? DEFAULT_APP_NODE_FLAGS : appFlags.split(/\s+/).filter(Boolean),
    scale,
    smoke,
    outDir: value('out') ?? (smoke ? mkdtempSync(join(tmpdir(), 'khqr-bench-smoke-')) : join(REPO_ROOT, 'bench/results')),
    only,
    reconcileConcurrency: concurrency,
    pgStats: Boolean(flag('pg-stats')),
    cpuProfDir: cpuProf ? value('cpu-prof') || join(REPO_ROOT, 'bench/profiles') : undefined,
  };
}

/** Runs the scenarios against a fresh database and a production app process; writes and returns the report. */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[bench] ${m}\n`));
  const startedAt = new Date().toISOString();
  const sizes = sizesFor(opts.scale, opts.smoke);
  const wanted = (s: ScenarioName) => !opts.only || opts.only.includes(s);
  log(`starting PostgreSQL${opts.adminUrl ? ' database' : ' (embedded)'}`);
  const db = await startBenchDatabase({ adminUrl: opts.adminUrl, pgStats: opts.pgStats && !opts.adminUrl });
  const rows: Row[] = [];
  const raw: Record<string, unknown> = { sizes };
  const notes: string[] = [];
  let postgres = 'unknown';
  try {
    const nodeFlags = [...opts.appNodeFlags, ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [])];
    if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
    log('starting the app (NODE_ENV=production)');
    const app = await startBenchApp({ databaseUrl: db.url, reconcileConcurrency: opts.reconcileConcurrency, nodeFlags, env: opts.appEnv });
    const pool = new Pool({ connectionString: db.url, max: 8 });
    try {
      postgres = (await pool.query(`SELECT current_setting('server_version') AS v`)).rows[0].v;
      const ctx: BenchContext = { app, databaseUrl: db.url, pool, sizes, smoke: opts.smoke, pgStats: opts.pgStats && !opts.adminUrl, dbCpuMs: db.cpuMs, log };
      const record = (name: string, result: ScenarioResult) => {
        rows.push(...result.rows);
        raw[name] = result.raw;
        notes.push(...(result.notes ?? []));
      };
      if (wanted('health')) record('health', await frameworkOverhead(ctx));
      if (wanted('orders')) record('orders', await orderCreation(ctx, await createMerchant(app, 'Bench orders')));
      if (wanted('reconciliation')) {
        const merchant = await createMerchant(app, 'Bench reconciliation');
        await addBakongAccount(ctx, merchant);
        record('reconciliation', await reconciliation(ctx, merchant));
      }
      if (wanted('webhooks')) record('webhooks', await webhookDelivery(ctx, await createMerchant(app, 'Bench webhooks')));
      app.rss.stop();
      const peak = app.rss.peakMb();
      raw.memory = { peakRssKb: app.rss.peakRssKb, peakHwmKb: app.rss.peakHwmKb, samples: app.rss.samples };
      rows.push(
        judge({
          id: 'memory',
          scenario: 'Memory: peak RSS of the app',
          unit: 'MB',
          app: peak,
          appDetail: `VmHWM over the whole run, ${app.rss.samples} samples`,
          baseline: null,
          baselineLabel: '—',
          ratio: null,
          target: { on: 'app', dir: 'max', value: 200, text: '≤ 200 MB' },
        }),
      );
    } finally {
      await pool.end();
      await app.stop();
    }
  } finally {
    await db.stop();
  }
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    commit: gitCommit(),
    scale: opts.scale,
    smoke: opts.smoke,
    machine: describeMachine(postgres),
    settings: {
      'order-creation connections': `${ORDER_CONNECTIONS.join(' and ')} (autocannon, one process)`,
      'load duration': `${sizes.loadSeconds} s per measurement after ${sizes.warmupSeconds} s warm-up`,
      'reconciliation concurrency C (RECONCILE_CONCURRENCY)': opts.reconcileConcurrency,
      'reconciliation transactions': sizes.reconcileN,
      'webhook events': sizes.webhookN,
      'latency run': `${sizes.latencyRate} events/s for ${sizes.latencySeconds} s`,
      'app env': 'NODE_ENV=production SANDBOX=true OUTBOUND_ALLOWLIST=127.0.0.1 LOG_LEVEL=warn, rate limits raised',
      'app node flags': opts.appNodeFlags.join(' ') || '(none)',
      ...(Object.keys(opts.appEnv).length
        ? {
            'app env overrides': Object.entries(opts.appEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
          }
        : {}),
    },
    rows,
    notes,
    raw,
  };
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(join(opts.outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(opts.outDir, 'latest.md'), renderMarkdown(report));
  writeFileSync(join(opts.outDir, 'latest.svg'), renderSvg(report));
  log(`wrote ${opts.outDir}/latest.{md,json,svg} in ${round((Date.parse(report.finishedAt) - Date.parse(startedAt)) / 1000, 1)} s`);
  return report;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2), process.env);
  const report = await runBench(opts);
  process.stdout.write(renderTable(report) + '\n');
  const missed = report.rows.filter((r) => !r.met);
  process.stdout.write(missed.length ? `\n${missed.length} target(s) missed: see docs/benchmarks.md for what limits each.\n` : '\nall targets met\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}
