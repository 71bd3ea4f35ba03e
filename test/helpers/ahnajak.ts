import type { TestApp, TestMerchant } from './test-app';

/** Points a merchant's Ahnajak account at this app's sandbox. */
export async function configureAhnajak(
  t: TestApp,
  m: TestMerchant,
  opts: { secretKey: string; profileId?: string; payloadTemplate?: Record<string, string> },
): Promise<{ profileId: string }> {
  const profileId = opts.profileId ?? `aj-${m.id.slice(-10)}`;
  const res = await t.request('PUT', '/v1/provider-accounts/ahnajak', {
    token: m.apiKey,
    body: {
      profile_id: profileId,
      secret_key: opts.secretKey,
      base_url: `${t.url}/sandbox/ahnajak`,
      ...(opts.payloadTemplate ? { payload_template: opts.payloadTemplate } : {}),
    },
  });
  if (res.status !== 200) throw new Error(`configure ahnajak: ${res.status} ${res.text}`);
  return { profileId };
}
