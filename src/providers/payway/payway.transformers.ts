/**
 * Every ABA PayWay quirk lives here (developer.payway.com.kh; docs/providers-payway.md names the page of each).
 *
 * - Every request is signed the same way: hash = base64(HMAC-SHA512(concatenation of the documented fields, in the
 *   documented order, api_key)). An absent optional field adds nothing to the concatenation.
 * - req_time / request_time: UTC, YYYYMMDDHHmmss.
 * - QR API (POST …/payments/generate-qr, JSON): hash fields req_time, merchant_id, tran_id, amount, items, first_name,
 *   last_name, email, phone, purchase_type, payment_option, callback_url, return_deeplink, currency, custom_fields,
 *   return_params, payout, lifetime, qr_image_template. callback_url is base64-encoded. lifetime is in minutes (≥ 3).
 *   The answer is {qrString, qrImage, abapay_deeplink, app_store, play_store, amount, currency, status: {code, message, trace_id}}.
 * - The QR API's amount is a JSON number (USD at most 2 decimals, KHR none). PayWay's server is PHP (its samples; Laravel's
 *   "The given data was invalid"): it reads the number as a float and concatenates it as PHP prints a float, so the hash
 *   carries "12.5", "10", "5000" (php-wire.ts phpAmount), and the body's number literal is those same characters.
 *   The refund's refund_amount is a JSON string inside merchant_auth, with the currency's decimals ("0.01", "5000").
 * - Check Transaction (POST …/payments/check-transaction-2, JSON): hash fields req_time, merchant_id, tran_id; the answer
 *   is {data: {payment_status_code, payment_status, payment_amount, payment_currency, apv, …}, status: {code, message, tran_id}}.
 *   status.code "6" is "tran_id not found": the gateway has no record yet (it lags creation by seconds).
 * - Refund API (POST …/online-transaction/refund, JSON): merchant_auth = hex(RSA-PKCS#1 v1.5 public-encrypt, in chunks of
 *   117 bytes, of the JSON {"mc_id","tran_id","refund_amount"}) with the merchant's RSA public key; hash fields
 *   request_time, merchant_id, merchant_auth. The answer is {grand_total, total_refunded, currency, transaction_status,
 *   status: {code: "00", message}}.
 * - Errors come back in the same envelope, status.code not "0"/"00", often with HTTP 403 (not only 200).
 * - The pushback (POST to callback_url) carries {tran_id, apv, status, merchant_ref_no?}, unsigned: it is never trusted,
 *   only a Check Transaction answer moves an order (payway.inbound.ts).
 */
import { constants, createHash, createHmac, publicEncrypt } from 'node:crypto';
import { Currency, CURRENCY_DECIMALS, formatAmount, isCurrency, MoneyError, parseAmount } from '../../common/money';
import { khqrCrc16 } from '../khqr';
import { phpAmount } from '../php-wire';
import { ProviderError, ProviderErrorKind, RefundOutcome, VerifyOutcome } from '../provider';

/** Production host (the documents' "Production url"). */
export const PAYWAY_DEFAULT_BASE_URL = 'https://checkout.payway.com.kh';
/** The documents' sandbox host. */
export const PAYWAY_SANDBOX_BASE_URL = 'https://checkout-sandbox.payway.com.kh';
export const PAYWAY_PATHS = {
  qr: '/api/payment-gateway/v1/payments/generate-qr',
  check: '/api/payment-gateway/v1/payments/check-transaction-2',
  refund: '/api/merchant-portal/merchant-access/online-transaction/refund',
} as const;

