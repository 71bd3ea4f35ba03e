import type { TestApp, TestMerchant } from './test-app';

/** A merchant's PayWay merchant_id in tests: unique per merchant (the simulator finds accounts by it). */
export const paywayMerchantIdFor = (m: TestMerchant) => `pw-${m.id.slice(-12)}`;
export const PAYWAY_TEST_API_KEY = 'test-payway-api-key-0001';

/** Points a merchant's PayWay account at this app's sandbox, with the sandbox's RSA public key for refunds. */
export async function configurePayway(t: TestApp, m: TestMerchant, apiKey = PAYWAY_TEST_API_KEY): Promise<void> {
  const key = await t.request('GET', '/sandbox/payway/rsa-public-key');
  if (key.status !== 200) throw new Error(`rsa-public-key: ${key.status}`);
  const res = await t.request('PUT', '/v1/provider-accounts/payway', {
    token: m.apiKey,
    body: { merchant_id: paywayMerchantIdFor(m), api_key: apiKey, rsa_public_key: key.text, base_url: `${t.url}/sandbox/payway` },
  });
  if (res.status !== 200) throw new Error(`configure payway: ${res.status} ${res.text}`);
}
