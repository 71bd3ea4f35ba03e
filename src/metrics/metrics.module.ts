import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { TransactionListeners } from '../database/transaction-listeners';
import { EventsModule } from '../events/events.module';
import { DeliveryOutcomeCounter } from '../events/webhook-policy';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * /metrics and the MetricsService other modules call (sweeper, dispatcher, fulfillment).
 * Each application gets its own prom-client Registry, so two instances in one process (tests)
 * never share series.
 */
@Global()
@Module({
  imports: [EventsModule],
  controllers: [MetricsController],
  providers: [
    { provide: Registry, useFactory: () => new Registry() },
    TransactionListeners,
    MetricsService,
    { provide: DeliveryOutcomeCounter, useExisting: MetricsService },
  ],
  exports: [MetricsService, DeliveryOutcomeCounter],
})
export class MetricsModule {}
