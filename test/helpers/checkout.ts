import type { TestApp, TestMerchant } from './test-app';

/** A KHQR account (the Bakong KHQR API service, bakongapi) at this app's sandbox. */
export async function configureKhqrProvider(t: TestApp, m: TestMerchant, merchantName = 'Sokha Coffee'): Promise<void> {
  const res = await t.request('PUT', '/v1/provider-accounts/bakongapi', {
    token: m.apiKey,
    body: { bakong_id: `ck_${m.id.slice(-10).toLowerCase()}@devb`, merchant_name: merchantName, base_url: `${t.url}/sandbox/bakongapi` },
  });
  if (res.status !== 200) throw new Error(`configure bakongapi: ${res.status} ${res.text}`);
}

/** The merchant's SMM panel at this app's sandbox. */
export async function configurePanel(
  t: TestApp,
  m: TestMerchant,
  type: 'perfectpanel' | 'socpanel' = 'perfectpanel',
  extra: Record<string, unknown> = {},
): Promise<string> {
  const apiKey = `${type}-key-${m.id.slice(-12)}`;
  const res = await t.request('PUT', '/v1/smm-panel', {
    token: m.apiKey,
    body: { type, api_url: `${t.url}/sandbox/${type}`, api_key: apiKey, enabled: true, ...extra },
  });
  if (res.status !== 200) throw new Error(`configure panel: ${res.status} ${res.text}`);
  return apiKey;
}

export async function createKhqrOrder(t: TestApp, m: TestMerchant, extra: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/v1/orders', {
    token: m.apiKey,
    body: { provider: 'bakongapi', amount: '12.50', reference: `r-${Math.random().toString(36).slice(2)}`, ...extra },
  });
  if (res.status !== 201) throw new Error(`create order: ${res.status} ${res.text}`);
  return res.json;
}

/** The customer pays at the simulated gateway. */
export async function sandboxPay(t: TestApp, provider: string, providerReference: string): Promise<void> {
  const res = await t.request('POST', '/sandbox/control/pay', { body: { provider, provider_reference: providerReference } });
  if (res.status !== 200) throw new Error(`sandbox pay: ${res.status} ${res.text}`);
}

/** Posts the top-up widget's form the way a browser does (urlencoded), without following the redirect. */
export async function postTopup(t: TestApp, merchantId: string, fields: Record<string, string>) {
  return t.request('POST', `/topup/${merchantId}`, {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}
