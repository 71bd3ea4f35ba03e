/**
 * Every Ahnajak (ABA Pay) quirk lives here (seed 001).
 *
 * - Checkout is a signed redirect URL, built as the document's aba_checkout.php builds it:
 *   `{base_url}/api/payment/requestv2/{profile_id}?` + http_build_query(transaction_id, amount,
 *   success_url, remark, hash) with hash = sha256(profile_id . transaction_id . amount . secret_key).
 *   The amount is PHP's string form of a float ("12.5", "10", "0.01"): the same string in the
 *   hash and in the query. success_url is encoded once (by http_build_query).
 * - transaction_id is our numeric transaction number.
 * - Webhook: POST application/json with header X-Ahnajak-Signature = hex hmac-sha256(secret_key,
 *   raw body bytes), and a payload field hash = sha256(transaction_id . amount . secret_key), where
 *   each value is PHP's string form of what json_decode returned (a JSON string as is, a number
 *   as PHP prints it, true "1", null/missing ""). The amount string is hashed exactly as received:
 *   the template sends "12.50", but "12.5" or a bare number must verify the same way PHP does.
 *   `status: "SUCCESS"` is the only status the document names.
 * - A merchant may configure a custom payload template in Ahnajak's dashboard (e.g. order_id,
 *   paid_amount, payment_status, signature): the account's payload_template maps their field
 *   names back to ours, and verification reads those names instead.
 * - The customer's return to success_url (success_hash, success_time, success_amount) has no
 *   documented formula: it is never evidence of payment.
 * - There is no verify API.
 */
import { constantTimeEqual, hmacSha256Hex, sha256Hex } from '../../common/crypto';
import { Currency, parseAmount } from '../../common/money';
import { phpFloatToString, phpHttpBuildQuery } from '../php-wire';

// PHP's wire formats are shared with RaksmeyPay (one copy, in ../php-wire.ts); the amount and
// urlencode() are this gateway's quirks too, so they are named here as well.
export { phpAmount, phpFloatToString, phpUrlencode } from '../php-wire';

export const AHNAJAK_DEFAULT_BASE_URL = 'https://abapay.kesor.cam';
export const AHNAJAK_SIGNATURE_HEADER = 'x-ahnajak-signature';
/** A webhook body is four short fields; anything this large is not one. */
export const AHNAJAK_WEBHOOK_MAX_BYTES = 16 * 1024;

export interface CheckoutUrlInput {
  baseUrl: string;
  profileId: string;
  secretKey: string;
  transactionId: string;
  amount: string;
  successUrl: string;
  remark: string;
}

export function requestHash(i: Pick<CheckoutUrlInput, 'profileId' | 'transactionId' | 'amount' | 'secretKey'>): string {
  return sha256Hex(i.profileId + i.transactionId + i.amount + i.secretKey);
}

/** The signed requestv2 URL, byte for byte what aba_checkout.php produces. */
export function checkoutUrl(i: CheckoutUrlInput): string {
  const params: [string, string][] = [
    ['transaction_id', i.transactionId],
    ['amount', i.amount],
    ['success_url', i.successUrl],
    ['remark', i.remark],
    ['hash', requestHash(i)],
  ];
  // The document appends profile_id to the path as is; credentialFields keeps it URL-safe.
  return `${i.baseUrl}/api/payment/requestv2/${i.profileId}?${phpHttpBuildQuery(params)}`;
}

/** Shown on the customer's receipt: the merchant's reference, kept short. */
export function remarkFor(reference: string): string {
  return reference.slice(0, 100);
}

// ---------------------------------------------------------------------------------------------
// PHP's json_decode($raw, true) and string conversion, so the payload hash is computed over the
// same string PHP would concatenate.

class PhpInt {
  constructor(readonly digits: string) {}
}
class PhpFloat {
  constructor(readonly value: number) {}
}
class PhpArray {
  constructor(readonly entries: Map<string, PhpValue>) {}
}
type PhpValue = null | boolean | string | PhpInt | PhpFloat | PhpArray;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** json_decode's default $depth is 512, which (counting the innermost scalar level) allows 511 nested arrays/objects. */
const PHP_JSON_MAX_NESTING = 511;

