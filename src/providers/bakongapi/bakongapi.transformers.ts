/**
 * Every quirk of the Bakong KHQR API service (seed 002, provider id `bakongapi`).
 *
 * - No credentials beyond the Bakong account id: `GET {base}/api/khqr/create?bakong_id&merchantname&amount`
 *   and `GET {base}/api/khqr/check?md5&bakong_id`, both JSON.
 * - Query values are percent-encoded (RFC 3986, space as %20 like the document's curl). The
 *   document's JavaScript example interpolates them raw, which breaks on "My Store" or "&".
 * - `amount` is "Payment amount in USD": sent as a plain decimal with cents, "10.50" (the curl
 *   example). USD only.
 * - create answers `{bakong_qr, md5, khqrString}`; nothing says what a failure looks like, so
 *   `success: false` (or anything without a usable khqrString and md5) is an error. We never
 *   hand out a KHQR we have not checked: md5(khqrString) must equal `md5` (constant-time), and
 *   the string must carry a valid CRC and decode to our account, amount and USD (khqr.ts). The
 *   SDK's verify() is not used: it refuses a KHQR without an expiry tag, which the document
 *   never promises.
 * - `bakong_qr` (the service's image URL) is ignored: we render our own image from the payload.
 * - QR codes expire after 15 minutes, whatever expires_in the merchant asked for: 15 minutes from
 *   our create call, or the KHQR's own expiration (tag 99/01) when it carries an earlier one.
 * - check answers `{success: true, status: "PENDING" | "PAID" | "EXPIRED", bakong_id, amount}`
 *   with `amount` a JSON number (10.5). It carries no payment time: paid_at is when we learned it.
 */
import { constantTimeEqual, md5Hex } from '../../common/crypto';
import { formatAmount, MoneyError, parseAmount } from '../../common/money';
import { checkAccountId, checkKhqrText, inspectKhqr, KHQR_LIMITS } from '../khqr';
import { ProviderError, ProviderErrorKind, VerifyOutcome } from '../provider';

/** The only host the document gives (a -dev host). No production host is published, so base_url is required. */
export const BAKONGAPI_DEV_BASE_URL = 'https://bakongapi-dev.shop';
/** "QR codes expire after 15 minutes." */
export const BAKONGAPI_QR_LIFETIME_MS = 15 * 60_000;
/** The service puts bakong_id and merchantname into a KHQR: the standard's field checks (../khqr.ts) apply. */
export const checkBakongId = checkAccountId;
export const checkMerchantName = checkKhqrText(KHQR_LIMITS.merchantName);

/** The amount on the wire: USD with cents, "10.50". */
export function bakongapiAmount(minor: number): string {
  return formatAmount(minor, 'USD');
}

const enc = encodeURIComponent;

export function createUrl(baseUrl: string, p: { bakongId: string; merchantName: string; amount: string }): string {
  return `${baseUrl}/api/khqr/create?bakong_id=${enc(p.bakongId)}&merchantname=${enc(p.merchantName)}&amount=${enc(p.amount)}`;
}

export function checkUrl(baseUrl: string, p: { md5: string; bakongId: string }): string {
  return `${baseUrl}/api/khqr/check?md5=${enc(p.md5)}&bakong_id=${enc(p.bakongId)}`;
}

const fail = (kind: ProviderErrorKind, message: string) => new ProviderError('bakongapi', kind, message);
const show = (v: unknown, max = 60) => (JSON.stringify(v) ?? String(v)).slice(0, max);

/** The service's own words when it refuses (`message` or `error`), for the problem detail. */
function refusal(body: Record<string, unknown>): string {
  const text = [body.message, body.error, body.detail].find((v) => typeof v === 'string' && v) as string | undefined;
  return text ? `: ${text.slice(0, 200)}` : '';
}

