/**
 * Every RaksmeyPay quirk lives here (seed 000).
 *
 * - The payment link is what the document's PHP builds: success_url is `urlencode`d once,
 *   hashed in that form, then `http_build_query` encodes it AGAIN (double encoding on the wire).
 * - The amount is PHP's string form of a float ("12.5", "10", "0.01"), the same string in the
 *   hash and in the query.
 * - transaction_id is a number.
 * - hash = sha1(profile_key . transaction_id . amount . urlencode(success_url) . remark)
 * - success return: sha1(profile_key . success_time . success_amount . bakong_hash . transaction_id), valid 180 s.
 * - success_url carries a harmless query (`?r=1`): the document's only example has one, and the
 *   gateway appends `&success_time=…` to it; without a query that would land on `…/return&success_time=…`.
 * - verify API: POST {transaction_id, hash = sha1(profile_key . transaction_id)} as multipart/form-data
 *   (the document's PHP gives CURLOPT_POSTFIELDS an array, which curl sends as multipart), answering
 *   {"status":1,"payment_amount":0.01,"payment_status":"SUCCESS"|"PENDING"} or {"status":0,"err_msg":"Payment not found"}.
 */
import { FormData } from 'undici';
import { constantTimeEqual, sha1Hex } from '../../common/crypto';
import { Currency, MoneyError, parseAmount } from '../../common/money';
import { phpHttpBuildQuery, phpUrlencode } from '../php-wire';
import { ProviderError, VerifyOutcome } from '../provider';

/** The only host the document gives (UAT). No production host is published, so base_url is required. */
export const RAKSMEYPAY_UAT_BASE_URL = 'https://www.uat.raksmeypay.com';
/** The document's token lifetime for a success return. */
export const SUCCESS_RETURN_MAX_AGE_SECONDS = 180;
/** Tolerated clock skew for a success_time slightly in our future. */
export const SUCCESS_RETURN_MAX_SKEW_SECONDS = 30;

// PHP's amount and urlencode() (one copy, shared with Ahnajak in ../php-wire.ts) are this gateway's quirks too.
export { phpAmount, phpUrlencode } from '../php-wire';

export interface PaymentLinkInput {
  baseUrl: string;
  profileId: string;
  profileKey: string;
  transactionId: number;
  amount: string;
  successUrl: string;
  remark: string;
}

export function paymentLinkHash(i: Omit<PaymentLinkInput, 'baseUrl' | 'profileId'>): string {
  return sha1Hex(i.profileKey + String(i.transactionId) + i.amount + phpUrlencode(i.successUrl) + i.remark);
}

/** The signed payment link, byte for byte what the document's PHP produces. */
export function paymentLink(i: PaymentLinkInput): string {
  const hash = paymentLinkHash(i);
  const query = phpHttpBuildQuery([
    ['transaction_id', String(i.transactionId)],
    ['amount', i.amount],
    ['success_url', phpUrlencode(i.successUrl)],
    ['remark', i.remark],
    ['hash', hash],
  ]);
  return `${i.baseUrl}/payment/request/${encodeURIComponent(i.profileId)}?${query}`;
}

/** The remark shown on the gateway's receipt: the merchant's reference, kept short and printable. */
export function remarkFor(reference: string): string {
  return reference.slice(0, 100);
}

export function successHash(profileKey: string, successTime: string, successAmount: string, bakongHash: string, transactionId: string): string {
  return sha1Hex(profileKey + successTime + successAmount + bakongHash + transactionId);
}

export type SuccessReturnCheck =
  | { ok: true; paidAmountMinor: number; paidAt: Date; bakongHash: string }
  | { ok: false; code: 'missing_parameters' | 'stale_return' | 'invalid_signature' | 'bad_amount'; detail: string };

/**
 * Checks a success return the way the document's PHP does, with constant-time comparison.
 * `profileKey` null: the number is none of ours. The return is checked all the same and fails at
 * the hash, exactly as a forged return for a real number does, so the answer never tells them apart.
 */
