import type { OutboundRequest, OutboundResponse } from '../common/http/outbound-http';

/**
 * Every wire quirk of the two SMM panels' balance APIs, in one place.
 *
 * PerfectPanel, admin API v2 (header `X-Api-Key`), JSON envelope `{data, error_code, error_message}`
 * where error_code 0 means success:
 * - `POST {api_url}/adminapi/v2/payments/add` body `{username, amount, method, memo}` → `data.payment_id`.
 *   `amount` is a JSON number: we write the decimal string ("12.50") straight into the body as a
 *   number literal, so no float is ever formed on our side.
 * - `GET {api_url}/adminapi/v2/payments?username=…&limit=100` → `data.list` (or `data` as an array)
 *   of payments with `id` and `memo`: the look-up before any retry. Our memo carries the order id.
 *
 * SocPanel, private API (the token is a query parameter):
 * - `GET {api_url}/privateApi/incrementUserBalance?login=…&amount=12.50&token=…` → a JSON object;
 *   one with `error` (or status "error") is a refusal, anything else a success. It has no way to
 *   list past payments, so a call whose outcome is unknown cannot be checked (see classify).
 */

export const PANEL_METHOD = 'KHQR';
export const PANEL_LIST_LIMIT = 100;

/** The memo written with every credit; the look-up finds a past credit by this order id. */
export const memoFor = (orderId: string) => `KHQR top-up ${orderId}`;

/**
 * What one credit call did:
 * - credited: the panel confirmed it.
 * - rejected: the panel certainly did not credit (it answered an explicit error, 4xx, 429, or the
 *   call never left: connection refused, address refused by the SSRF guard).
 * - unknown: it may have credited (timeout, 5xx, a body we cannot read, a connection cut mid-way).
 */
export type CreditOutcome = { kind: 'credited'; paymentId: string | null } | { kind: 'rejected'; message: string } | { kind: 'unknown'; message: string };

export type LookupOutcome = { kind: 'found'; paymentId: string | null } | { kind: 'absent' };

const DECIMAL = /^\d{1,16}(\.\d{1,2})?$/;

function jsonObject(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);
const clip = (s: string) => s.replace(/\s+/g, ' ').slice(0, 200);

export function perfectPanelAddPayment(apiUrl: string, apiKey: string, p: { username: string; amount: string; orderId: string }): OutboundRequest {
  if (!DECIMAL.test(p.amount)) throw new Error(`amount ${p.amount} is not a plain decimal`);
  const body = `{"username":${JSON.stringify(p.username)},"amount":${p.amount},"method":${JSON.stringify(PANEL_METHOD)},"memo":${JSON.stringify(memoFor(p.orderId))}}`;
  return {
    method: 'POST',
    url: `${apiUrl}/adminapi/v2/payments/add`,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json', accept: 'application/json' },
    body,
  };
}

export function perfectPanelListPayments(apiUrl: string, apiKey: string, username: string): OutboundRequest {
  const q = new URLSearchParams({ username, limit: String(PANEL_LIST_LIMIT) });
  return { method: 'GET', url: `${apiUrl}/adminapi/v2/payments?${q}`, headers: { 'x-api-key': apiKey, accept: 'application/json' } };
}

export function socPanelIncrementBalance(apiUrl: string, token: string, p: { username: string; amount: string }): OutboundRequest {
  if (!DECIMAL.test(p.amount)) throw new Error(`amount ${p.amount} is not a plain decimal`);
  const q = new URLSearchParams({ login: p.username, amount: p.amount, token });
  return { method: 'GET', url: `${apiUrl}/privateApi/incrementUserBalance?${q}`, headers: { accept: 'application/json' } };
}

/** Statuses that say the request was not processed at all. */
function notProcessed(status: number): boolean {
  return status === 429 || (status >= 400 && status < 500);
}

export function parsePerfectPanelAdd(res: OutboundResponse): CreditOutcome {
  if (res.status >= 500) return { kind: 'unknown', message: `the panel answered HTTP ${res.status}` };
  const json = jsonObject(res.body);
  if (notProcessed(res.status))
    return { kind: 'rejected', message: `the panel answered HTTP ${res.status}${json?.error_message ? `: ${clip(String(json.error_message))}` : ''}` };
  if (res.status !== 200 && res.status !== 201) return { kind: 'unknown', message: `the panel answered HTTP ${res.status}` };
  if (!json) return { kind: 'unknown', message: 'the panel answered with a body that is not a JSON object' };
  const code = json.error_code;
  if (code === 0 || code === '0') {
    const data = json.data && typeof json.data === 'object' ? (json.data as Record<string, unknown>) : {};
    return { kind: 'credited', paymentId: str(data.payment_id) ?? str(data.id) };
  }
  if (code === undefined || code === null) return { kind: 'unknown', message: 'the panel answered JSON without error_code' };
  return { kind: 'rejected', message: `the panel refused (error_code ${clip(String(code))}): ${clip(String(json.error_message ?? ''))}` };
}

/** The look-up: a past payment of ours is one whose memo carries the order id. Throws when the answer is unusable. */
export function parsePerfectPanelPayments(res: OutboundResponse, orderId: string): LookupOutcome {
  const json = res.status === 200 ? jsonObject(res.body) : null;
  if (!json || !(json.error_code === 0 || json.error_code === '0')) {
    throw new Error(`payments look-up failed: HTTP ${res.status}${json?.error_message ? ` ${clip(String(json.error_message))}` : ''}`);
  }
  const data = json.data as unknown;
  const list = Array.isArray(data)
    ? data
    : data && typeof data === 'object' && Array.isArray((data as Record<string, unknown>).list)
      ? ((data as Record<string, unknown>).list as unknown[])
      : null;
  if (!list) throw new Error('payments look-up failed: no list in the answer');
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const p = item as Record<string, unknown>;
    if (typeof p.memo === 'string' && p.memo.includes(orderId)) return { kind: 'found', paymentId: str(p.id) ?? str(p.payment_id) };
  }
  return { kind: 'absent' };
}

export function parseSocPanelIncrement(res: OutboundResponse): CreditOutcome {
  if (res.status >= 500) return { kind: 'unknown', message: `the panel answered HTTP ${res.status}` };
  const json = jsonObject(res.body);
  if (notProcessed(res.status))
    return { kind: 'rejected', message: `the panel answered HTTP ${res.status}${json?.error ? `: ${clip(String(json.error))}` : ''}` };
  if (res.status !== 200) return { kind: 'unknown', message: `the panel answered HTTP ${res.status}` };
  if (!json) return { kind: 'unknown', message: 'the panel answered with a body that is not a JSON object' };
  if (json.error !== undefined && json.error !== null && json.error !== false)
    return { kind: 'rejected', message: `the panel refused: ${clip(String(json.error))}` };
  if (json.status === 'error' || json.status === 'fail')
    return { kind: 'rejected', message: `the panel refused: ${clip(String(json.message ?? json.status))}` };
  return { kind: 'credited', paymentId: str(json.id) ?? str(json.payment_id) };
}

/** A call that produced no HTTP answer: refused before sending is safe to repeat; anything else may have reached the panel. */
export function transportOutcome(kind: 'timeout' | 'refused' | 'network', message: string): CreditOutcome {
  if (kind === 'refused' || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message)) return { kind: 'rejected', message: `the call did not leave: ${message}` };
  return { kind: 'unknown', message: `${kind}: ${message}` };
}
