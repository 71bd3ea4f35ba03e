import { Order, Transaction } from './order.entity';
import type { NewOrder } from './orders.repository';

/**
 * A JSON value as PostgreSQL's jsonb gives it back: what JSON.stringify keeps (no undefined members, toJSON
 * applied), each object's keys ordered by their UTF-8 length, then byte by byte, arrays in order. (A duplicate
 * key, last wins in jsonb, cannot reach here: JSON.parse keeps the last one too.) Used for the order view an
 * event carries when it is built before the INSERT, so it is the view a later GET returns.
 */
export function asJsonb<T>(value: T): T {
  if (value === null || value === undefined) return value;
  return order(JSON.parse(JSON.stringify(value))) as T;
}

function order(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(order);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).map((k) => ({ k, b: Buffer.from(k, 'utf8') }));
  keys.sort((x, y) => x.b.length - y.b.length || Buffer.compare(x.b, y.b));
  const out: Record<string, unknown> = {};
  for (const { k } of keys) out[k] = order((value as Record<string, unknown>)[k]);
  return out;
}

/**
 * The order and transaction rows exactly as the creation INSERT writes them (the columns it sets, the table
 * defaults for the rest), before it runs: what the `order.created` event's view is built from on the
 * one-statement path (OrderCreationRepository). A spec compares this with the RETURNING rows and a later GET.
 */
export function createdEntities(o: NewOrder): { order: Order; txn: Transaction } {
  const t = o.transaction;
  const order = Object.assign(new Order(), {
    id: o.orderId,
    merchantId: o.scope.merchantId,
    livemode: o.scope.livemode,
    reference: o.reference,
    status: 'PENDING',
    amountMinor: o.amountMinor,
    currency: o.currency,
    provider: o.provider,
    description: o.description,
    customer: asJsonb(o.customer) as Order['customer'],
    metadata: asJsonb(o.metadata) as Order['metadata'],
    successUrl: o.successUrl,
    cancelUrl: o.cancelUrl,
    checkoutUrl: o.checkoutUrl,
    qrPayload: o.qrPayload,
    qrMd5: o.qrMd5,
    qrImageToken: o.qrImageToken,
    deeplink: o.deeplink,
    expiresAt: o.expiresAt,
    paidAt: null,
    paidAmountMinor: null,
    paidCurrency: null,
    verification: null,
    flags: [],
    eventSeq: 1,
    statusReason: null,
    createdAt: o.createdAt,
    updatedAt: o.createdAt,
    refundedMinor: 0,
    paymentLinkId: o.paymentLinkId ?? null,
  } satisfies Order);
  const txn = Object.assign(new Transaction(), {
    id: t.id,
    number: Number(t.number),
    orderId: o.orderId,
    merchantId: o.scope.merchantId,
    livemode: o.scope.livemode,
    provider: o.provider,
    providerReference: t.providerReference,
    providerProof: null,
    status: 'PENDING',
    amountMinor: o.amountMinor,
    currency: o.currency,
    wireAmount: t.wireAmount,
    returnTokenHash: t.returnTokenHash,
    returnTokenUsedAt: null,
    cancelTokenHash: t.cancelTokenHash,
    expiresAt: o.expiresAt,
    nextCheckAt: t.nextCheckAt,
    lastCheckedAt: null,
    checkCount: 0,
    lastError: null,
    createdAt: o.createdAt,
    updatedAt: o.createdAt,
  } satisfies Transaction);
  return { order, txn };
}
