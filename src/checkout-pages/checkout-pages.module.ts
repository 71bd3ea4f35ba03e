import { Module } from '@nestjs/common';
import { QrImageController } from './qr-image.controller';

/**
 * What the paying customer sees: the hosted pay page (/pay/{orderId}), the public QR image,
 * the embeddable modal script (/js/khqr-checkout.js) and the SMM top-up widget (/topup/{merchantId}).
 * Every route here is public; an unguessable id in the path is the capability.
 */
@Module({
  controllers: [QrImageController],
  providers: [],
})
export class CheckoutPagesModule {}
