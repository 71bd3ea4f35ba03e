import { Module } from '@nestjs/common';
import { RefundOutcomes } from './refund-outcomes';
import { RefundsController } from './refunds.controller';
import { RefundsRepository } from './refunds.repository';
import { RefundsService } from './refunds.service';

/** Refunds of PAID orders: the API, the reservation on the order, gateway outcomes (also applied by the reconciliation sweeper). */
@Module({
  controllers: [RefundsController],
  providers: [RefundsService, RefundOutcomes, RefundsRepository],
  exports: [RefundOutcomes, RefundsRepository],
})
export class RefundsModule {}
