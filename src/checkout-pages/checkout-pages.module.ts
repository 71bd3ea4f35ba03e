import { Module } from '@nestjs/common';
import { FulfillmentModule } from '../fulfillment/fulfillment.module';
import { PayController } from './pay.controller';
import { PayPageService } from './pay-page.service';
import { QrImageController } from './qr-image.controller';
import { ScriptsController } from './scripts.controller';
import { TopupController } from './topup.controller';

/**
 * What the paying customer sees: the hosted pay page (/pay/{orderId}), the public QR image,
 * the embeddable modal script (/js/khqr-checkout.js) and the SMM top-up widget (/topup/{merchantId}).
 * Every route here is public; an unguessable id in the path is the capability.
 */
@Module({
  imports: [FulfillmentModule],
  controllers: [QrImageController, PayController, ScriptsController, TopupController],
  providers: [PayPageService],
})
export class CheckoutPagesModule {}
