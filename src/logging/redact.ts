/**
 * Secret scrubbing for log lines. pino's path-based `redact` covers the request/response
 * headers pino-http logs; this covers everything else a developer might pass to a logger:
 * objects with secret-named keys at any depth, and strings that contain a key or token.
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

const normaliseKey = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(normaliseKey(key));
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
];

export function scrubString(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` with secrets replaced. Plain objects, arrays and Errors are walked (to a
 * bounded depth, cycle-safe); other objects (Buffers, class instances pino serialises itself)
 * are passed through untouched.
 */
export function scrubSecrets(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[depth limit]';
  if (seen.has(value)) return '[circular]';
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => scrubSecrets(v, depth + 1, seen));
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
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== '' ? REDACTED : scrubSecrets(v, depth + 1, seen);
  }
  return out;
}
