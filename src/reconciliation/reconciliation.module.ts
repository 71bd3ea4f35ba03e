import { Module } from '@nestjs/common';
import { ProviderLimits } from './provider-limits';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationJob } from './reconciliation.job';
import { SweeperService } from './sweeper.service';

/** Scheduled and on-demand re-verification of PENDING transactions, with run records. */
@Module({
  controllers: [ReconciliationController],
  providers: [SweeperService, ProviderLimits, ReconciliationJob],
  exports: [SweeperService, ProviderLimits],
})
export class ReconciliationModule {}
