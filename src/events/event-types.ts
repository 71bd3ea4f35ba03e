/** The events an order's life produces (webhook and notification subscriptions choose among them). */
export const EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.expired',
  'order.cancelled',
  'order.failed',
  'order.flagged',
  // Refunds (src/refunds/): body data {refund, order}.
  'refund.created',
  'refund.succeeded',
  'refund.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
