import type { TestApp, TestMerchant } from './test-app';

/** Points a merchant's RaksmeyPay account at this app's sandbox. */
export async function configureRaksmeypay(t: TestApp, m: TestMerchant, profileKey = 'test-profile-key-0001'): Promise<void> {
  const res = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
    token: m.apiKey,
    body: { profile_id: `p-${m.id.slice(-8)}`, profile_key: profileKey, base_url: `${t.url}/sandbox/raksmeypay` },
  });
  if (res.status !== 200) throw new Error(`configure raksmeypay: ${res.status} ${res.text}`);
}