class JsonSyntaxError extends Error {}
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** json_decode($text, true): null when PHP's decoder would fail (syntax, depth, invalid UTF-8, lone surrogate). */
export function phpJsonDecode(raw: Buffer): PhpValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return null;
  }
  let pos = 0;
  const ws = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos++;
  };
  const fail = (): never => {
    throw new JsonSyntaxError();
  };
  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    for (;;) {
      if (pos >= text.length) fail();
      const ch = text[pos++];
      if (ch === '"') return out;
      if (ch === '\\') {
        const esc = text[pos++];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (esc in simple) out += simple[esc];
        else if (esc === 'u') {
          const unit = () => {
            const hex = text.slice(pos, pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
            pos += 4;
            return parseInt(hex, 16);
          };
          const code = unit();
          if (code >= 0xd800 && code <= 0xdbff) {
            // PHP refuses an unpaired surrogate (JSON_ERROR_UTF16).
            if (text.slice(pos, pos + 2) !== '\\u') fail();
            pos += 2;
            const low = unit();
            if (low < 0xdc00 || low > 0xdfff) fail();
            out += String.fromCharCode(code, low);
          } else if (code >= 0xdc00 && code <= 0xdfff) fail();
          else out += String.fromCharCode(code);
        } else fail();
      } else if (ch < ' ') fail();
      else out += ch;
    }
  };
  const parseValue = (depth: number): PhpValue => {
    ws();
    const ch = text[pos];
    if (ch === '{' || ch === '[') {
      if (depth >= PHP_JSON_MAX_NESTING) fail();
      const close = ch === '{' ? '}' : ']';
      const entries = new Map<string, PhpValue>();
      pos++;
      ws();
      if (text[pos] === close) {
        pos++;
        return new PhpArray(entries);
      }
      for (let index = 0; ; index++) {
        ws();
        let key = String(index);
        if (ch === '{') {
          if (text[pos] !== '"') fail();
          key = parseString();
          ws();
          if (text[pos++] !== ':') fail();
        }
        const value = parseValue(depth + 1);
        entries.delete(key); // a repeated key takes the last value, as in PHP
        entries.set(key, value);
        ws();
        const sep = text[pos++];
        if (sep === close) return new PhpArray(entries);
        if (sep !== ',') fail();
      }
    }
    if (ch === '"') return parseString();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (!m) fail();
    pos += m![0].length;
    if (!m![1] && !m![2]) {
      const n = BigInt(m![0]);
      if (n >= INT64_MIN && n <= INT64_MAX) return new PhpInt(n.toString());
    }
    return new PhpFloat(Number(m![0]));
  };
  try {
    const value = parseValue(0);
    ws();
    if (pos !== text.length) return null;
    return value;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return null;
    throw err;
  }
}

/** `"" . $value` in PHP. */
function phpString(v: PhpValue): string {
  if (v === null || v === false) return '';
  if (v === true) return '1';
  if (typeof v === 'string') return v;
  if (v instanceof PhpInt) return v.digits;
  if (v instanceof PhpFloat) return phpFloatToString(v.value);
  return 'Array';
}

// ---------------------------------------------------------------------------------------------
// The webhook.

export const TEMPLATE_VARIABLES = ['transaction_id', 'amount', 'status', 'hash'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
/** Where each of our four values sits in the body: the document's default names unless a template renames them. */
export type FieldNames = Record<TemplateVariable, string>;
export const DEFAULT_FIELD_NAMES: FieldNames = { transaction_id: 'transaction_id', amount: 'amount', status: 'status', hash: 'hash' };

/** A custom payload template as stored on the account: each of the merchant's field names mapped to one of our variables. */
export type PayloadTemplate = Record<string, string>;

const normalizeVariable = (value: string) => value.trim().replace(/^\{\{\s*(.*?)\s*\}\}$/, '$1');

/** Checks a payload_template (their field -> one of our four variables, "amount" or "{{amount}}"); an error message or null. */
export function checkPayloadTemplate(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'must be an object';
  const seen = new Map<string, string>();
  for (const [field, variable] of Object.entries(value as Record<string, unknown>)) {
    if (!field) return 'field names must not be empty';
    const v = normalizeVariable(String(variable));
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(v))
      return `"${field}" maps to "${String(variable).slice(0, 40)}"; use one of ${TEMPLATE_VARIABLES.join(', ')}`;
    if (seen.has(v)) return `${v} is mapped twice ("${seen.get(v)}" and "${field}")`;
    seen.set(v, field);
  }
  const missing = TEMPLATE_VARIABLES.filter((v) => !seen.has(v));
  return missing.length ? `must map a field to each of ${TEMPLATE_VARIABLES.join(', ')} (missing ${missing.join(', ')})` : null;
}

