/**
 * Every quirk of the hosted-checkout gateway lives here (seed 003).
 *
 * - Create: POST {base_url}/api/v1/checkout, `Authorization: Bearer {api_key}`, a JSON body whose
 *   `amount` is a JSON number ("float") — written from our decimal string ("12.50" goes on the
 *   wire as the literal 12.50, never through a float) — plus `client_base_url`, which must match
 *   the "Base URL" in the merchant's API settings exactly, `success_url`, `cancel_url`, optional
 *   `customer_name` / `customer_email`, and `meta_data` as a JSON *string*.
 * - Answers `{"status":"success","payment_url":"…/checkout?trx_id=…"}` or
 *   `{"status":"error","message":"Domain mismatch. …"}`. No HTTP status is documented, so the
 *   body's `status` decides; the payment is known by the `trx_id` of its payment_url.
 * - The gateway's only confirmation is the customer's browser arriving at success_url with
 *   `?transaction_id=…` appended. There is no signature, no webhook and no verify API: the
 *   orchestrator's return URL carries a single-use random token so that the return cannot be
 *   made up for a transaction, but it is still only the browser's word. The cancel URL carries
 *   another, independent token, and following it spends the return token.
 */
import { OutboundResponse } from '../../common/http/outbound-http';
import { ProviderError } from '../provider';
import { parseJsonObject } from '../provider-errors';

/** The orchestrator's return and cancel URLs, each with its own token (a cancel URL must never carry the token that pays). */
export const checkoutReturnUrl = (publicBaseUrl: string, token: string) => `${publicBaseUrl}/callbacks/checkout/${token}/return`;
export const checkoutCancelUrl = (publicBaseUrl: string, token: string) => `${publicBaseUrl}/callbacks/checkout/${token}/cancel`;

/** A return or cancel token: base64url of 32 random bytes. */
export const RETURN_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** The gateway's transaction_id (e.g. "CJH1D2Y4W1"): kept to a safe, bounded alphabet. */
export const GATEWAY_TRANSACTION_ID = /^[A-Za-z0-9_-]{4,128}$/;
const TRX_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface CreateRequestInput {
  /** Canonical decimal string ("12.50"), written as a JSON number literal. */
  amount: string;
  clientBaseUrl: string;
  customer: { name?: string; email?: string } | null;
  successUrl: string;
  cancelUrl: string;
  orderId: string;
  reference: string;
}

export function createRequestBody(i: CreateRequestInput): string {
  if (!/^\d{1,16}(\.\d{1,2})?$/.test(i.amount)) throw new Error(`not a decimal amount: ${i.amount}`);
  const rest: Record<string, string> = { client_base_url: i.clientBaseUrl };
  if (i.customer?.name) rest.customer_name = i.customer.name;
  if (i.customer?.email) rest.customer_email = i.customer.email;
  rest.success_url = i.successUrl;
  rest.cancel_url = i.cancelUrl;
  rest.meta_data = JSON.stringify({ order_id: i.orderId, reference: i.reference });
  return `{"amount":${i.amount},${JSON.stringify(rest).slice(1)}`;
}

export interface CreatedCheckout {
  paymentUrl: string;
  trxId: string;
}

/** The create call's answer -> the payment_url and its trx_id, or a ProviderError carrying the gateway's message. */
export function parseCreateResponse(res: Pick<OutboundResponse, 'status' | 'body' | 'headers' | 'durationMs'>): CreatedCheckout {
  const body = parseJsonObject('checkout', res as OutboundResponse);
  if (body.status === 'error') {
    const message = typeof body.message === 'string' && body.message ? body.message.slice(0, 300) : `HTTP ${res.status} without a message`;
    const kind = res.status === 401 || res.status === 403 ? 'auth' : 'rejected';
    throw new ProviderError('checkout', kind, `the gateway refused the payment: ${message}`);
  }
  if (body.status !== 'success')
    throw new ProviderError(
      'checkout',
      'bad_response',
      `the gateway answered an unknown status ${JSON.stringify(body.status)?.slice(0, 40)} (HTTP ${res.status})`,
    );
  if (typeof body.payment_url !== 'string') throw new ProviderError('checkout', 'bad_response', 'the gateway answered success without a payment_url');
  let url: URL;
  try {
    url = new URL(body.payment_url);
  } catch {
    throw new ProviderError('checkout', 'bad_response', 'the gateway answered a payment_url that is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ProviderError('checkout', 'bad_response', 'the payment_url is not http(s)');
  const trxId = url.searchParams.get('trx_id') ?? '';
  if (!TRX_ID.test(trxId)) throw new ProviderError('checkout', 'bad_response', 'the payment_url carries no usable trx_id');
  return { paymentUrl: body.payment_url, trxId };
}