/** QR API: "lifetime" in minutes, from 3 to 43200 (30 days). */
export const QR_LIFETIME_MINUTES = { min: 3, max: 43_200 } as const;
/** tran_id: at most 20 characters; the sandbox accepts letters, digits and '-'. */
export const TRAN_ID = /^[A-Za-z0-9-]{1,20}$/;
/** merchant_id: at most 30 characters. */
export const MERCHANT_ID = /^[A-Za-z0-9._-]{1,30}$/;
/** The QR image template we ask for (we render our own image; PayWay requires one of its templates). */
export const QR_IMAGE_TEMPLATE = 'template3_color';
/** The documented maximum plaintext per RSA block in the document's PHP sample (1024-bit key, PKCS#1 v1.5). */
export const RSA_CHUNK_BYTES = 117;
/** The ABA Mobile deeplink scheme of the QR API's sample answer; anything else is not shown. */
export const ABA_DEEPLINK = /^abamobilebank:\/\/[\x21-\x7e]{1,2000}$/;

/** base64(HMAC-SHA512(parts joined, api_key)), as `base64_encode(hash_hmac('sha512', $b4hash, $api_key, true))`. */
export function paywayHash(parts: (string | null | undefined)[], apiKey: string): string {
  return createHmac('sha512', apiKey)
    .update(parts.map((p) => p ?? '').join(''), 'utf8')
    .digest('base64');
}

