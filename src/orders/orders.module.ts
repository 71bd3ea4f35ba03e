import { Global, Module } from '@nestjs/common';
import { InboundCallbacks } from '../providers/inbound';
import { IdempotencyPurgeJob } from './idempotency-purge.job';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { IdempotencyService } from './idempotency.service';
import { InboundCallbacksService } from './inbound-callbacks.service';
import { OrderTransitions } from './order-transitions.service';
import { OrderTransitionsRepository } from './order-transitions.repository';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrderCreationRepository } from './order-creation.repository';
import { OrdersService } from './orders.service';
import { PaymentVerifier } from './payment-verifier.service';
import { TransactionsRepository } from './transactions.repository';

/**
 * Global so that gateway controllers (providers/<id>/) get InboundCallbacks without importing orders/:
 * they depend on the port declared in providers/inbound.ts, and this module binds it to its implementation.
 */
@Global()
@Module({
  controllers: [OrdersController],
  providers: [
    OrdersService,
    OrderTransitions,
    OrderTransitionsRepository,
    PaymentVerifier,
    IdempotencyService,
    IdempotencyPurgeJob,
    OrdersRepository,
    TransactionsRepository,
    IdempotencyKeysRepository,
    OrderCreationRepository,
    InboundCallbacksService,
    { provide: InboundCallbacks, useExisting: InboundCallbacksService },
  ],
  exports: [OrdersService, OrderTransitions, PaymentVerifier, InboundCallbacks, OrdersRepository, TransactionsRepository, IdempotencyService],
})
export class OrdersModule {}
