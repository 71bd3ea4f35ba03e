import { createHash, createHmac } from 'node:crypto';
import type { TestResponse } from '../../helpers/test-app';
import { send, SendOptions } from './http';

/** The app under test, in-process (TestApp) or a child process (ChildApp). */
export interface AppLike {
  url: string;
  request(method: string, path: string, opts?: SendOptions): Promise<TestResponse>;
}

export interface Merchant {
  id: string;
  apiKey: string;
}

export interface OrderView {
  id: string;
  reference: string;
  status: string;
  amount: string;
  checkout_url: string;
  transaction: { id: string; provider_reference: string; status: string };
  [k: string]: unknown;
}

/**
 * What the reliability suite needs from each gateway: how to point a merchant's account at
 * the sandbox, and how to obtain the gateway's own notification of a paid order (its signed
 * return, signed webhook or browser return) as a request the test can fire at any moment.
 */
export interface ProviderKit {
  id: string;
  /** Has a verify/check API (POST /verify and the sweeper ask the gateway). */
  verify: boolean;
  /** Has a callback the gateway sends by itself that confirms payment. */
  confirmation: 'signed_return' | 'signed_webhook' | 'browser_return' | null;
  currency: 'USD' | 'KHR';
  configure(app: AppLike, m: Merchant, secret?: string): Promise<void>;
  /**
   * After the customer paid in the sandbox: the gateway's notification, ready to fire. Null
   * when the gateway has none (confirmation only by its API).
   */
  capture?(app: AppLike, order: OrderView, m: Merchant): Promise<() => Promise<TestResponse>>;
}

async function mustPut(app: AppLike, m: Merchant, provider: string, body: Record<string, unknown>): Promise<void> {
  const res = await app.request('PUT', `/v1/provider-accounts/${provider}`, { token: m.apiKey, body });
  if (res.status !== 200) throw new Error(`configure ${provider}: ${res.status} ${res.text}`);
}

export const raksmeypay: ProviderKit = {
  id: 'raksmeypay',
  verify: true,
  confirmation: 'signed_return',
  currency: 'USD',
  configure: (app, m, secret = 'rk-reliability-key-0001') =>
    mustPut(app, m, 'raksmeypay', { profile_id: `p-${m.id.slice(-8)}`, profile_key: secret, base_url: `${app.url}/sandbox/raksmeypay` }),
  // Once paid, the gateway's page sends the browser straight back with a signed return (302).
  async capture(_app, order) {
    const page = await send(order.checkout_url, 'GET');
    const location = page.headers.get('location');
    if (page.status !== 302 || !location) throw new Error(`raksmeypay page after payment: ${page.status} ${page.text.slice(0, 200)}`);
    return () => send(location, 'GET');
  },
};

/** The secret each test merchant's Ahnajak account is configured with (the test plays the gateway's dashboard). */
export const ahnajakSecret = (m: Merchant) => `aj-secret-${m.id.slice(-12)}`;

/**
 * Ahnajak's webhook as its document defines it, written here from the document (not from the
 * provider code): header X-Ahnajak-Signature = hex HMAC-SHA256(secret, raw body), payload hash =
 * sha256(transaction_id . amount . secret).
 */
export function ahnajakWebhook(
  m: Merchant,
  providerReference: string,
  amount: string,
  secret = ahnajakSecret(m),
): { path: string; rawBody: string; headers: Record<string, string> } {
  const hash = createHash('sha256')
    .update(providerReference + amount + secret)
    .digest('hex');
  const rawBody = JSON.stringify({ transaction_id: providerReference, amount, status: 'SUCCESS', hash });
  return {
    path: `/callbacks/ahnajak/${m.id}`,
    rawBody,
    headers: { 'content-type': 'application/json', 'x-ahnajak-signature': createHmac('sha256', secret).update(rawBody).digest('hex') },
  };
}

