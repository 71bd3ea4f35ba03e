import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Heartbeats } from '../common/heartbeats';
import { AppConfig } from '../config/config';
import { SweeperService } from './sweeper.service';

export const SWEEPER_LOOP = 'reconciliation-sweeper';

/**
 * The scheduled sweep: every RECONCILE_INTERVAL_SECONDS, delegate to the sweeper. Added to
 * the SchedulerRegistry at boot (the period comes from config, which a decorator cannot read).
 * A tick that finds the previous sweep still running is skipped, never stacked.
 */
@Injectable()
export class ReconciliationJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reconciliation');
  private running: Promise<void> | null = null;

  constructor(
    private readonly sweeper: SweeperService,
    private readonly scheduler: SchedulerRegistry,
    private readonly heartbeats: Heartbeats,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.backgroundJobs) return;
    const intervalMs = this.config.reconcileIntervalSeconds * 1000;
    this.heartbeats.register(SWEEPER_LOOP, intervalMs);
    this.scheduler.addInterval(SWEEPER_LOOP, setInterval(() => void this.tick(), intervalMs));
  }

  /** One scheduled sweep (skipped while the previous one runs). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.sweeper
      .run('scheduled', { onProgress: () => this.heartbeats.beat(SWEEPER_LOOP) })
      .then(() => this.heartbeats.beat(SWEEPER_LOOP))
      .catch((err: unknown) => this.logger.error(`scheduled sweep failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Stop ticking first; the sweeper then finishes its in-flight batch and releases its leases. */
  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', SWEEPER_LOOP)) this.scheduler.deleteInterval(SWEEPER_LOOP);
    this.heartbeats.unregister(SWEEPER_LOOP);
  }
}
