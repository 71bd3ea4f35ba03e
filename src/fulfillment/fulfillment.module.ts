import { Module } from '@nestjs/common';
import { AdminSmmCreditsController } from './admin-smm-credits.controller';
import { FulfillmentWorker } from './fulfillment.worker';
import { PanelClient } from './panel-client';
import { SmmCreditsLedger } from './smm-credits.ledger';
import { SmmCreditsRepository } from './smm-credits.repository';
import { SmmPanelController } from './smm-panel.controller';
import { SmmPanelsRepository } from './smm-panels.repository';
import { SmmPanelsService } from './smm-panels.service';

/**
 * SMM panel balance crediting for paid top-up orders: the merchant's panel settings
 * (PUT /v1/smm-panel), the credit ledger (filled inside the order.paid transaction), the
 * worker that credits PerfectPanel / SocPanel exactly once, and the admin listing.
 */
@Module({
  controllers: [SmmPanelController, AdminSmmCreditsController],
  providers: [SmmPanelsService, SmmPanelsRepository, SmmCreditsLedger, SmmCreditsRepository, PanelClient, FulfillmentWorker],
  exports: [SmmPanelsService, SmmCreditsLedger, FulfillmentWorker],
})
export class FulfillmentModule {}