export const ahnajak: ProviderKit = {
  id: 'ahnajak',
  verify: false,
  confirmation: 'signed_webhook',
  currency: 'USD',
  configure: (app, m, secret = ahnajakSecret(m)) =>
    mustPut(app, m, 'ahnajak', { profile_id: `aj-${m.id.slice(-10)}`, secret_key: secret, base_url: `${app.url}/sandbox/ahnajak` }),
  // The sandbox sends its webhook while the payment is made; the test fires the same signed webhook itself, when it chooses.
  async capture(app, order, m) {
    const hook = ahnajakWebhook(m, order.transaction.provider_reference, order.amount);
    return () => app.request('POST', hook.path, { rawBody: hook.rawBody, headers: hook.headers });
  },
};

export const checkout: ProviderKit = {
  id: 'checkout',
  verify: false,
  confirmation: 'browser_return',
  currency: 'USD',
  configure: (app, m, secret = `ck-key-${m.id}`) =>
    mustPut(app, m, 'checkout', { api_key: secret, client_base_url: 'https://shop.example.com/api', base_url: `${app.url}/sandbox/checkout` }),
  // Once paid, opening payment_url again sends the browser to our single-use return URL with the gateway's transaction_id.
  async capture(_app, order) {
    const page = await send(order.checkout_url, 'GET');
    const location = page.headers.get('location');
    if (page.status !== 302 || !location) throw new Error(`checkout page after payment: ${page.status} ${page.text.slice(0, 200)}`);
    return () => send(location, 'GET');
  },
};

const bakongId = (m: Merchant) => `rel_${m.id.slice(-10).toLowerCase()}@devb`;

export const bakongapi: ProviderKit = {
  id: 'bakongapi',
  verify: true,
  confirmation: null,
  currency: 'USD',
  configure: (app, m) => mustPut(app, m, 'bakongapi', { bakong_id: bakongId(m), merchant_name: 'Reliability Shop', base_url: `${app.url}/sandbox/bakongapi` }),
};

export const bakong: ProviderKit = {
  id: 'bakong',
  verify: true,
  confirmation: null,
  currency: 'USD',
  configure: (app, m, secret = `tok-${m.id}`) =>
    mustPut(app, m, 'bakong', {
      account_id: bakongId(m),
      merchant_name: 'Reliability Shop',
      merchant_city: 'Phnom Penh',
      token: secret,
      base_url: `${app.url}/sandbox/bakong`,
    }),
};

/**
 * ABA PayWay: its pushback is unsigned and only makes the orchestrator ask Check Transaction, so it confirms nothing
 * by itself (confirmation null): while the API is broken, the pushback the sandbox sends on payment changes nothing.
 */
export const payway: ProviderKit = {
  id: 'payway',
  verify: true,
  confirmation: null,
  currency: 'USD',
  configure: (app, m, secret = `pw-key-${m.id}`) =>
    mustPut(app, m, 'payway', { merchant_id: `rel-${m.id.slice(-12)}`, api_key: secret, base_url: `${app.url}/sandbox/payway` }),
};

/** Every provider kit, keyed by id. */
export const KITS: Record<string, ProviderKit> = { raksmeypay, ahnajak, checkout, bakongapi, bakong, payway };
export const ALL_PROVIDERS = Object.keys(KITS);

export async function createOrder(
  app: AppLike,
  m: Merchant,
  provider: string,
  reference: string,
  amount = '12.50',
  extra: Record<string, unknown> = {},
): Promise<OrderView> {
  const res = await app.request('POST', '/v1/orders', {
    token: m.apiKey,
    body: { provider, amount, reference, currency: KITS[provider]?.currency ?? 'USD', ...extra },
  });
  if (res.status !== 201) throw new Error(`create ${provider} order: ${res.status} ${res.text}`);
  return res.json as OrderView;
}

export async function sandboxPay(app: AppLike, order: OrderView, provider: string, amount?: string): Promise<TestResponse> {
  const res = await app.request('POST', '/sandbox/control/pay', {
    body: { provider, provider_reference: order.transaction.provider_reference, ...(amount ? { amount } : {}) },
  });
  if (res.status !== 200) throw new Error(`sandbox pay ${provider}: ${res.status} ${res.text}`);
  return res;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}