/** The body's field names for an account: the template's, else the document's defaults. */
export function fieldNames(template: unknown): FieldNames {
  if (!template || typeof template !== 'object' || checkPayloadTemplate(template)) return DEFAULT_FIELD_NAMES;
  const names = { ...DEFAULT_FIELD_NAMES };
  for (const [field, variable] of Object.entries(template as Record<string, string>)) names[normalizeVariable(variable) as TemplateVariable] = field;
  return names;
}

export type WebhookVerification =
  | { ok: true; transactionId: string; amount: string; amountValue: PhpValue; status: PhpValue }
  | { ok: false; code: 'invalid_signature' | 'hash_mismatch' | 'malformed_payload'; detail: string };

/**
 * webhook_receiver.php, step for step, in constant time: the header HMAC over the raw bytes,
 * then the payload hash over PHP's string forms. It accepts exactly what the PHP accepts (see
 * golden/webhook-verdicts.vectors.json); what the PHP then does with the values (status, amount,
 * which order) is judged by interpretWebhook.
 */
export function verifyWebhook(raw: Buffer, signatureHeader: string | undefined, secret: string, names: FieldNames = DEFAULT_FIELD_NAMES): WebhookVerification {
  if (!constantTimeEqual(hmacSha256Hex(secret, raw), signatureHeader ?? '')) {
    return { ok: false, code: 'invalid_signature', detail: 'X-Ahnajak-Signature is not the HMAC-SHA256 of the body with this account’s secret_key' };
  }
  const data = phpJsonDecode(raw);
  // PHP dies with a TypeError when it indexes a string; every other non-array reads as null.
  if (typeof data === 'string') return { ok: false, code: 'malformed_payload', detail: 'the body is a JSON string, not an object' };
  const get = (name: string): PhpValue => (data instanceof PhpArray ? (data.entries.get(name) ?? null) : null);
  const transactionId = phpString(get(names.transaction_id));
  const amountValue = get(names.amount);
  const amount = phpString(amountValue);
  const given = get(names.hash);
  const expected = sha256Hex(transactionId + amount + secret);
  if (typeof given !== 'string' || !constantTimeEqual(given, expected)) {
    return { ok: false, code: 'hash_mismatch', detail: `${names.hash} is not sha256(${names.transaction_id} . ${names.amount} . secret_key)` };
  }
  return { ok: true, transactionId, amount, amountValue, status: get(names.status) };
}

export type WebhookPayment =
  | { ok: true; transactionNumber: string; paidAmountMinor: number }
  | { ok: false; status: 400 | 422; code: 'missing_fields' | 'unknown_status' | 'bad_amount' | 'bad_transaction_id'; detail: string };

/** Every status the document names. Anything else is an error, never "pending". */
const WEBHOOK_STATUS: Record<string, 'PAID'> = { SUCCESS: 'PAID' };

/** What a verified webhook says happened, or why it cannot be acted on. */
export function interpretWebhook(v: Extract<WebhookVerification, { ok: true }>, currency: Currency, names: FieldNames = DEFAULT_FIELD_NAMES): WebhookPayment {
  const missing: TemplateVariable[] = [];
  if (v.transactionId === '') missing.push('transaction_id');
  if (v.amountValue === null) missing.push('amount');
  if (v.status === null) missing.push('status');
  if (missing.length) return { ok: false, status: 400, code: 'missing_fields', detail: `missing ${missing.map((k) => names[k]).join(', ')}` };
  if (typeof v.status !== 'string' || !WEBHOOK_STATUS[v.status]) {
    return {
      ok: false,
      status: 422,
      code: 'unknown_status',
      detail: `${names.status} ${JSON.stringify(typeof v.status === 'string' ? v.status.slice(0, 40) : phpString(v.status))} is not one Ahnajak documents (SUCCESS)`,
    };
  }
  if (!/^\d{1,18}$/.test(v.transactionId))
    return { ok: false, status: 400, code: 'bad_transaction_id', detail: `${names.transaction_id} is not one of our transaction numbers` };
  if (typeof v.amountValue !== 'string' && !(v.amountValue instanceof PhpInt) && !(v.amountValue instanceof PhpFloat)) {
    return { ok: false, status: 400, code: 'bad_amount', detail: `${names.amount} is not a decimal amount` };
  }
  let paidAmountMinor: number;
  try {
    paidAmountMinor = parseAmount(v.amount, currency, { noMax: true });
  } catch {
    return { ok: false, status: 400, code: 'bad_amount', detail: `${names.amount} "${v.amount.slice(0, 40)}" is not a decimal amount` };
  }
  return { ok: true, transactionNumber: v.transactionId, paidAmountMinor };
}
