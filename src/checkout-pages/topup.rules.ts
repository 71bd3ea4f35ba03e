import { MoneyError, parseAmount } from '../common/money';
import { TOPUP_CURRENCY } from '../fulfillment/topup-bounds';
import type { StringKey } from './i18n';

/** metadata.source of orders the top-up widget creates; the fulfillment ledger credits only these. */
export const TOPUP_SOURCE = 'smm_topup';
export { TOPUP_CURRENCY, TOPUP_DEFAULT_MAX_MINOR, TOPUP_DEFAULT_MIN_MINOR } from '../fulfillment/topup-bounds';

export function isTopupOrder(metadata: Record<string, unknown> | null | undefined): boolean {
  return !!metadata && metadata.source === TOPUP_SOURCE && typeof metadata.smm_user === 'string';
}

/** What the customer's browser sends. The bounds are not among them: they are the merchant's panel settings. */
export interface TopupParams {
  amount?: unknown;
  u?: unknown;
  e?: unknown;
}

/** The merchant's bounds, from its SMM panel settings (validated there: 0 < min ≤ max). */
export interface TopupBounds {
  minMinor: number;
  maxMinor: number;
}

export interface TopupMessage {
  key: StringKey;
  vars?: Record<string, string>;
}

export interface TopupValidation {
  /** The widget cannot be used at all (no user, or one that cannot be read): a message and no form. */
  fatal: TopupMessage | null;
  /** The amount is missing, malformed or out of range: a message beside the field. */
  amountError: TopupMessage | null;
  minMinor: number;
  maxMinor: number;
  amountMinor: number | null;
  user: string;
  email: string | null;
}

const USERNAME = /^[\p{L}\p{N}_.@+-]{1,100}$/u;
const EMAIL = /^[^\s@<>"']{1,64}@[^\s@<>"']{1,188}\.[^\s@<>"']{1,60}$/;

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[v.length - 1] === 'string' ? String(v[v.length - 1]).trim() : undefined;

function money(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  try {
    return parseAmount(v, TOPUP_CURRENCY);
  } catch (err) {
    if (err instanceof MoneyError) return NaN;
    throw err;
  }
}

/**
 * The widget's inputs (amount, u, e) against the merchant's bounds. Pure: the same rules
 * answer the GET (render) and the POST (create), so nothing invalid ever becomes an order.
 * `requireAmount` is false on GET, where `amount` is only the pre-filled suggestion.
 */
export function validateTopup(p: TopupParams, bounds: TopupBounds, requireAmount: boolean, show: (minor: number) => string): TopupValidation {
  const { minMinor, maxMinor } = bounds;
  const user = text(p.u) ?? '';
  const emailText = text(p.e) ?? '';
  const out: TopupValidation = { fatal: null, amountError: null, minMinor, maxMinor, amountMinor: null, user, email: EMAIL.test(emailText) ? emailText : null };
  if (!user) out.fatal = { key: 'topupNoUser' };
  else if (!USERNAME.test(user)) out.fatal = { key: 'topupBadUser' };
  if (out.fatal) return out;

  const amountText = text(p.amount);
  const amount = money(amountText);
  const range = { min: show(minMinor), max: show(maxMinor) };
  if (amount === null) {
    if (requireAmount) out.amountError = { key: 'topupOutOfRange', vars: range };
  } else if (Number.isNaN(amount)) {
    out.amountError = { key: 'topupBadAmount' };
  } else if (amount < minMinor || amount > maxMinor) {
    out.amountError = { key: 'topupOutOfRange', vars: range };
  } else {
    out.amountMinor = amount;
  }
  return out;
}

/** Up to four round amounts inside [min, max] offered as one-tap choices when the merchant set no presets. */
export function quickAmounts(minMinor: number, maxMinor: number): number[] {
  return [500, 1000, 2000, 5000, 10000, 20000, 50000].filter((a) => a >= minMinor && a <= maxMinor).slice(0, 4);
}
