import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BackgroundLoops } from '../common/background-loops';
import { AppConfig } from '../config/config';
import { SweeperService } from './sweeper.service';

export const SWEEPER_LOOP = 'reconciliation-sweeper';

/**
 * The scheduled sweep: every RECONCILE_INTERVAL_SECONDS, delegate to the sweeper. A loop of the
 * BackgroundLoops registry, which never stacks iterations, beats after each sweep and stops it
 * at shutdown (the sweeper then finishes its in-flight batch and releases its leases).
 */
@Injectable()
export class ReconciliationJob implements OnApplicationBootstrap {
  constructor(
    private readonly sweeper: SweeperService,
    private readonly loops: BackgroundLoops,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loops.add({
      name: SWEEPER_LOOP,
      intervalMs: this.config.reconcileIntervalSeconds * 1000,
      // A long sweep beats after every claimed batch.
      run: (beat) => this.sweeper.run('scheduled', { onProgress: beat }),
    });
  }
}
