import { Module } from '@nestjs/common';
import { FulfillmentModule } from '../fulfillment/fulfillment.module';
import { MerchantRateWindowsRepository } from './merchant-rate-windows.repository';
import { PayController } from './pay.controller';
import { PayPageService } from './pay-page.service';
import { QrImageController } from './qr-image.controller';
import { QrImageService } from './qr-image.service';
import { ScriptsController } from './scripts.controller';
import { TopupController } from './topup.controller';
import { TopupService } from './topup.service';

/**
 * What the paying customer sees: the hosted pay page (/pay/{orderId}), the public QR image,
 * the embeddable modal script (/js/khqr-checkout.js) and the SMM top-up widget (/topup/{merchantId}).
 * Every route here is public; an unguessable id in the path is the capability.
 */
@Module({
  imports: [FulfillmentModule],
  controllers: [QrImageController, PayController, ScriptsController, TopupController],
  providers: [PayPageService, QrImageService, TopupService, MerchantRateWindowsRepository],
})
export class CheckoutPagesModule {}
