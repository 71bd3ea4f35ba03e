import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Heartbeats } from '../common/heartbeats';
import { MIGRATIONS } from '../database/data-source';
import { DatabaseProbe } from '../database/database-probe';
import { ProviderAccountsRepository } from '../merchants/provider-accounts.repository';
import { CREDENTIAL_WARNING_DAYS } from '../merchants/provider-accounts.service';

/** A probe must answer fast even when PostgreSQL hangs: each database check gets this long. */
export const DB_CHECK_TIMEOUT_MS = 1_500;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // the loser of the race must not become an unhandled rejection
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

/** The names TypeORM records in its `migrations` table for each migration class. */
export function expectedMigrationNames(): string[] {
  return MIGRATIONS.map((M) => (new M() as { name?: string }).name ?? M.name);
}

/** The three readiness checks behind /health/ready, as terminus health indicators. */
@Injectable()
export class ReadinessChecks implements OnModuleDestroy {
  /** Set when shutdown begins: the load balancer should stop sending traffic while loops and requests drain. */
  stopping = false;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly db: DatabaseProbe,
    private readonly heartbeats: Heartbeats,
    private readonly accounts: ProviderAccountsRepository,
  ) {}

  onModuleDestroy(): void {
    this.stopping = true;
  }

  async database(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('database');
    const started = performance.now();
    try {
      await withTimeout(this.db.ping(), DB_CHECK_TIMEOUT_MS, 'SELECT 1');
      return check.up({ latency_ms: Math.round(performance.now() - started) });
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }

  /** Every migration this build knows has been applied (a new build against an old schema is not ready). */
  async migrations(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('migrations');
    try {
      const applied = new Set(await withTimeout(this.db.appliedMigrations(), DB_CHECK_TIMEOUT_MS, 'migrations'));
      const missing = expectedMigrationNames().filter((name) => !applied.has(name));
      return missing.length ? check.down({ message: 'migrations not applied', missing }) : check.up({ applied: applied.size });
    } catch (err) {
      return check.down({ message: message(err) });
    }
  }

  /**
   * Gateway credentials (Bakong tokens) expired or expiring within CREDENTIAL_WARNING_DAYS, counted per
   * provider. Always up: an expiring token is a warning for the operator, not a reason to take the
   * instance out of rotation (only that merchant's checks are affected).
   */
  async credentials(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('provider_credentials');
    try {
      const rows = await withTimeout(this.accounts.countExpiringCredentials(CREDENTIAL_WARNING_DAYS * 86_400), DB_CHECK_TIMEOUT_MS, 'credentials');
      const warnings = rows.map(
        (r) =>
          `${r.provider}: ${r.expiring} account token(s) expire within ${CREDENTIAL_WARNING_DAYS} days${r.expired ? ` (${r.expired} already expired)` : ''}`,
      );
      return check.up({ warnings });
    } catch (err) {
      return check.up({ warnings: [`could not count expiring credentials: ${message(err)}`] });
    }
  }

  /** Every registered background loop (reconciliation sweeper, webhook dispatcher, …) has beaten recently. */
  loops(): HealthIndicatorResult {
    const check = this.indicators.check('background_loops');
    const loops = this.heartbeats.status();
    const stale = loops.filter((l) => !l.fresh).map((l) => l.name);
    const detail = Object.fromEntries(loops.map((l) => [l.name, { fresh: l.fresh, last_beat_at: l.lastBeatAt }]));
    return stale.length ? check.down({ message: `stale: ${stale.join(', ')}`, loops: detail }) : check.up({ loops: detail });
  }
}
