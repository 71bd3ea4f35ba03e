import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { CURRENCIES, formatAmount } from '../common/money';
import { PROVIDER_IDS } from '../providers/provider';
import type { PaymentLink } from './payment-links.repository';

/** The public JSON shape of a payment link (DESIGN "Payment links"). */
export interface PaymentLinkView {
  id: string;
  object: 'payment_link';
  livemode: boolean;
  url: string;
  active: boolean;
  description: string;
  currency: string;
  amount: string | null;
  amount_min: string | null;
  amount_max: string | null;
  providers: string[];
  max_payments: number | null;
  payments_count: number;
  amount_collected: string;
  expires_at: string | null;
  success_url: string | null;
  metadata: Record<string, unknown> | null;
  deactivated_at: string | null;
  created_at: string;
  updated_at: string;
}

export const paymentLinkUrl = (publicBaseUrl: string, slug: string): string => `${publicBaseUrl}/l/${slug}`;

export function presentPaymentLink(l: PaymentLink, publicBaseUrl: string): PaymentLinkView {
  const money = (minor: number | null) => (minor === null ? null : formatAmount(minor, l.currency));
  return {
    id: l.id,
    object: 'payment_link',
    livemode: l.livemode,
    url: paymentLinkUrl(publicBaseUrl, l.slug),
    active: l.active,
    description: l.description,
    currency: l.currency,
    amount: money(l.amountMinor),
    amount_min: money(l.amountMinMinor),
    amount_max: money(l.amountMaxMinor),
    providers: l.providers,
    max_payments: l.maxPayments,
    payments_count: l.paymentsCount,
    amount_collected: formatAmount(l.amountCollectedMinor, l.currency),
    expires_at: l.expiresAt ? l.expiresAt.toISOString() : null,
    success_url: l.successUrl,
    metadata: l.metadata,
    deactivated_at: l.deactivatedAt ? l.deactivatedAt.toISOString() : null,
    created_at: l.createdAt.toISOString(),
    updated_at: l.updatedAt.toISOString(),
  };
}

/** OpenAPI description of the payment link object (presentPaymentLink builds the real thing). */
@ApiSchema({ description: 'A payment link: a public page whose Pay button creates an order for the merchant.' })
export class PaymentLinkResponse {
  @ApiProperty({ example: 'plink_01jd2b3c4d5e6f7g8h9j0kmnpq' }) id: string;
  @ApiProperty({ enum: ['payment_link'] }) object: string;
  @ApiProperty({
    description: 'The mode of the key that created it; its page creates orders of this mode (false: test orders, paid at the simulators).',
    example: true,
  })
  livemode: boolean;
  @ApiProperty({ example: 'https://pay.example.com/l/Hq3v9TzK1bXw0aRc', description: 'The public page (PUBLIC_BASE_URL/l/{slug}); the slug is unguessable.' })
  url: string;
  @ApiProperty({ description: 'False once deactivated (POST /v1/payment-links/{id}/deactivate). Expiry and max_payments are separate.' }) active: boolean;
  @ApiProperty({ example: 'Iced latte (large)' }) description: string;
  @ApiProperty({ enum: CURRENCIES }) currency: string;
  @ApiPropertyOptional({ nullable: true, example: '2.50', description: 'The fixed amount; null when the customer types one.' }) amount: string | null;
  @ApiPropertyOptional({ nullable: true, example: null, description: 'Lowest amount the customer may type (open-amount links).' }) amount_min: string | null;
  @ApiPropertyOptional({ nullable: true, example: null, description: 'Highest amount the customer may type (open-amount links).' }) amount_max: string | null;
  @ApiProperty({ type: [String], enum: PROVIDER_IDS, example: ['bakong', 'raksmeypay'], description: 'The gateways the customer may choose from.' })
  providers: string[];
  @ApiPropertyOptional({ nullable: true, example: 100, description: 'PAID orders after which the link is used up; null: unlimited.' }) max_payments:
    number | null;
  @ApiProperty({ example: 3, description: 'PAID orders of the link.' }) payments_count: number;
  @ApiProperty({ example: '7.50', description: 'Sum of the PAID orders of the link (decimal string, in `currency`).' }) amount_collected: string;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' }) expires_at: string | null;
  @ApiPropertyOptional({ nullable: true }) success_url: string | null;
  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true }) metadata: object | null;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' }) deactivated_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class PaymentLinkListResponse {
  @ApiProperty({ type: [PaymentLinkResponse] }) data: PaymentLinkResponse[];
  @ApiProperty() has_more: boolean;
}
