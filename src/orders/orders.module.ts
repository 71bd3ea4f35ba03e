import { Global, Module } from '@nestjs/common';
import { IdempotencyService } from './idempotency.service';
import { OrderTransitions } from './order-transitions.service';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { PaymentVerifier } from './payment-verifier.service';

@Global()
@Module({
  controllers: [OrdersController],
  providers: [OrdersService, OrderTransitions, PaymentVerifier, IdempotencyService],
  exports: [OrdersService, OrderTransitions, PaymentVerifier],
})
export class OrdersModule {}
