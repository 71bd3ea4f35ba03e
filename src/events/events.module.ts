import { Module, OnModuleInit } from '@nestjs/common';
import { PgListeners } from '../database/pg-listener';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { OutboxWriter } from './outbox.writer';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { AdminWebhookDeliveriesController, MerchantWebhookDeliveriesController, WebhookEndpointsController } from './webhooks.controller';

/** Events (the transactional outbox), webhook endpoints, their fan-out and the dispatcher. */
@Module({
  controllers: [EventsController, WebhookEndpointsController, AdminWebhookDeliveriesController, MerchantWebhookDeliveriesController],
  providers: [
    EventsService,
    WebhookEndpointsRepository,
    WebhookDeliveriesRepository,
    WebhookEndpointsService,
    WebhookDeliveriesService,
    WebhookDispatcher,
    PgListeners,
  ],
  exports: [WebhookEndpointsService, WebhookDispatcher, WebhookDeliveriesRepository],
})
export class EventsModule implements OnModuleInit {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly endpoints: WebhookEndpointsService,
  ) {}

  onModuleInit(): void {
    // Every event fans out to its merchant's endpoints inside the event's own transaction, in the event's own INSERT statement.
    this.outbox.useInserter((manager, event) => this.endpoints.insertEventWithFanOut(manager, event));
  }
}
