import type { EventType } from '../events/event-types';
/**
 * The order state machine as pure code. Every status change in the system is decided here
 * and applied by OrderTransitions as a compare-and-set in SQL.
 *
 *   PENDING ──pay──▶ PAID
 *      │ ├─expire─▶ EXPIRED ──verified pay──▶ PAID (+late_payment)
 *      │ ├─cancel─▶ CANCELLED ─verified pay─▶ PAID (+late_payment, +paid_after_cancel)
 *      │ └─fail───▶ FAILED ───verified pay──▶ PAID (+late_payment)
 *
 * A `browser_return` pay is not verified: it pays a PENDING order before its expiry only.
 * Money that really arrived is never dropped: a verified payment moves any unpaid order to
 * PAID, flagged when it came late. A payment of the wrong amount or currency never pays:
 * the order keeps its status and gains the `amount_mismatch` flag.
 */
export const ORDER_STATUSES = ['PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'FAILED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const VERIFICATIONS = ['provider_api', 'signed_webhook', 'signed_return', 'browser_return', 'manual'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export const FLAGS = {
  latePayment: 'late_payment',
  paidAfterCancel: 'paid_after_cancel',
  amountMismatch: 'amount_mismatch',
  fulfillmentFailed: 'fulfillment_failed',
} as const;

export type OrderCommand =
  | { kind: 'pay'; verification: Verification; paidAmountMinor: number; paidCurrency: string; paidAt: Date }
  | { kind: 'expire' }
  | { kind: 'cancel' }
  | { kind: 'fail'; reason: string }
  | { kind: 'resolve'; to: 'PAID' | 'FAILED'; reason: string }
  | { kind: 'flag'; flag: string; reason: string };

export interface OrderFacts {
  status: OrderStatus;
  amountMinor: number;
  currency: string;
  expiresAt: Date;
  flags: string[];
}

export type Decision =
  | { outcome: 'transition'; from: OrderStatus; to: OrderStatus; event: EventType; addFlags: string[] }
  | { outcome: 'flag'; from: OrderStatus; event: 'order.flagged'; addFlags: string[] }
  | { outcome: 'noop'; reason: string }
  | { outcome: 'rejected'; reason: string };

const EVENT_FOR: Record<Exclude<OrderStatus, 'PENDING'>, EventType> = {
  PAID: 'order.paid',
  EXPIRED: 'order.expired',
  CANCELLED: 'order.cancelled',
  FAILED: 'order.failed',
};

function to(from: OrderStatus, next: Exclude<OrderStatus, 'PENDING'>, addFlags: string[] = []): Decision {
  return { outcome: 'transition', from, to: next, event: EVENT_FOR[next], addFlags };
}

export function decide(order: OrderFacts, command: OrderCommand): Decision {
  const { status } = order;
  switch (command.kind) {
    case 'pay': {
      if (status === 'PAID') return { outcome: 'noop', reason: 'the order is already paid' };
      const late = status !== 'PENDING' || command.paidAt.getTime() > order.expiresAt.getTime();
      // The browser's word is forgeable by whoever holds a return link: it may only settle an order still open for payment.
      // A late payment moves money the merchant already gave up on, so it needs proof from the gateway itself.
      if (late && command.verification === 'browser_return') {
        return {
          outcome: 'rejected',
          reason: status === 'PENDING' ? 'the order has expired: a browser return cannot pay it' : `the order is ${status}: a browser return cannot pay it`,
        };
      }
      if (command.paidAmountMinor !== order.amountMinor || command.paidCurrency !== order.currency) {
        if (order.flags.includes(FLAGS.amountMismatch)) return { outcome: 'noop', reason: 'amount mismatch already flagged' };
        return { outcome: 'flag', from: status, event: 'order.flagged', addFlags: [FLAGS.amountMismatch] };
      }
      const flags: string[] = late ? [FLAGS.latePayment] : [];
      if (status === 'CANCELLED') flags.push(FLAGS.paidAfterCancel);
      return to(status, 'PAID', flags);
    }
    case 'expire':
      return status === 'PENDING' ? to(status, 'EXPIRED') : { outcome: 'noop', reason: `the order is ${status}` };
    case 'cancel':
      if (status === 'PENDING') return to(status, 'CANCELLED');
      if (status === 'CANCELLED') return { outcome: 'noop', reason: 'the order is already cancelled' };
      return { outcome: 'rejected', reason: `a ${status} order cannot be cancelled` };
    case 'fail':
      return status === 'PENDING' ? to(status, 'FAILED') : { outcome: 'noop', reason: `the order is ${status}` };
    case 'resolve':
      if (status !== 'PENDING') return { outcome: 'rejected', reason: `the transaction is already final (${status})` };
      return to(status, command.to);
    case 'flag':
      if (order.flags.includes(command.flag)) return { outcome: 'noop', reason: `already flagged ${command.flag}` };
      return { outcome: 'flag', from: status, event: 'order.flagged', addFlags: [command.flag] };
  }
}