export interface CreatedKhqr {
  khqrString: string;
  md5: string;
  /** The earlier of 15 minutes from creation (now) and the KHQR's own expiration timestamp, if any. */
  expiresAt: Date;
}

/** create's JSON -> a checked KHQR, or a ProviderError (502: nothing is created). */
export function parseCreateResponse(
  body: Record<string, unknown>,
  httpStatus: number,
  expected: { bakongId: string; amountMinor: number },
  now: Date,
): CreatedKhqr {
  if (body.success === false) throw fail('rejected', `create refused (HTTP ${httpStatus})${refusal(body)}`);
  if (httpStatus >= 400) throw fail('rejected', `create answered HTTP ${httpStatus}${refusal(body)}`);
  const { khqrString, md5 } = body;
  if (typeof khqrString !== 'string' || !khqrString) throw fail('bad_response', 'create answered without a khqrString');
  if (typeof md5 !== 'string' || !/^[0-9a-fA-F]{32}$/.test(md5)) throw fail('bad_response', `create answered an unusable md5 ${show(md5)}`);
  if (!constantTimeEqual(md5Hex(khqrString), md5.toLowerCase())) throw fail('bad_response', 'create answered an md5 that is not the md5 of its khqrString');
  const check = inspectKhqr(khqrString, { accountId: expected.bakongId, amountMinor: expected.amountMinor, currency: 'USD' });
  if (!check.ok) throw fail('bad_response', `create answered a KHQR we cannot hand out: ${check.reason}`);
  const ownExpiry = check.decoded.expiresAt;
  const lifetimeEnd = new Date(now.getTime() + BAKONGAPI_QR_LIFETIME_MS);
  if (ownExpiry && ownExpiry <= now) throw fail('bad_response', `create answered a KHQR that expired at ${ownExpiry.toISOString()}`);
  return { khqrString, md5: md5.toLowerCase(), expiresAt: ownExpiry && ownExpiry < lifetimeEnd ? ownExpiry : lifetimeEnd };
}

/** Every status the document names. Anything else is an error, never "pending". */
export const CHECK_STATUS = { PENDING: 'PENDING', PAID: 'PAID', EXPIRED: 'EXPIRED' } as const;

/** check's JSON -> our outcome. PAID carries the amount the service reports (USD). */
export function parseCheckResponse(body: Record<string, unknown>, httpStatus: number, expected: { bakongId: string }, now: Date): VerifyOutcome {
  if (body.success === false) throw fail('rejected', `check refused (HTTP ${httpStatus})${refusal(body)}`);
  if (body.success !== true) throw fail('bad_response', `check answered HTTP ${httpStatus} without success: true`);
  const raw = typeof body.status === 'string' ? body.status.toUpperCase() : '';
  const status = (CHECK_STATUS as Record<string, (typeof CHECK_STATUS)[keyof typeof CHECK_STATUS]>)[raw];
  if (!status) throw fail('bad_response', `check answered an unknown status ${show(body.status)}`);
  if (body.bakong_id !== undefined && (typeof body.bakong_id !== 'string' || body.bakong_id.toLowerCase() !== expected.bakongId.toLowerCase())) {
    throw fail('bad_response', `check answered for another Bakong account ${show(body.bakong_id, 40)}`);
  }
  if (status === 'PENDING') return { status: 'PENDING' };
  if (status === 'EXPIRED') return { status: 'EXPIRED' };
  if (body.bakong_id === undefined) throw fail('bad_response', 'check answered PAID without bakong_id');
  let paidAmountMinor: number;
  try {
    paidAmountMinor = parseAmount(typeof body.amount === 'number' || typeof body.amount === 'string' ? body.amount : undefined, 'USD', { noMax: true });
  } catch (err) {
    throw fail('bad_response', `check answered PAID with an unusable amount ${show(body.amount)} (${(err as MoneyError).message})`);
  }
  return { status: 'PAID', paidAmountMinor, paidCurrency: 'USD', paidAt: now };
}
