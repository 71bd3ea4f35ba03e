import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ORDER_STATUSES, VERIFICATIONS } from './state-machine';

/** OpenAPI description of the Order object (the presenter builds the real thing). */
export class OrderQr {
  @ApiProperty({ description: 'The KHQR (EMVCo) string to render or hand to a bank app.' }) payload: string;
  @ApiProperty({ description: 'md5 of the payload: how Bakong identifies the payment.' }) md5: string;
  @ApiProperty({ description: 'Public PNG of the QR on PUBLIC_BASE_URL (unguessable path, no auth); append ?format=svg for SVG.' }) image_url: string;
}

export class OrderTransactionRef {
  @ApiProperty({ example: 'txn_01jd…' }) id: string;
  @ApiProperty({ description: 'The id the gateway knows the payment by.' }) provider_reference: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status: string;
}

@ApiSchema({ description: 'An order: one payment the merchant asked for, through one gateway.' })
export class OrderResponse {
  @ApiProperty({ example: 'ord_01jd2b3c4d5e6f7g8h9j0kmnpq' }) id: string;
  @ApiProperty({ enum: ['order'] }) object: string;
  @ApiProperty({
    description: 'false for a test-mode order (made with an `sk_test_…` key, paid only through the simulators); true for a live one.',
    example: true,
  })
  livemode: boolean;
  @ApiProperty() reference: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status: string;
  @ApiProperty({ example: '12.50', description: 'Decimal string.' }) amount: string;
  @ApiProperty({ enum: ['USD', 'KHR'] }) currency: string;
  @ApiProperty() provider: string;
  @ApiPropertyOptional({ nullable: true }) description: string | null;
  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true }) customer: object | null;
  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true }) metadata: object | null;
  @ApiPropertyOptional({ nullable: true }) success_url: string | null;
  @ApiPropertyOptional({ nullable: true }) cancel_url: string | null;
  @ApiProperty({ description: "Where to send the customer: the gateway's own page (raksmeypay, ahnajak, checkout) or our /pay/{id} (bakongapi, bakong)." })
  checkout_url: string;
  @ApiPropertyOptional({ type: OrderQr, nullable: true }) qr: OrderQr | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://bakong.page.link/6aJ8qvXbLKTgk3Bx7',
    description:
      "A link that opens this payment in the customer's bank app (Bakong's generate_deeplink_by_qr for `bakong`, the `abamobilebank://` link of its QR API for `payway`), shown on /pay; null when the gateway gave none.",
  })
  deeplink: string | null;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) paid_at: string | null;
  @ApiPropertyOptional({ nullable: true, example: '12.50' }) paid_amount: string | null;
  @ApiPropertyOptional({
    enum: VERIFICATIONS,
    nullable: true,
    description:
      'How the payment was confirmed. provider_api: the gateway’s verify/check API. signed_webhook: a webhook whose HMAC we verified. ' +
      'signed_return: a customer redirect carrying a hash we verified (RaksmeyPay, 180 s window). ' +
      'browser_return: ONLY the customer’s browser said so (the hosted-checkout gateway offers nothing stronger: it is forgeable by anyone holding the single-use return link; fulfil high-value orders with care). manual: an operator resolved it.',
  })
  verification: string | null;
  @ApiProperty({ type: [String], example: [], description: 'late_payment, paid_after_cancel, amount_mismatch, fulfillment_failed, …' }) flags: string[];
  @ApiPropertyOptional({ type: OrderTransactionRef, nullable: true }) transaction: OrderTransactionRef | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({
    example: '0.00',
    description:
      'Decimal string: what the refunds that have not failed add up to (PENDING and SUCCEEDED), never more than `paid_amount`. The status stays PAID.',
  })
  amount_refunded: string;
  @ApiPropertyOptional({ nullable: true, example: null, description: 'The payment link (plink_…) whose page created this order; null otherwise.' })
  payment_link_id: string | null;
}

/** A full example, for docs and the README. */
export const ORDER_EXAMPLE = {
  id: 'ord_01jd2b3c4d5e6f7g8h9j0kmnpq',
  object: 'order',
  reference: 'INV-2026-0001',
  status: 'PENDING',
  amount: '12.50',
  currency: 'USD',
  provider: 'raksmeypay',
  description: 'Two iced lattes',
  customer: { name: 'Sok Dara', email: 'dara@example.com' },
  metadata: { cart_id: 'c_42' },
  success_url: 'https://shop.example.com/thanks',
  cancel_url: null,
  checkout_url: 'https://www.uat.raksmeypay.com/payment/request/1001?transaction_id=100000001&amount=12.5&…',
  qr: null,
  deeplink: null,
  expires_at: '2026-11-24T10:30:00.000Z',
  paid_at: null,
  paid_amount: null,
  verification: null,
  flags: [],
  transaction: { id: 'txn_01jd2b3c4d5e6f7g8h9j0kmnpq', provider_reference: '100000001', status: 'PENDING' },
  created_at: '2026-11-24T10:00:00.000Z',
  updated_at: '2026-11-24T10:00:00.000Z',
  amount_refunded: '0.00',
  payment_link_id: null,
};

export class OrderListResponse {
  @ApiProperty({ type: [OrderResponse] }) data: OrderResponse[];
  @ApiProperty() has_more: boolean;
}
