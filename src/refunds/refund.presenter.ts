import { formatAmount, type Currency } from '../common/money';
import type { ProviderId } from '../providers/provider';

export const REFUND_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const REFUND_METHODS = ['provider_api', 'manual'] as const;
export type RefundMethod = (typeof REFUND_METHODS)[number];

/** A refund as the service reads it (amounts in minor units of the paid currency). */
export interface Refund {
  id: string;
  merchantId: string;
  /** The order's mode (false: a test-mode refund, at the simulator). */
  livemode: boolean;
  orderId: string;
  transactionId: string;
  provider: ProviderId;
  amountMinor: number;
  currency: Currency;
  status: RefundStatus;
  method: RefundMethod;
  reason: string | null;
  failureReason: string | null;
  providerRefundId: string | null;
  checkCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The public JSON shape of a Refund (DESIGN.md "Refunds"). Never the gateway's refund id, the actor or the sweeper's bookkeeping. */
export interface RefundView {
  id: string;
  object: 'refund';
  livemode: boolean;
  order_id: string;
  amount: string;
  currency: string;
  status: RefundStatus;
  method: RefundMethod;
  reason: string | null;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
}

export function presentRefund(refund: Refund): RefundView {
  return {
    id: refund.id,
    object: 'refund',
    livemode: refund.livemode,
    order_id: refund.orderId,
    amount: formatAmount(refund.amountMinor, refund.currency),
    currency: refund.currency,
    status: refund.status,
    method: refund.method,
    reason: refund.reason,
    failure_reason: refund.failureReason,
    created_at: refund.createdAt.toISOString(),
    updated_at: refund.updatedAt.toISOString(),
  };
}
