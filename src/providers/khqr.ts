/**
 * KHQR checks shared by the providers that hand out a KHQR (`bakong` generates it, `bakongapi`
 * receives it from the service). KHQR is the national standard, not one gateway's quirk: every
 * string we give a customer must pass the official SDK's verify() (CRC, tags, expiry) and decode
 * to the account, amount and currency of the order.
 */
import { BakongKHQR, DecodedKhqr } from 'bakong-khqr';
import { Currency, MoneyError, parseAmount } from '../common/money';

/** ISO 4217 numeric codes as KHQR tag 53 carries them. */
export const KHQR_CURRENCY_CODE: Record<Currency, string> = { USD: '840', KHR: '116' };

export interface KhqrExpectation {
  /** Bakong account the money must go to (`name@bank`). */
  accountId: string;
  amountMinor: number;
  currency: Currency;
}

export type KhqrInspection = { ok: true; decoded: DecodedKhqr } | { ok: false; reason: string };

/** verify() + decode() with the official SDK, then the account, amount and currency compared with the order. */
export function inspectKhqr(qr: string, expected: KhqrExpectation): KhqrInspection {
  if (typeof qr !== 'string' || !qr) return { ok: false, reason: 'the KHQR string is empty' };
  let decoded: DecodedKhqr | null;
  try {
    if (!BakongKHQR.verify(qr).isValid) return { ok: false, reason: 'the KHQR string fails the SDK verify() (CRC, tags or expiry)' };
    decoded = BakongKHQR.decode(qr).data;
  } catch {
    return { ok: false, reason: 'the KHQR string cannot be decoded' };
  }
  if (!decoded) return { ok: false, reason: 'the KHQR string cannot be decoded' };
  if ((decoded.bakongAccountID ?? '').toLowerCase() !== expected.accountId.toLowerCase()) {
    return { ok: false, reason: `the KHQR pays ${JSON.stringify(decoded.bakongAccountID)?.slice(0, 40)}, not the configured account` };
  }
  if (decoded.transactionCurrency !== KHQR_CURRENCY_CODE[expected.currency]) {
    return { ok: false, reason: `the KHQR currency is ${JSON.stringify(decoded.transactionCurrency)}, not ${expected.currency}` };
  }
  let minor: number;
  try {
    minor = parseAmount(decoded.transactionAmount ?? undefined, expected.currency, { noMax: true });
  } catch (err) {
    return { ok: false, reason: `the KHQR amount is unusable (${(err as MoneyError).message})` };
  }
  if (minor !== expected.amountMinor) return { ok: false, reason: `the KHQR amount ${decoded.transactionAmount} differs from the order's` };
  return { ok: true, decoded };
}

/** The KHQR's own expiration (tag 99/01, ms since the epoch), when it carries one. */
export function khqrExpiration(decoded: DecodedKhqr): Date | null {
  const raw = decoded.expirationTimestamp;
  if (!raw || !/^\d{13}$/.test(raw)) return null;
  return new Date(Number(raw));
}
