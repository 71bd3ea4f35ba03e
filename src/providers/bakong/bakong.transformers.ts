/**
 * Every quirk of the `bakong` provider: the National Bank of Cambodia's Bakong Open API, called
 * directly, with the KHQR generated locally by the official `bakong-khqr` SDK.
 *
 * KHQR generation (SDK)
 * - Individual account (tag 29) unless the account has both `merchant_id` and `acquiring_bank`
 *   (merchant account, tag 30). `IndividualInfo(accountId, name, city, optional)`: the currency is
 *   `optional.currency` (840 USD, 116 KHR), whatever the SDK README's example shows.
 * - The amount is passed as a decimal string, never a float: USD "12.50" (tag 54 "12.50"),
 *   KHR "5000". The SDK refuses more than 2 decimals for USD and any fraction for KHR.
 * - Dynamic KHQR: `expirationTimestamp` (13-digit ms) = the order's expires_at; the SDK stamps
 *   the creation time with Date.now() itself, so the same inputs at another instant give
 *   another string (and md5).
 * - Bill number (tag 62/01) = the order reference, cut to the SDK's 25 characters.
 * - Merchant name ≤ 25 and city ≤ 15 characters, printable ASCII (EMV lengths count bytes,
 *   the SDK counts UTF-16 units: the two only agree for ASCII).
 * - The provider reference is md5(KHQR string), lowercase hex, as Bakong indexes payments.
 *
 * Open API (POST, JSON, `Authorization: Bearer <token>`)
 * - check_transaction_by_md5 `{"md5": "…"}` and check_transaction_by_md5_list `["…", …]` (≤ 50).
 * - Envelope `{responseCode: 0 | 1, responseMessage, errorCode, data}`; data on success is
 *   `{hash, fromAccountId, toAccountId, currency, amount, description, createdDateMs,
 *   acknowledgedDateMs, …}`. The list answers `data: [{md5, status, message, data}]`.
 * - A token that is missing, wrong or expired answers HTTP 401 with errorCode 6.
 * - A caller outside Cambodia gets HTTP 403 (any token): the account is marked needs_attention.
 *   A relay in Cambodia is reached through an HTTP(S) proxy: the account's `proxy_url`, else
 *   BAKONG_PROXY_URL (CONNECT tunnel; the token still travels inside TLS to Bakong's host).
 * - generate_deeplink_by_qr `{qr, sourceInfo: {appIconUrl, appName, appDeepLinkCallback}}` ->
 *   `data.shortLink` (the SDK's generateDeepLink reads the same field); errorCode 4 when Bakong's
 *   link provider fails, 5 when sourceInfo is incomplete. Asked at creation with a short deadline:
 *   a failure only leaves the order without a deeplink.
 * - check_bakong_account `{accountId}` -> responseCode 0 when the account exists, errorCode 11
 *   (not found) or 12 (invalid) otherwise. Asked when the account is saved.
 * - The token is a JWT (HS256, Bakong's key): its `exp` is read without verifying the signature
 *   (we do not have the key), only to warn before it expires (tokenExpiry).
 * - `amount` is a JSON number in the payment's `currency`; `createdDateMs` is when the payer
 *   sent the money (used as paid_at, so a payment after expires_at is flagged late).
 */
import { BakongKHQR, IndividualInfo, KhqrOptionalData, MerchantInfo } from 'bakong-khqr';
import { md5Hex } from '../../common/crypto';
import type { OutboundResponse } from '../../common/http/outbound-http';
import { Currency, formatAmount, isCurrency, MoneyError, parseAmount } from '../../common/money';
import { inspectKhqr, KHQR_CURRENCY_CODE, KHQR_LIMITS } from '../khqr';
import { ProviderError, ProviderErrorKind, VerifyOutcome } from '../provider';
import { parseJsonObject } from '../provider-errors';

export const BAKONG_DEFAULT_BASE_URL = 'https://api-bakong.nbc.gov.kh';
export const BAKONG_SIT_BASE_URL = 'https://sit-api-bakong.nbc.gov.kh';
/** The Open API's limit for check_transaction_by_md5_list. */
export const BAKONG_BATCH_SIZE = 50;
/**
 * A payment sent just before expires_at may reach Bakong a little later: an md5 still unknown
 * this long after expires_at is EXPIRED, before that it is only PENDING.
 */
