import { formatAmount } from '../common/money';
import type { Order, Transaction } from './order.entity';

/** The public JSON shape of an Order (DESIGN.md "Order"). */
export interface OrderView {
  id: string;
  object: 'order';
  /** false for a test-mode order (docs/test-mode.md). */
  livemode: boolean;
  reference: string;
  status: string;
  amount: string;
  currency: string;
  provider: string;
  description: string | null;
  customer: { name?: string; email?: string } | null;
  metadata: Record<string, unknown> | null;
  success_url: string | null;
  cancel_url: string | null;
  checkout_url: string | null;
  qr: { payload: string; md5: string; image_url: string } | null;
  deeplink: string | null;
  expires_at: string;
  paid_at: string | null;
  paid_amount: string | null;
  verification: string | null;
  flags: string[];
  transaction: { id: string; provider_reference: string; status: string } | null;
  created_at: string;
  updated_at: string;
  /** What the refunds that have not failed add up to (pending and succeeded), in the paid currency. */
  amount_refunded: string;
  payment_link_id: string | null;
}

export function qrImageUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/qr/${token}`;
}

export function presentOrder(order: Order, transaction: Transaction | null, publicBaseUrl: string): OrderView {
  return {
    id: order.id,
    object: 'order',
    livemode: order.livemode,
    reference: order.reference,
    status: order.status,
    amount: formatAmount(order.amountMinor, order.currency),
    currency: order.currency,
    provider: order.provider,
    description: order.description,
    customer: order.customer,
    metadata: order.metadata,
    success_url: order.successUrl,
    cancel_url: order.cancelUrl,
    checkout_url: order.checkoutUrl,
    qr:
      order.qrPayload && order.qrMd5 && order.qrImageToken
        ? { payload: order.qrPayload, md5: order.qrMd5, image_url: qrImageUrl(publicBaseUrl, order.qrImageToken) }
        : null,
    deeplink: order.deeplink,
    expires_at: order.expiresAt.toISOString(),
    paid_at: order.paidAt ? order.paidAt.toISOString() : null,
    paid_amount: order.paidAmountMinor !== null && order.paidCurrency ? formatAmount(order.paidAmountMinor, order.paidCurrency) : null,
    verification: order.verification,
    flags: order.flags,
    transaction: transaction ? { id: transaction.id, provider_reference: transaction.providerReference, status: transaction.status } : null,
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
    amount_refunded: formatAmount(order.refundedMinor ?? 0, order.paidCurrency ?? order.currency),
    payment_link_id: order.paymentLinkId ?? null,
  };
}
