/**
 * Money: decimal strings at the edge, integer minor units inside. Never a float.
 * A JSON number is accepted on input only by turning it into its shortest decimal string
 * first (so 12.5 -> "12.5"); anything that is not a plain decimal is refused.
 */
export const CURRENCIES = ['USD', 'KHR'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** KHQR practice: USD has cents, KHR has no minor unit. */
export const CURRENCY_DECIMALS: Record<Currency, number> = { USD: 2, KHR: 0 };

/** Upper bound per order, in minor units (USD 100,000.00; KHR 400,000,000). */
export const MAX_AMOUNT_MINOR: Record<Currency, number> = { USD: 10_000_000, KHR: 400_000_000 };

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && (CURRENCIES as readonly string[]).includes(value);
}

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

const DECIMAL = /^(0|[1-9]\d{0,15})(?:\.(\d{1,20}))?$/;

/** Parses "12.50" (or the JSON number 12.5) into minor units for `currency`. */
export function parseAmount(input: unknown, currency: Currency, opts: { allowZero?: boolean; noMax?: boolean } = {}): number {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new MoneyError('amount must be a finite decimal');
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    throw new MoneyError('amount must be a decimal string such as "12.50"');
  }
  const match = DECIMAL.exec(text);
  if (!match) throw new MoneyError(`amount "${text.slice(0, 40)}" is not a plain positive decimal such as "12.50"`);
  const decimals = CURRENCY_DECIMALS[currency];
  const whole = match[1];
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > decimals) {
    throw new MoneyError(`amount has more than ${decimals} decimal place${decimals === 1 ? '' : 's'} for ${currency}`);
  }
  const minor = Number(whole) * 10 ** decimals + Number(fraction.padEnd(decimals, '0') || '0');
  if (!Number.isSafeInteger(minor)) throw new MoneyError('amount is too large');
  if (minor === 0 && !opts.allowZero) throw new MoneyError('amount must be greater than zero');
  if (!opts.noMax && minor > MAX_AMOUNT_MINOR[currency]) {
    throw new MoneyError(`amount exceeds the maximum of ${formatAmount(MAX_AMOUNT_MINOR[currency], currency)} ${currency}`);
  }
  return minor;
}

/** Minor units -> the API's decimal string: 1250 USD -> "12.50", 5000 KHR -> "5000". */
export function formatAmount(minor: number, currency: Currency): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new MoneyError(`invalid minor amount ${minor}`);
  const decimals = CURRENCY_DECIMALS[currency];
  if (decimals === 0) return String(minor);
  const text = String(minor).padStart(decimals + 1, '0');
  return `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
}

/**
 * The decimal with trailing fractional zeros removed: "12.50" -> "12.5", "10.00" -> "10".
 * This is how PHP prints a float of that value (precision 14) for every amount we allow.
 */
export function formatAmountTrimmed(minor: number, currency: Currency): string {
  const text = formatAmount(minor, currency);
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}