export const EXPIRY_GRACE_MS = 60_000;
/** HTTP 403 from the Open API: it accepts calls from Cambodian IP addresses only. */
export const BAKONG_FORBIDDEN_MESSAGE =
  'Bakong answered HTTP 403 Forbidden: the Open API accepts calls from Cambodian IP addresses only — run the orchestrator on a host in Cambodia, or set base_url to a relay hosted there (docs/providers-bakong.md)';

// The KHQR field checks are the national standard's, shared with bakongapi (one copy, in ../khqr.ts).
export { checkAccountId, checkKhqrText, KHQR_LIMITS } from '../khqr';

/** A merchant's Bakong Open API account as stored (the provider's credentialFields); bakongAccount() reads it. */
export interface BakongCredentials {
  account_id: string;
  merchant_name: string;
  merchant_city: string;
  token: string;
  base_url: string;
  acquiring_bank?: string;
  merchant_id?: string;
  /** An HTTP(S) proxy (a relay in Cambodia) for every Open API call of this account. */
  proxy_url?: string;
}

/** The account as the KHQR and Open API code below uses it. */
export interface BakongAccount {
  accountId: string;
  merchantName: string;
  merchantCity: string;
  token: string;
  baseUrl: string;
  merchantId?: string;
  acquiringBank?: string;
  proxyUrl?: string;
}

