import { PAYWAY_SANDBOX_RSA_PUBLIC_KEY } from '../providers/payway/payway-sandbox-key';
import type { ProviderCredentials, ProviderId } from '../providers/provider';

/**
 * The demo merchant's gateway accounts, all pointing at the sandbox: one per gateway (a gateway
 * without one does not compile), each of that gateway's account type. Secrets here are demo
 * values the sandbox reads back from the database like a gateway's back office would.
 */
export const DEMO_ACCOUNTS: { [Id in ProviderId]: (sandboxBase: string) => ProviderCredentials<Id> } = {
  raksmeypay: (base) => ({ profile_id: 'demo-raksmeypay', profile_key: 'demo-raksmeypay-profile-key', base_url: `${base}/raksmeypay` }),
  ahnajak: (base) => ({ profile_id: 'demo-ahnajak', secret_key: 'demo-ahnajak-secret-key', base_url: `${base}/ahnajak` }),
  // client_base_url is "your site" as registered with the gateway: the orchestrator's own URL.
  checkout: (base) => ({ api_key: 'demo-checkout-api-key', client_base_url: base.replace(/\/sandbox$/, ''), base_url: `${base}/checkout` }),
  bakongapi: (base) => ({ bakong_id: 'demo_shop@devb', merchant_name: 'Demo Shop', base_url: `${base}/bakongapi` }),
  bakong: (base) => ({
    account_id: 'demo_shop@devb',
    merchant_name: 'Demo Shop',
    merchant_city: 'Phnom Penh',
    token: 'demo-bakong-open-api-token',
    base_url: `${base}/bakong`,
  }),
  // rsa_public_key: the public half the PayWay simulator serves at /sandbox/payway/rsa-public-key (a published test key).
  payway: (base) => ({ merchant_id: 'demo-payway', api_key: 'demo-payway-api-key', rsa_public_key: PAYWAY_SANDBOX_RSA_PUBLIC_KEY, base_url: `${base}/payway` }),
};
