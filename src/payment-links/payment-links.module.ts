import { Global, Module } from '@nestjs/common';
import { MerchantRateWindowsRepository } from '../checkout-pages/merchant-rate-windows.repository';
import { PaidOrderHook } from '../orders/order-hooks';
import { LinkCheckoutService } from './link-checkout.service';
import { LinkPageController } from './link-page.controller';
import { PaymentLinksController } from './payment-links.controller';
import { PaymentLinksRepository } from './payment-links.repository';
import { PaymentLinksService } from './payment-links.service';

/**
 * Payment links: the merchant API (/v1/payment-links) and the public page (/l/{slug}). Global only
 * to bind the orders' PaidOrderHook, so that orders/ counts a link's PAID orders without importing
 * this folder.
 */
@Global()
@Module({
  controllers: [PaymentLinksController, LinkPageController],
  providers: [
    PaymentLinksService,
    LinkCheckoutService,
    PaymentLinksRepository,
    MerchantRateWindowsRepository,
    { provide: PaidOrderHook, useExisting: PaymentLinksService },
  ],
  exports: [PaidOrderHook],
})
export class PaymentLinksModule {}
