import type { TestApp, TestMerchant } from './test-app';

/** Points a merchant's hosted-checkout gateway account (provider `checkout`) at this app's sandbox. */
export async function configureHostedCheckout(t: TestApp, m: TestMerchant, opts: { apiKey: string; clientBaseUrl?: string }): Promise<void> {
  const res = await t.request('PUT', '/v1/provider-accounts/checkout', {
    token: m.apiKey,
    body: { api_key: opts.apiKey, client_base_url: opts.clientBaseUrl ?? 'https://shop.example.com/api', base_url: `${t.url}/sandbox/checkout` },
  });
  if (res.status !== 200) throw new Error(`configure checkout: ${res.status} ${res.text}`);
}
