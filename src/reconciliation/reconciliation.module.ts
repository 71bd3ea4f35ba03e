import { Module } from '@nestjs/common';
import { BatchChecker } from './batch-checker';
import { ProviderLimits } from './provider-limits';
import { RefundsModule } from '../refunds/refunds.module';
import { RefundChecker } from './refund-checker';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationJob } from './reconciliation.job';
import { ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { ReconciliationRunsService } from './reconciliation-runs.service';
import { SweeperService } from './sweeper.service';

/** Scheduled and on-demand re-verification of PENDING transactions, with run records. */
@Module({
  imports: [RefundsModule],
  controllers: [ReconciliationController],
  providers: [SweeperService, BatchChecker, RefundChecker, ProviderLimits, ReconciliationJob, ReconciliationRunsRepository, ReconciliationRunsService],
  exports: [SweeperService, ProviderLimits],
})
export class ReconciliationModule {}
