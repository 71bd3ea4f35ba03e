import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BackgroundLoops } from '../common/background-loops';
import { IdempotencyService } from './idempotency.service';

export const IDEMPOTENCY_PURGE_LOOP = 'idempotency-purge';
export const IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** Hourly, forget Idempotency-Keys past the 48 hours they are kept (a BackgroundLoops loop: BACKGROUND_JOBS, heartbeat, shutdown). */
@Injectable()
export class IdempotencyPurgeJob implements OnApplicationBootstrap {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly loops: BackgroundLoops,
  ) {}

  onApplicationBootstrap(): void {
    this.loops.add({ name: IDEMPOTENCY_PURGE_LOOP, intervalMs: IDEMPOTENCY_PURGE_INTERVAL_MS, run: () => this.idempotency.purgeExpired() });
  }
}
