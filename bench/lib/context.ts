import type { Pool } from 'pg';
import type { BenchApp } from './app';
import type { Row } from './report';

/** How big each scenario is. `--smoke` / BENCH_SCALE pick them (see sizesFor). */
export interface Sizes {
  /** Seconds per autocannon or baseline measurement (15 s at scale 1, as issue 19 measured). */
  loadSeconds: number;
  /** Seconds of warm-up before the first measurement against a process (JIT, pools). */
  warmupSeconds: number;
  /** Interleaved app/baseline rounds for the framework-overhead pair (best of each). */
  rounds: number;
  /** PENDING transactions per reconciliation sweep. */
  reconcileN: number;
  /** Events for the webhook throughput run. */
  webhookN: number;
  /** Events per second and seconds for the webhook latency run. */
  latencyRate: number;
  latencySeconds: number;
}

export function sizesFor(scale: number, smoke: boolean): Sizes {
  if (smoke) return { loadSeconds: 1, warmupSeconds: 0.5, rounds: 1, reconcileN: 100, webhookN: 100, latencyRate: 100, latencySeconds: 1 };
  return {
    loadSeconds: Math.max(1, Math.round(15 * scale)),
    warmupSeconds: Math.max(1, Math.round(3 * scale)),
    rounds: scale >= 1 ? 2 : 1,
    reconcileN: Math.max(100, Math.round(10_000 * scale)),
    webhookN: Math.max(100, Math.round(10_000 * scale)),
    latencyRate: 100,
    latencySeconds: Math.max(2, Math.round(20 * scale)),
  };
}

export interface BenchContext {
  app: BenchApp;
  databaseUrl: string;
  /** A pool of the bench's own on the app's database: fixtures, assertions, baselines. */
  pool: Pool;
  sizes: Sizes;
  smoke: boolean;
  /** pg_stat_statements is loaded (`--pg-stats`): scenarios may break their database work down per statement. */
  pgStats?: boolean;
  /** CPU ms used so far by the bench's PostgreSQL (NaN when it is not the bench's own). */
  dbCpuMs(): number;
  log(message: string): void;
}

export interface ScenarioResult {
  rows: Row[];
  raw: Record<string, unknown>;
  notes?: string[];
}

/** A correctness failure: the bench stops and exits non-zero, whatever the speed. */
export class BenchAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchAssertionError';
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BenchAssertionError(message);
}
