/**
 * KHQR checks shared by the providers that hand out a KHQR (`bakong` generates it, `bakongapi`
 * receives it from the service). KHQR is the national standard, not one gateway's quirk: every
 * string we give a customer must carry a valid CRC and decode to the account, amount and
 * currency of the order.
 *
 * We read the EMV TLV ourselves rather than with the SDK's verify(): verify() also refuses a
 * dynamic KHQR without an expiration timestamp (tag 99/01), which the Bakong KHQR API service's
 * document never promises; what the expiry means is each provider's decision, not the parser's.
 */
import { Currency, MoneyError, parseAmount } from '../common/money';

/** SDK field limits (bakong-khqr emv.INVALID_LENGTH). */
export const KHQR_LIMITS = { accountId: 32, merchantName: 25, merchantCity: 15, merchantId: 32, acquiringBank: 32, billNumber: 25 } as const;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** A Bakong account id (`name@bank`) as a KHQR can carry it; an error message or null. */
export const checkAccountId = (v: unknown): string | null =>
  typeof v === 'string' && /^[^\s@]+@[^\s@]+$/.test(v) && v.length <= KHQR_LIMITS.accountId
    ? null
    : `must be a Bakong account id such as name@bank (at most ${KHQR_LIMITS.accountId} characters)`;

/** A KHQR text field (name, city, bank): printable ASCII, since EMV lengths count bytes and the SDK counts UTF-16 units. */
export const checkKhqrText =
  (max: number) =>
  (v: unknown): string | null =>
    typeof v === 'string' && PRINTABLE_ASCII.test(v) && v.trim() === v && v.length <= max
      ? null
      : `must be 1–${max} printable ASCII characters without leading or trailing spaces`;

/** ISO 4217 numeric codes as KHQR tag 53 carries them. */
export const KHQR_CURRENCY_CODE: Record<Currency, string> = { USD: '840', KHR: '116' };

export interface KhqrExpectation {
  /** Bakong account the money must go to (`name@bank`). */
  accountId: string;
  amountMinor: number;
  currency: Currency;
}

/** What we read from a KHQR (values exactly as written in it). */
export interface DecodedKhqr {
  /** Tag 29 (individual) or 30 (merchant), sub-tag 00. */
  accountId: string;
  /** Tag 53, ISO 4217 numeric. */
  currency: string;
  /** Tag 54. */
  amount: string;
  /** Tag 99 sub-tags 00 and 01 (13-digit ms), when present. */
  createdAt: Date | null;
  expiresAt: Date | null;
}

export type KhqrInspection = { ok: true; decoded: DecodedKhqr } | { ok: false; reason: string };

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over the UTF-8 bytes, as EMV QR tag 63 carries it. */
export function khqrCrc16(data: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(data, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/** EMV TLV (two-digit tag, two-digit length, value) -> tag map; null when malformed or a tag repeats (ambiguous). */
function parseTlv(s: string): Map<string, string> | null {
  const out = new Map<string, string>();
  let i = 0;
  while (i < s.length) {
    const head = s.slice(i, i + 4);
    if (!/^\d{4}$/.test(head)) return null;
    const tag = head.slice(0, 2);
    const length = Number(head.slice(2));
    const value = s.slice(i + 4, i + 4 + length);
    if (value.length !== length || out.has(tag)) return null;
    out.set(tag, value);
    i += 4 + length;
  }
  return out;
}

const timestamp = (raw: string | undefined): Date | null | undefined => (raw === undefined ? null : /^\d{13}$/.test(raw) ? new Date(Number(raw)) : undefined);

/** The KHQR's TLV with its CRC checked; a reason when it is not a KHQR we can read. */
export function decodeKhqr(qr: string): { ok: true; decoded: DecodedKhqr } | { ok: false; reason: string } {
  if (typeof qr !== 'string' || !qr) return { ok: false, reason: 'the KHQR string is empty' };
  // Tag 63 (CRC) must be last, and covers everything before its value, "6304" included.
  const crc = /6304([0-9A-Fa-f]{4})$/.exec(qr);
  if (!crc) return { ok: false, reason: 'the KHQR string does not end with its CRC (tag 63)' };
  if (khqrCrc16(qr.slice(0, -4)) !== crc[1].toUpperCase()) return { ok: false, reason: 'the KHQR CRC does not match its content' };
  const tags = parseTlv(qr.slice(0, -8));
  if (!tags) return { ok: false, reason: 'the KHQR string is not well-formed EMV TLV' };
  if (tags.get('00') !== '01') return { ok: false, reason: 'the KHQR payload format indicator (tag 00) is not 01' };
  if (tags.has('29') === tags.has('30')) return { ok: false, reason: 'the KHQR must carry exactly one account (tag 29 or 30)' };
  const account = parseTlv(tags.get('29') ?? tags.get('30') ?? '');
  const accountId = account?.get('00');
  if (!accountId) return { ok: false, reason: 'the KHQR account (tag 29/30) has no Bakong account id' };
  const currency = tags.get('53');
  const amount = tags.get('54');
  if (!currency || !amount) return { ok: false, reason: 'the KHQR carries no currency (tag 53) or amount (tag 54)' };
  const validity = tags.has('99') ? parseTlv(tags.get('99')!) : new Map<string, string>();
  const createdAt = timestamp(validity?.get('00'));
  const expiresAt = timestamp(validity?.get('01'));
  if (!validity || createdAt === undefined || expiresAt === undefined) return { ok: false, reason: 'the KHQR timestamps (tag 99) are unreadable' };
  return { ok: true, decoded: { accountId, currency, amount, createdAt, expiresAt } };
}

/** decodeKhqr(), then the account, amount and currency compared with the order. */
export function inspectKhqr(qr: string, expected: KhqrExpectation): KhqrInspection {
  const read = decodeKhqr(qr);
  if (!read.ok) return read;
  const decoded = read.decoded;
  if (decoded.accountId.toLowerCase() !== expected.accountId.toLowerCase()) {
    return { ok: false, reason: `the KHQR pays ${JSON.stringify(decoded.accountId).slice(0, 40)}, not the configured account` };
  }
  if (decoded.currency !== KHQR_CURRENCY_CODE[expected.currency]) {
    return { ok: false, reason: `the KHQR currency is ${JSON.stringify(decoded.currency)}, not ${expected.currency}` };
  }
  let minor: number;
  try {
    minor = parseAmount(decoded.amount, expected.currency, { noMax: true });
  } catch (err) {
    return { ok: false, reason: `the KHQR amount is unusable (${(err as MoneyError).message})` };
  }
  if (minor !== expected.amountMinor) return { ok: false, reason: `the KHQR amount ${decoded.amount} differs from the order's` };
  return { ok: true, decoded };
}
