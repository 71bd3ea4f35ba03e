import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../common/columns';
import type { Currency } from '../common/money';
import type { ProviderId } from '../providers/provider';
import type { OrderStatus, Verification } from './state-machine';

@Entity('orders')
export class Order {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'merchant_id' }) merchantId: string;
  /** false for test mode (docs/test-mode.md). */
  @Column('boolean') livemode: boolean;
  @Column('text') reference: string;
  @Column('text') status: OrderStatus;
  @Column('bigint', { name: 'amount_minor', transformer: bigintNumber }) amountMinor: number;
  @Column('text') currency: Currency;
  @Column('text') provider: ProviderId;
  @Column('text', { nullable: true }) description: string | null;
  @Column('jsonb', { nullable: true }) customer: { name?: string; email?: string } | null;
  @Column('jsonb', { nullable: true }) metadata: Record<string, unknown> | null;
  @Column('text', { name: 'success_url', nullable: true }) successUrl: string | null;
  @Column('text', { name: 'cancel_url', nullable: true }) cancelUrl: string | null;
  @Column('text', { name: 'checkout_url', nullable: true }) checkoutUrl: string | null;
  @Column('text', { name: 'qr_payload', nullable: true }) qrPayload: string | null;
  @Column('text', { name: 'qr_md5', nullable: true }) qrMd5: string | null;
  /** Unguessable path segment of the public QR image URL. */
  @Column('text', { name: 'qr_image_token', nullable: true }) qrImageToken: string | null;
  /** A bank-app deeplink for this payment, when the gateway gives one (shown on /pay). */
  @Column('text', { nullable: true }) deeplink: string | null;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'paid_at', nullable: true }) paidAt: Date | null;
  @Column('bigint', { name: 'paid_amount_minor', nullable: true, transformer: bigintNumber }) paidAmountMinor: number | null;
  @Column('text', { name: 'paid_currency', nullable: true }) paidCurrency: Currency | null;
  @Column('text', { nullable: true }) verification: Verification | null;
  @Column('text', { array: true }) flags: string[];
  /** Sequence of the last event written for this order (events carry it so receivers can drop stale ones). */
  @Column('integer', { name: 'event_seq' }) eventSeq: number;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** The sum of the order's refunds that have not failed (src/refunds/); the database keeps it ≤ paid_amount_minor. */
  @Column('bigint', { name: 'refunded_minor', transformer: bigintNumber }) refundedMinor: number;
  /** The payment link whose Pay button created this order (src/payment-links/). */
  @Column('text', { name: 'payment_link_id', nullable: true }) paymentLinkId: string | null;
}

@Entity('transactions')
export class Transaction {
  @PrimaryColumn('text') id: string;
  /** Numeric id for gateways that demand a number (RaksmeyPay, Ahnajak's transaction_id). */
  @Column('bigint', { transformer: bigintNumber }) number: number;
  @Column('text', { name: 'order_id' }) orderId: string;
  @Column('text', { name: 'merchant_id' }) merchantId: string;
  /** The order's mode, copied so the sweeper and the sandbox need no join. */
  @Column('boolean') livemode: boolean;
  @Column('text') provider: ProviderId;
  @Column('text', { name: 'provider_reference' }) providerReference: string;
  /** Proof of payment the gateway handed back (e.g. the hosted checkout's transaction_id). */
  @Column('text', { name: 'provider_proof', nullable: true }) providerProof: string | null;
  @Column('text') status: OrderStatus;
  @Column('bigint', { name: 'amount_minor', transformer: bigintNumber }) amountMinor: number;
  @Column('text') currency: Currency;
  /** The amount exactly as written on the wire (and into hashes) for this gateway. */
  @Column('text', { name: 'wire_amount' }) wireAmount: string;
  @Column('text', { name: 'return_token_hash', nullable: true }) returnTokenHash: string | null;
  @Column('timestamptz', { name: 'return_token_used_at', nullable: true }) returnTokenUsedAt: Date | null;
  /** sha256 of the hosted checkout's cancel-link token (never the same as the return token). */
  @Column('text', { name: 'cancel_token_hash', nullable: true }) cancelTokenHash: string | null;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'next_check_at', nullable: true }) nextCheckAt: Date | null;
  @Column('timestamptz', { name: 'last_checked_at', nullable: true }) lastCheckedAt: Date | null;
  @Column('integer', { name: 'check_count' }) checkCount: number;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