export function bakongAccount(creds: Partial<BakongCredentials>): BakongAccount {
  return {
    accountId: creds.account_id ?? '',
    merchantName: creds.merchant_name ?? '',
    merchantCity: creds.merchant_city ?? '',
    token: creds.token ?? '',
    baseUrl: (creds.base_url ?? BAKONG_DEFAULT_BASE_URL).replace(/\/+$/, ''),
    // An empty optional field is no field: the KHQR gets tag 29 (individual), not an empty tag 30.
    merchantId: creds.merchant_id || undefined,
    acquiringBank: creds.acquiring_bank || undefined,
    proxyUrl: creds.proxy_url || undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// KHQR generation

/** Tag 54 as we ask the SDK to write it: USD with cents ("12.50"), KHR whole ("5000"). */
export function khqrAmount(minor: number, currency: Currency): string {
  return formatAmount(minor, currency);
}

/** The order reference as the KHQR bill number (tag 62/01), cut to the SDK's limit. */
export function billNumberFor(reference: string): string {
  return reference.slice(0, KHQR_LIMITS.billNumber);
}

export interface KhqrRequest {
  amountMinor: number;
  currency: Currency;
  billNumber: string;
  expiresAt: Date;
}

export interface GeneratedKhqr {
  qr: string;
  md5: string;
  /** Tag 54 exactly as written in the KHQR. */
  wireAmount: string;
  type: 'individual' | 'merchant';
}

/** The SDK refused the account or the order (its error code and message). */
export class KhqrGenerationError extends Error {
  constructor(
    readonly sdkErrorCode: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'KhqrGenerationError';
  }
}

/** A dynamic KHQR for this account and order, checked by decoding it back (CRC, account, amount, currency). */
export function generateKhqr(
  account: Pick<BakongAccount, 'accountId' | 'merchantName' | 'merchantCity' | 'merchantId' | 'acquiringBank'>,
  req: KhqrRequest,
): GeneratedKhqr {
  const wireAmount = khqrAmount(req.amountMinor, req.currency);
  const optional: KhqrOptionalData = {
    currency: Number(KHQR_CURRENCY_CODE[req.currency]),
    amount: wireAmount,
    billNumber: req.billNumber,
    expirationTimestamp: req.expiresAt.getTime(),
  };
  const sdk = new BakongKHQR();
  const merchant = account.merchantId !== undefined;
  let result: ReturnType<BakongKHQR['generateIndividual']>;
  try {
    result = merchant
      ? sdk.generateMerchant(
          new MerchantInfo(account.accountId, account.merchantName, account.merchantCity, account.merchantId!, account.acquiringBank ?? '', optional),
        )
      : sdk.generateIndividual(
          new IndividualInfo(account.accountId, account.merchantName, account.merchantCity, { ...optional, acquiringBank: account.acquiringBank }),
        );
  } catch (err) {
    // The SDK throws strings from its constructors.
    throw new KhqrGenerationError(null, typeof err === 'string' ? err : (err as Error).message);
  }
  if (result.status.code !== 0 || !result.data) {
    throw new KhqrGenerationError(result.status.errorCode, result.status.message ?? 'the SDK refused to generate the KHQR');
  }
  const qr = result.data.qr;
  const check = inspectKhqr(qr, { accountId: account.accountId, amountMinor: req.amountMinor, currency: req.currency });
  if (!check.ok) throw new KhqrGenerationError(null, `the generated KHQR does not round-trip: ${check.reason}`);
  return { qr, md5: md5Hex(qr), wireAmount: check.decoded.amount, type: merchant ? 'merchant' : 'individual' };
}

// ---------------------------------------------------------------------------------------------
// Open API requests

export const checkByMd5Url = (baseUrl: string) => `${baseUrl}/v1/check_transaction_by_md5`;
export const checkByMd5ListUrl = (baseUrl: string) => `${baseUrl}/v1/check_transaction_by_md5_list`;

export function openApiHeaders(token: string): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` };
}

export const checkByMd5Body = (md5: string) => JSON.stringify({ md5 });
export const checkByMd5ListBody = (md5s: string[]) => JSON.stringify(md5s);

export const deeplinkUrl = (baseUrl: string) => `${baseUrl}/v1/generate_deeplink_by_qr`;
export const checkAccountUrl = (baseUrl: string) => `${baseUrl}/v1/check_bakong_account`;
/** The deeplink is a convenience: never wait longer than this for it at order creation. */
export const BAKONG_DEEPLINK_TIMEOUT_MS = 3_000;
/** What the bank app shows of us while it opens the payment, and where it returns to. */
export interface DeeplinkSource {
  appIconUrl: string;
  appName: string;
  appDeepLinkCallback: string;
}

export const deeplinkBody = (qr: string, source: DeeplinkSource) => JSON.stringify({ qr, sourceInfo: source });
export const checkAccountBody = (accountId: string) => JSON.stringify({ accountId });

/**
 * The token's `exp` as a Date, read from the JWT payload WITHOUT verifying its signature (Bakong
 * signs with its own key, which we do not have): good for a reminder, never for trust. Null when
 * the token is not a JWT or carries no numeric exp.
 */
export function tokenExpiry(token: string): Date | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = payload && typeof payload === 'object' ? (payload as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) && exp > 0 && exp < 1e11 ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Open API answers

type Handling = 'unpaid' | ProviderErrorKind;

/**
 * Every errorCode of the Open API document, and what it means for a status check. Anything not
 * listed is an error, never "pending".
 */
export const BAKONG_ERROR_CODES: Record<number, { meaning: string; handling: Handling }> = {
  // Not found = not paid yet: Bakong knows an md5 only once someone has paid it.
  1: { meaning: 'Transaction could not be found', handling: 'unpaid' },
  2: { meaning: 'System does not support static QR code', handling: 'rejected' },
  // A transfer attempt failed; no money moved and the KHQR stays payable until it expires.
  3: { meaning: 'Transaction failed', handling: 'unpaid' },
  4: { meaning: 'Error requesting deeplink from provider', handling: 'rejected' },
  5: { meaning: 'Missing required fields', handling: 'rejected' },
  // The token is missing, wrong or expired: a person must issue a new one (renew_token) and
  // PUT it; retrying with the same token cannot succeed.
  6: { meaning: 'Unauthorized', handling: 'auth' },
  7: { meaning: 'Email server down', handling: 'unavailable' },
  8: { meaning: 'Email already registered', handling: 'rejected' },
  9: { meaning: 'Cannot connect to server', handling: 'unavailable' },
  10: { meaning: 'Not registered', handling: 'auth' },
  11: { meaning: 'Account ID not found', handling: 'rejected' },
  12: { meaning: 'Invalid Account ID', handling: 'rejected' },
};

/** check_transaction_by_md5_list item statuses. */
export const BATCH_ITEM_STATUS: Record<string, 'paid' | Handling> = {
  SUCCESS: 'paid',
  NOT_FOUND: 'unpaid',
  FAILED: 'unpaid',
  STATIC_QR: 'rejected',
};

/** What the payment must match: the order's amount and currency, and the merchant's account. */
export interface ExpectedPayment {
  md5: string;
  amountMinor: number;
  currency: Currency;
  expiresAt: Date;
  accountId: string;
}

const fail = (kind: ProviderErrorKind, message: string) => new ProviderError('bakong', kind, message);
const show = (v: unknown, max = 60) => (JSON.stringify(v) ?? String(v)).slice(0, max);

/** Not paid (yet): PENDING, or EXPIRED once the KHQR has been dead for the grace period. */
export function unpaidOutcome(expiresAt: Date, now: Date): VerifyOutcome {
  return now.getTime() > expiresAt.getTime() + EXPIRY_GRACE_MS ? { status: 'EXPIRED' } : { status: 'PENDING' };
}

/** The transaction in `data` -> PAID (amount and currency as reported; the state machine flags a mismatch). */
export function paidOutcome(data: unknown, expected: ExpectedPayment): VerifyOutcome {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw fail('bad_response', 'Bakong reported the payment without its transaction data');
  const d = data as Record<string, unknown>;
  if (typeof d.hash !== 'string' || !/^[0-9a-fA-F]{8,128}$/.test(d.hash))
    throw fail('bad_response', `Bakong reported the payment with an unusable hash ${show(d.hash)}`);
  if (typeof d.toAccountId !== 'string' || !d.toAccountId) throw fail('bad_response', 'Bakong reported the payment without toAccountId');
  if (d.toAccountId.trim().toLowerCase() !== expected.accountId.toLowerCase()) {
    throw fail('bad_response', `Bakong reports the payment went to ${show(d.toAccountId, 40)}, not to the configured account; not marked paid`);
  }
  const currency = typeof d.currency === 'string' ? d.currency.toUpperCase() : '';
  if (!isCurrency(currency)) throw fail('bad_response', `Bakong reported the payment in an unknown currency ${show(d.currency)}`);
  let paidAmountMinor: number;
  try {
    paidAmountMinor = parseAmount(typeof d.amount === 'number' || typeof d.amount === 'string' ? d.amount : undefined, currency, { noMax: true });
  } catch (err) {
    throw fail('bad_response', `Bakong reported the payment with an unusable amount ${show(d.amount)} (${(err as MoneyError).message})`);
  }
  const created = typeof d.createdDateMs === 'string' && /^\d+$/.test(d.createdDateMs) ? Number(d.createdDateMs) : d.createdDateMs;
  if (typeof created !== 'number' || !Number.isSafeInteger(created) || created <= 0) {
    throw fail('bad_response', `Bakong reported the payment with an unusable createdDateMs ${show(d.createdDateMs)}`);
  }
  return { status: 'PAID', paidAmountMinor, paidCurrency: currency, paidAt: new Date(created), proof: d.hash };
}

function envelopeError(body: Record<string, unknown>, httpStatus: number): ProviderError {
  const code =
    typeof body.errorCode === 'number' ? body.errorCode : typeof body.errorCode === 'string' && /^\d+$/.test(body.errorCode) ? Number(body.errorCode) : null;
  const message = typeof body.responseMessage === 'string' ? body.responseMessage.slice(0, 200) : '';
  const known = code === null ? undefined : BAKONG_ERROR_CODES[code];
  if (!known)
    return fail('bad_response', `Bakong answered HTTP ${httpStatus} with an unknown errorCode ${show(body.errorCode)}${message ? `: ${message}` : ''}`);
  const kind: ProviderErrorKind = known.handling === 'unpaid' ? 'bad_response' : known.handling;
  const hint = kind === 'auth' ? ' — issue a new token (renew_token) and PUT it in /v1/provider-accounts/bakong' : '';
  return fail(kind, `Bakong errorCode ${code} (${known.meaning})${message ? `: ${message}` : ''}${hint}`);
}

/** Turns transport-level refusals into ProviderErrors, then parses the JSON envelope. */
function envelope(reply: Pick<OutboundResponse, 'status' | 'body'>): Record<string, unknown> {
  if (reply.status === 401) {
    let body: Record<string, unknown> = {};
    try {
      body = parseJsonObject('bakong', { ...reply, headers: {}, durationMs: 0 });
    } catch {
      // a 401 is an auth failure whatever its body
    }
    throw fail(
      'auth',
      `Bakong refused the token (HTTP 401${typeof body.responseMessage === 'string' ? `: ${body.responseMessage.slice(0, 120)}` : ''}) — issue a new token (renew_token) and PUT it in /v1/provider-accounts/bakong`,
    );
  }
  // The Open API answers 403 to callers outside Cambodia, whatever the token: retrying from the same
  // host cannot succeed, so it is an account problem (needs_attention) for a person to fix.
  if (reply.status === 403) throw fail('auth', BAKONG_FORBIDDEN_MESSAGE);
  const body = parseJsonObject('bakong', { ...reply, headers: {}, durationMs: 0 });
  if (body.responseCode !== 0 && body.responseCode !== 1) {
    throw fail('bad_response', `Bakong answered HTTP ${reply.status} without a responseCode of 0 or 1 (got ${show(body.responseCode)})`);
  }
  if (reply.status >= 400 && body.responseCode === 0) throw fail('bad_response', `Bakong answered HTTP ${reply.status} with responseCode 0`);
  return body;
}

/** check_transaction_by_md5's answer -> our outcome, or a ProviderError. */
export function parseCheckResponse(reply: Pick<OutboundResponse, 'status' | 'body'>, expected: ExpectedPayment, now: Date): VerifyOutcome {
  const body = envelope(reply);
  if (body.responseCode === 0) return paidOutcome(body.data, expected);
  const code = Number(body.errorCode);
  if (BAKONG_ERROR_CODES[code]?.handling === 'unpaid') return unpaidOutcome(expected.expiresAt, now);
  throw envelopeError(body, reply.status);
}

/** generate_deeplink_by_qr's answer -> the short link (an absolute http(s) URL), or a ProviderError. */
export function parseDeeplinkResponse(reply: Pick<OutboundResponse, 'status' | 'body'>): string {
  const body = envelope(reply);
  if (body.responseCode !== 0) throw envelopeError(body, reply.status);
  const link = (body.data as { shortLink?: unknown } | null)?.shortLink;
  if (typeof link !== 'string' || link.length > 2000) throw fail('bad_response', 'Bakong answered the deeplink request without a usable data.shortLink');
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw fail('bad_response', 'Bakong answered a data.shortLink that is not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail('bad_response', `Bakong answered a data.shortLink with the scheme ${show(u.protocol, 20)}`);
  return link;
}

/** check_bakong_account's answer: null when the account exists, else why not (a ProviderError for everything that is not an answer about the account). */
export function parseCheckAccountResponse(reply: Pick<OutboundResponse, 'status' | 'body'>): string | null {
  const body = envelope(reply);
  if (body.responseCode === 0) return null;
  const code = Number(body.errorCode);
  if (code === 11 || code === 12) return `Bakong does not know the account: errorCode ${code} (${BAKONG_ERROR_CODES[code].meaning})`;
  throw envelopeError(body, reply.status);
}

/**
 * check_transaction_by_md5_list's answer -> an outcome (or a ProviderError) per md5 asked.
 * Throws when the whole call failed (token, envelope).
 */
export function parseBatchResponse(
  reply: Pick<OutboundResponse, 'status' | 'body'>,
  expected: ExpectedPayment[],
  now: Date,
): Map<string, VerifyOutcome | ProviderError> {
  const body = envelope(reply);
  if (body.responseCode !== 0) throw envelopeError(body, reply.status);
  if (!Array.isArray(body.data)) throw fail('bad_response', 'Bakong answered the md5 list without a data array');
  const byMd5 = new Map(expected.map((e) => [e.md5.toLowerCase(), e]));
  const out = new Map<string, VerifyOutcome | ProviderError>();
  for (const item of body.data as unknown[]) {
    if (!item || typeof item !== 'object') continue;
    const i = item as Record<string, unknown>;
    const md5 = typeof i.md5 === 'string' ? i.md5.toLowerCase() : '';
    const exp = byMd5.get(md5);
    // An md5 we did not ask about (or a duplicate) is ignored: it cannot pay anything of ours.
    if (!exp || out.has(exp.md5)) continue;
    const status = typeof i.status === 'string' ? i.status.toUpperCase() : '';
    const handling = BATCH_ITEM_STATUS[status];
    const message = typeof i.message === 'string' ? `: ${i.message.slice(0, 120)}` : '';
    try {
      if (handling === 'paid') out.set(exp.md5, paidOutcome(i.data ?? i, exp));
      else if (handling === 'unpaid') out.set(exp.md5, unpaidOutcome(exp.expiresAt, now));
      else if (handling) out.set(exp.md5, fail(handling, `Bakong answered ${status} for this md5${message}`));
      else out.set(exp.md5, fail('bad_response', `Bakong answered an unknown status ${show(i.status)} for this md5`));
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      out.set(exp.md5, err);
    }
  }
  for (const e of expected) if (!out.has(e.md5)) out.set(e.md5, fail('bad_response', 'Bakong left this md5 out of its answer'));
  return out;
}