export function checkSuccessReturn(
  query: Record<string, unknown>,
  profileKey: string | null,
  transactionId: string,
  currency: Currency,
  nowSeconds: number,
): SuccessReturnCheck {
  const str = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : '');
  const successTime = str('success_time');
  const successAmount = str('success_amount');
  const bakongHash = str('bakong_hash');
  const given = str('success_hash');
  if (!successAmount || !successTime || !given)
    return { ok: false, code: 'missing_parameters', detail: 'success_time, success_amount and success_hash are required' };
  if (!/^\d{1,12}$/.test(successTime)) return { ok: false, code: 'stale_return', detail: 'success_time is not a Unix timestamp' };
  const age = nowSeconds - Number(successTime);
  if (age > SUCCESS_RETURN_MAX_AGE_SECONDS || age < -SUCCESS_RETURN_MAX_SKEW_SECONDS) {
    return { ok: false, code: 'stale_return', detail: `the return is ${age} s old; RaksmeyPay returns are valid for ${SUCCESS_RETURN_MAX_AGE_SECONDS} s` };
  }
  const expected = successHash(profileKey ?? '', successTime, successAmount, bakongHash, transactionId);
  if (!constantTimeEqual(given.toLowerCase(), expected) || profileKey === null)
    return { ok: false, code: 'invalid_signature', detail: 'success_hash does not match' };
  let paidAmountMinor: number;
  try {
    paidAmountMinor = parseAmount(successAmount, currency, { noMax: true });
  } catch {
    return { ok: false, code: 'bad_amount', detail: 'success_amount is not a decimal amount' };
  }
  return { ok: true, paidAmountMinor, paidAt: new Date(Number(successTime) * 1000), bakongHash };
}

/** The verify request's fields, in the document's order. */
export function verifyRequestFields(profileKey: string, transactionId: number): [string, string][] {
  return [
    ['transaction_id', String(transactionId)],
    ['hash', sha1Hex(profileKey + String(transactionId))],
  ];
}

/** The verify request body: multipart/form-data, as PHP's curl sends an array (undici sets the boundary). */
export function verifyRequestBody(profileKey: string, transactionId: number): FormData {
  const form = new FormData();
  for (const [name, value] of verifyRequestFields(profileKey, transactionId)) form.append(name, value);
  return form;
}

/** Every payment_status the document names. Anything else is an error, never "pending". */
const PAYMENT_STATUS = { SUCCESS: 'PAID', PENDING: 'PENDING' } as const;

/** The verify API's JSON -> our outcome. `payment_amount` is a JSON number; read as its shortest decimal. */
export function parseVerifyResponse(body: Record<string, unknown>, currency: Currency, now: Date): VerifyOutcome {
  if (body.status === 0 || body.status === '0') {
    const message = typeof body.err_msg === 'string' ? body.err_msg : 'unknown error';
    // The gateway has no record until the customer opens the link: not found = not paid yet.
    if (/not\s*found/i.test(message)) return { status: 'PENDING' };
    throw new ProviderError('raksmeypay', 'rejected', `verify refused: ${message.slice(0, 200)}`);
  }
  if (body.status !== 1 && body.status !== '1')
    throw new ProviderError('raksmeypay', 'bad_response', `verify answered an unknown status ${JSON.stringify(body.status)?.slice(0, 40)}`);
  const raw = typeof body.payment_status === 'string' ? body.payment_status.toUpperCase() : '';
  const mapped = (PAYMENT_STATUS as Record<string, 'PAID' | 'PENDING'>)[raw];
  if (!mapped)
    throw new ProviderError('raksmeypay', 'bad_response', `verify answered an unknown payment_status ${JSON.stringify(body.payment_status)?.slice(0, 40)}`);
  if (mapped === 'PENDING') return { status: 'PENDING' };
  let paidAmountMinor: number;
  try {
    paidAmountMinor = parseAmount(
      typeof body.payment_amount === 'number' || typeof body.payment_amount === 'string' ? body.payment_amount : undefined,
      currency,
      { noMax: true },
    );
  } catch (err) {
    throw new ProviderError('raksmeypay', 'bad_response', `verify answered SUCCESS with an unusable payment_amount (${(err as MoneyError).message})`);
  }
  return { status: 'PAID', paidAmountMinor, paidCurrency: currency, paidAt: now };
}
