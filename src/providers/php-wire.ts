/**
 * PHP's wire formats, shared by the gateways whose documents are PHP (RaksmeyPay, Ahnajak): what
 * their hashes and URLs are computed over is what these PHP functions print, byte for byte.
 * One copy each; the golden vectors in each gateway's transformers spec pin them.
 */
import { Currency, formatAmountTrimmed } from '../common/money';

/** The amount as PHP prints a float: trailing zeros dropped ("12.50" -> "12.5", "10.00" -> "10"). */
export function phpAmount(minor: number, currency: Currency): string {
  return formatAmountTrimmed(minor, currency);
}

/** Bytes PHP's urlencode() leaves as they are: A-Z a-z 0-9 _ . - */
const URLENCODE_SAFE = new Uint8Array(256).map((_, b) => (/[A-Za-z0-9_.-]/.test(String.fromCharCode(b)) ? 1 : 0));
const HEX_UPPER = '0123456789ABCDEF';

/** PHP's urlencode(): RFC 1738 style, space as "+", only [A-Za-z0-9_.-] left alone. */
export function phpUrlencode(value: string): string {
  // Byte by byte over the UTF-8, with a lookup table: this runs several times for every order created.
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += URLENCODE_SAFE[byte] ? String.fromCharCode(byte) : byte === 0x20 ? '+' : '%' + HEX_UPPER[byte >> 4] + HEX_UPPER[byte & 15];
  }
  return out;
}

/** PHP's http_build_query() for a flat array of scalars. */
export function phpHttpBuildQuery(params: [string, string][]): string {
  return params.map(([k, v]) => `${phpUrlencode(k)}=${phpUrlencode(v)}`).join('&');
}

/** The exact decimal value of a positive finite double: N x 10^-scale. */
function exactDecimal(x: number): { n: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exp = (biased === 0 ? 1 : biased) - 1075;
  return exp >= 0 ? { n: mantissa << BigInt(exp), scale: 0 } : { n: mantissa * 5n ** BigInt(-exp), scale: -exp };
}

/**
 * PHP 8's string form of a float, as `"" . $float` prints it: 14 significant digits (the
 * `precision` ini default) rounded half-to-even from the exact binary value, trailing zeros
 * dropped, and exponent notation ("1.0E+14", "1.0E-5") below 1e-4 or from 1e14.
 */
export function phpFloatToString(x: number): string {
  if (Number.isNaN(x)) return 'NAN';
  if (!Number.isFinite(x)) return x > 0 ? 'INF' : '-INF';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const sign = x < 0 ? '-' : '';
  const { n, scale } = exactDecimal(Math.abs(x));
  const all = n.toString();
  let exp = all.length - 1 - scale;
  let head = all.slice(0, 14);
  const rest = all.slice(14);
  if (rest && (rest[0] > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || Number(head[head.length - 1]) % 2 === 1)))) {
    head = (BigInt(head) + 1n).toString();
    if (head.length > 14) {
      head = head.slice(0, 14);
      exp += 1;
    }
  }
  const digits = head.replace(/0+$/, '');
  if (exp < -4 || exp >= 14) {
    return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
