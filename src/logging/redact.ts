/**
 * Secret scrubbing for log lines. pino's path-based `redact` covers the request/response
 * headers pino-http logs; this covers everything else a developer might pass to a logger:
 * objects with secret-named keys at any depth, and strings that contain a key or token.
 *
 * It runs on every argument of every log call, so it is copy-on-write: a value with nothing
 * to redact comes back as the same reference without a single allocation, and a cheap
 * pre-check (one case-insensitive scan for the words every pattern needs) keeps the four
 * replacing patterns off ordinary strings and keys.
 */
export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets wherever they appear (compared case-insensitively, `-` and `_` alike). */
const SECRET_KEYS = new Set(
  [
    'authorization',
    'proxy_authorization',
    'cookie',
    'set_cookie',
    'x_api_key',
    'api_key',
    'apikey',
    'profile_key',
    'secret_key',
    'secret',
    'client_secret',
    'signing_secret',
    'webhook_secret',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'password',
    'passwd',
    'private_key',
    'encryption_key',
    'admin_token',
    'credentials',
    'credentials_sealed',
    'key_hash',
  ].map((k) => k.replace(/_/g, '')),
);

/** Every name in SECRET_KEYS contains one of these words; a key without any cannot be secret. */
const SECRET_KEY_HINT = /auth|cookie|key|secret|token|passw|credential/i;

const normaliseKey = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_HINT.test(key) && SECRET_KEYS.has(normaliseKey(key));
}

/**
 * Recognisable secrets inside free text: our API keys (sk_), admin tokens (adm_), webhook
 * secrets (whsec_), bearer credentials, and `name=value` pairs with a secret name (query strings, form bodies).
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(sk|adm|whsec)_[A-Za-z0-9+/=_-]{6,}/g, `$1_${REDACTED}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  [/\b(profile_key|secret_key|api_key|apikey|token|password|secret|signing_secret|client_secret)=([^&\s"']+)/gi, `$1=${REDACTED}`],
  [/"(profile_key|secret_key|api_key|token|password|secret|signing_secret|client_secret)"\s*:\s*"[^"]*"/gi, `"$1":"${REDACTED}"`],
  // Telegram bot tokens ("123456789:AA…"), which the Bot API carries in its URL path (/bot<token>/sendMessage).
  [/(?<![0-9])\d{3,20}:[A-Za-z0-9_-]{20,}/g, REDACTED],
];

/** Text none of SECRET_PATTERNS can match: each needs one of these (every name in patterns 3–4 contains key, token, password or secret). */
const SECRET_TEXT_HINT = /sk_|adm_|whsec_|bearer|basic|key|token|password|secret|\d:[A-Za-z0-9_-]{20}/i;

export function scrubString(text: string): string {
  if (!SECRET_TEXT_HINT.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 8;

/**
 * `value` with secrets replaced, never modified in place: the same reference when there is
 * nothing to replace, else a copy. Plain objects, arrays and Errors are walked (to a bounded
 * depth, cycle-safe); other objects (Buffers, class instances pino serialises itself) are
 * passed through untouched.
 */
export function scrubSecrets(value: unknown, depth = 0, seen?: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[depth limit]';
  seen ??= new WeakSet();
  if (seen.has(value)) return '[circular]';
  if (Array.isArray(value)) {
    seen.add(value);
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const next = scrubSecrets(v, depth + 1, seen);
      if (next !== v) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  if (value instanceof Error) {
    seen.add(value);
    const out: Record<string, unknown> = { type: value.name, message: scrubString(value.message) };
    if (value.stack) out.stack = scrubString(value.stack);
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : scrubSecrets(v, depth + 1, seen);
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const source = value as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(source)) {
    const v = source[k];
    const next = isSecretKey(k) && v !== null && v !== undefined && v !== '' ? REDACTED : scrubSecrets(v, depth + 1, seen);
    if (next !== v) (out ??= copyOwn(source))[k] = next;
  }
  return out ?? value;
}

/** A plain copy of an object's own enumerable string keys (what the walk above visits). */
function copyOwn(source: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(source)) copy[k] = source[k];
  return copy;
}