/** UTC YYYYMMDDHHmmss. */
export function reqTime(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The QR API's amount, in the hash and as the body's number literal: PHP's float printing ("12.5", "10", "5000"). */
export function paywayAmount(minor: number, currency: Currency): string {
  return phpAmount(minor, currency);
}

/** The Refund API's refund_amount string: the currency's decimals ("0.01", "12.50", "5000"), as the document's example. */
export function refundAmount(minor: number, currency: Currency): string {
  return formatAmount(minor, currency);
}

/** lifetime in whole minutes until `expiresAt`, within the documented bounds. */
export function lifetimeMinutes(now: Date, expiresAt: Date): number {
  const minutes = Math.floor((expiresAt.getTime() - now.getTime()) / 60_000);
  return Math.min(QR_LIFETIME_MINUTES.max, Math.max(QR_LIFETIME_MINUTES.min, minutes));
}

/** A JSON number literal written as given (so "12.50" is not reformatted to 12.5). */
class RawNumber {
  constructor(readonly literal: string) {
    if (!/^\d+(\.\d+)?$/.test(literal)) throw new Error(`not a number literal: ${literal}`);
  }
}
type WireValue = string | number | RawNumber;

/** A JSON object body from ordered fields (undefined ones left out), amount literals kept as written. */
export function jsonBody(fields: [string, WireValue | undefined][]): string {
  const parts = fields
    .filter((f): f is [string, WireValue] => f[1] !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${v instanceof RawNumber ? v.literal : JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

export interface QrRequestInput {
  merchantId: string;
  apiKey: string;
  tranId: string;
  amount: string;
  currency: Currency;
  callbackUrl: string;
  lifetime: number;
  reqTime: string;
}

/** The QR API body: the documented hash over the documented field order (absent fields add ''). */
export function qrRequestBody(i: QrRequestInput): string {
  const callback = Buffer.from(i.callbackUrl, 'utf8').toString('base64');
  const purchaseType = 'purchase';
  const paymentOption = 'abapay_khqr';
  const lifetime = String(i.lifetime);
  const hash = paywayHash(
    [
      i.reqTime,
      i.merchantId,
      i.tranId,
      i.amount,
      '',
      '',
      '',
      '',
      '',
      purchaseType,
      paymentOption,
      callback,
      '',
      i.currency,
      '',
      '',
      '',
      lifetime,
      QR_IMAGE_TEMPLATE,
    ],
    i.apiKey,
  );
  return jsonBody([
    ['req_time', i.reqTime],
    ['merchant_id', i.merchantId],
    ['tran_id', i.tranId],
    ['amount', new RawNumber(i.amount)],
    ['currency', i.currency],
    ['purchase_type', purchaseType],
    ['payment_option', paymentOption],
    ['callback_url', callback],
    ['lifetime', i.lifetime],
    ['qr_image_template', QR_IMAGE_TEMPLATE],
    ['hash', hash],
  ]);
}

/** The Check Transaction body. */
export function checkRequestBody(i: { merchantId: string; apiKey: string; tranId: string; reqTime: string }): string {
  return jsonBody([
    ['req_time', i.reqTime],
    ['merchant_id', i.merchantId],
    ['tran_id', i.tranId],
    ['hash', paywayHash([i.reqTime, i.merchantId, i.tranId], i.apiKey)],
  ]);
}

/** merchant_auth: the document's PHP (openssl_public_encrypt per 117-byte chunk, PKCS#1 v1.5, then bin2hex). */
export function merchantAuth(payload: string, rsaPublicKeyPem: string): string {
  const data = Buffer.from(payload, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += RSA_CHUNK_BYTES) {
    out.push(publicEncrypt({ key: rsaPublicKeyPem, padding: constants.RSA_PKCS1_PADDING }, data.subarray(i, i + RSA_CHUNK_BYTES)));
  }
  return Buffer.concat(out).toString('hex');
}

/** The refund's merchant_auth plaintext, in the document's field order. */
export const refundAuthPayload = (merchantId: string, tranId: string, refundAmount: string) =>
  JSON.stringify({ mc_id: merchantId, tran_id: tranId, refund_amount: refundAmount });

export function refundRequestBody(i: { merchantId: string; apiKey: string; merchantAuth: string; requestTime: string }): string {
  return jsonBody([
    ['request_time', i.requestTime],
    ['merchant_id', i.merchantId],
    ['merchant_auth', i.merchantAuth],
    ['hash', paywayHash([i.requestTime, i.merchantId, i.merchantAuth], i.apiKey)],
  ]);
}

/** Checks a PEM public key (a merchant's rsa_public_key): an error message or null. */
export function checkRsaPublicKey(value: unknown): string | null {
  if (typeof value !== 'string' || !/^-----BEGIN (RSA )?PUBLIC KEY-----[\s\S]+-----END (RSA )?PUBLIC KEY-----\s*$/.test(value.trim()))
    return 'must be a PEM public key (-----BEGIN PUBLIC KEY-----…)';
  try {
    publicEncrypt({ key: value, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('{}'));
    return null;
  } catch {
    return 'is not a usable RSA public key';
  }
}

// ---------------------------------------------------------------- answers

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '');

/** The documented envelope's status object; null when the answer is not the envelope at all. */
export function envelopeStatus(body: Record<string, unknown>): { code: string; message: string } | null {
  const status = body.status;
  if (!status || typeof status !== 'object' || Array.isArray(status)) return null;
  const s = status as Record<string, unknown>;
  const code = str(s.code);
  if (!code) return null;
  return { code, message: str(s.message).slice(0, 200) };
}

const isSuccess = (code: string) => code === '0' || code === '00';

/** Codes that say the merchant's credentials or profile are wrong, by endpoint (the same number means other things elsewhere). */
const AUTH_CODES = {
  qr: new Set(['1', '6', '96', '102']),
  check: new Set(['1', '96']),
  refund: new Set(['1', 'PTL02', '96']),
} as const;

/** A refused call as a ProviderError of the right kind (429 in the envelope is the rate limit, HTTP 403 or not). */
export function refusal(endpoint: keyof typeof AUTH_CODES, status: { code: string; message: string }): ProviderError {
  const kind: ProviderErrorKind = status.code === '429' ? 'rate_limited' : AUTH_CODES[endpoint].has(status.code) ? 'auth' : 'rejected';
  return new ProviderError('payway', kind, `${endpoint} refused (code ${status.code.slice(0, 12)}: ${status.message || 'no message'})`);
}

export interface CreatedQr {
  qrString: string;
  md5: string;
  deeplink: string | undefined;
}

/**
 * The QR API's answer → the KHQR and the ABA deeplink. The KHQR must be one (CRC-16 valid) for this order's amount and
 * currency; a deeplink is kept only with the ABA Mobile scheme (it becomes a link on our own page).
 */
export function parseQrResponse(body: Record<string, unknown>, expected: { amountMinor: number; currency: Currency }): CreatedQr {
  const status = envelopeStatus(body);
  if (!status) throw new ProviderError('payway', 'bad_response', 'the QR API answered without its status object');
  if (!isSuccess(status.code)) throw refusal('qr', status);
  const qrString = typeof body.qrString === 'string' ? body.qrString : '';
  const problem = khqrProblem(qrString, expected);
  if (problem) throw new ProviderError('payway', 'bad_response', `the QR API answered an unusable qrString: ${problem}`);
  const link = typeof body.abapay_deeplink === 'string' && ABA_DEEPLINK.test(body.abapay_deeplink) ? body.abapay_deeplink : undefined;
  return { qrString, md5: createHash('md5').update(qrString, 'utf8').digest('hex'), deeplink: link };
}

/** KHQR top-level tags (EMV TLV: two-digit tag, two-digit length). */
function khqrTags(qr: string): Map<string, string> | null {
  const tags = new Map<string, string>();
  let i = 0;
  while (i < qr.length) {
    const tag = qr.slice(i, i + 2);
    const len = Number(qr.slice(i + 2, i + 4));
    if (!/^\d{2}$/.test(tag) || !/^\d{2}$/.test(qr.slice(i + 2, i + 4)) || i + 4 + len > qr.length) return null;
    tags.set(tag, qr.slice(i + 4, i + 4 + len));
    i += 4 + len;
  }
  return tags;
}

const KHQR_CURRENCY: Record<Currency, string> = { USD: '840', KHR: '116' };

function khqrProblem(qr: string, expected: { amountMinor: number; currency: Currency }): string | null {
  if (!qr || qr.length > 1000 || !qr.startsWith('000201')) return 'not a KHQR';
  const tags = khqrTags(qr);
  if (!tags || !tags.has('63') || !qr.endsWith(tags.get('63')!)) return 'not a KHQR';
  if (khqrCrc16(qr.slice(0, -4)).toUpperCase() !== tags.get('63')!.toUpperCase()) return 'its CRC does not match';
  if (tags.get('53') !== KHQR_CURRENCY[expected.currency]) return `its currency is not ${expected.currency}`;
  const amount = tags.get('54') ?? '';
  if (!sameAmount(amount, expected.amountMinor, expected.currency)) return `its amount ${JSON.stringify(amount).slice(0, 20)} is not the order's`;
  return null;
}

/** A decimal string (PayWay writes KHR 4000 as "4000.00" in the KHQR) equal to `minor` of `currency`. */
export function sameAmount(text: string, minor: number, currency: Currency): boolean {
  const m = /^(\d{1,15})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return false;
  const cents = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return cents === minor * 10 ** (2 - CURRENCY_DECIMALS[currency]);
}

/** payment_status_code → our outcome: every documented code; anything else is an error, never "pending". */
const PAYMENT_STATUS: Record<number, 'PAID' | 'PENDING' | 'FAILED'> = {
  0: 'PAID', // APPROVED (PRE-AUTH shares the code; we only ask for purchases)
  2: 'PENDING',
  3: 'FAILED', // DECLINED
  4: 'PAID', // REFUNDED: it was paid; refunds are tracked as refunds
  7: 'FAILED', // CANCELLED: the merchant closed the transaction
};

/** Check Transaction's answer → our outcome. */
export function parseCheckResponse(body: Record<string, unknown>, now: Date): VerifyOutcome {
  const status = envelopeStatus(body);
  if (!status) throw new ProviderError('payway', 'bad_response', 'check transaction answered without its status object');
  // "tran_id not found": nothing at the gateway yet (it lags creation), so not paid yet.
  if (status.code === '6') return { status: 'PENDING' };
  if (!isSuccess(status.code)) throw refusal('check', status);
  const data = body.data && typeof body.data === 'object' && !Array.isArray(body.data) ? (body.data as Record<string, unknown>) : null;
  if (!data) throw new ProviderError('payway', 'bad_response', 'check transaction answered success without data');
  const code = typeof data.payment_status_code === 'number' ? data.payment_status_code : Number.NaN;
  const mapped = PAYMENT_STATUS[code];
  if (!mapped)
    throw new ProviderError(
      'payway',
      'bad_response',
      `check transaction answered an unknown payment_status_code ${JSON.stringify(data.payment_status_code)?.slice(0, 20)}`,
    );
  if (mapped === 'PENDING') return { status: 'PENDING' };
  if (mapped === 'FAILED') return { status: 'FAILED', reason: `PayWay: ${str(data.payment_status).slice(0, 40) || `payment_status_code ${code}`}` };
  const currency = str(data.payment_currency).toUpperCase();
  if (!isCurrency(currency))
    throw new ProviderError(
      'payway',
      'bad_response',
      `check transaction answered an unknown payment_currency ${JSON.stringify(data.payment_currency)?.slice(0, 12)}`,
    );
  let paidAmountMinor: number;
  try {
    // The amount the customer paid: original_amount (payment_amount drops by what was refunded, total_amount adds nothing more).
    paidAmountMinor = parseAmount(readAmount(data.original_amount ?? data.payment_amount), currency, { noMax: true });
  } catch (err) {
    throw new ProviderError('payway', 'bad_response', `check transaction answered an unusable amount (${(err as MoneyError).message})`);
  }
  const apv = str(data.apv).slice(0, 64);
  return { status: 'PAID', paidAmountMinor, paidCurrency: currency, paidAt: now, ...(apv ? { proof: `apv:${apv}` } : {}) };
}

/** A JSON number as its shortest decimal text (0.1 → "0.1"); strings pass through. */
function readAmount(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' ? v : undefined;
}

/** The Refund API's answer → our outcome. A refusal by the gateway is FAILED; bad credentials and unreadable answers throw. */
export function parseRefundResponse(body: Record<string, unknown>): RefundOutcome {
  const status = envelopeStatus(body);
  if (!status) throw new ProviderError('payway', 'bad_response', 'the refund API answered without its status object');
  if (isSuccess(status.code)) return { status: 'SUCCEEDED' };
  const err = refusal('refund', status);
  if (err.kind !== 'rejected') throw err;
  return { status: 'FAILED', reason: `PayWay refused the refund (code ${status.code.slice(0, 12)}: ${status.message || 'no message'})` };
}

/**
 * checkRefund: PayWay keeps no record per refund, only the transaction's refunded total (Check Transaction's
 * refund_amount). A refund asked before counts as SUCCEEDED when that total covers it, else FAILED (it never arrived).
 */
export function parseRefundCheck(body: Record<string, unknown>, refund: { amountMinor: number; currency: Currency }): RefundOutcome {
  const status = envelopeStatus(body);
  if (!status) throw new ProviderError('payway', 'bad_response', 'check transaction answered without its status object');
  if (!isSuccess(status.code)) throw refusal('check', status);
  const data = body.data && typeof body.data === 'object' && !Array.isArray(body.data) ? (body.data as Record<string, unknown>) : null;
  let refunded: number;
  try {
    refunded = parseAmount(readAmount(data?.refund_amount), refund.currency, { noMax: true, allowZero: true });
  } catch (err) {
    throw new ProviderError('payway', 'bad_response', `check transaction answered an unusable refund_amount (${(err as MoneyError).message})`);
  }
  return refunded >= refund.amountMinor ? { status: 'SUCCEEDED' } : { status: 'FAILED', reason: 'PayWay shows no refund of this amount on the transaction' };
}
