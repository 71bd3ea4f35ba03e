import { randomBytes } from 'node:crypto';
import { randomToken } from '../common/crypto';
import type { ProviderCredentials, ProviderId } from '../providers/provider';
import { PAYWAY_SANDBOX_RSA_PUBLIC_KEY } from '../providers/payway/payway-sandbox-key';

/**
 * The gateway account a test-mode order uses when the merchant has configured none in test mode
 * (docs/test-mode.md): fresh random secrets, registered with the built-in simulator the way a
 * sandbox account is (the simulators read it back from provider_accounts like a gateway's back
 * office). base_url is always the simulator's; ProviderAccountsService forces it on every read, so
 * nothing here or in a merchant's test-mode PUT can point a test order at a real host.
 */
export const SIMULATED_ACCOUNTS: { [Id in ProviderId]: (sandboxBase: string, publicBaseUrl: string) => ProviderCredentials<Id> } = {
  raksmeypay: (base) => ({ profile_id: `test-${randomToken(6)}`, profile_key: randomToken(24), base_url: `${base}/raksmeypay` }),
  ahnajak: (base) => ({ profile_id: `test-${randomToken(6)}`, secret_key: randomToken(24), base_url: `${base}/ahnajak` }),
  checkout: (base, publicBaseUrl) => ({ api_key: randomToken(24), client_base_url: publicBaseUrl, base_url: `${base}/checkout` }),
  bakongapi: (base) => ({ bakong_id: `test_${hex()}@devb`, merchant_name: 'Test Mode Shop', base_url: `${base}/bakongapi` }),
  bakong: (base) => ({
    account_id: `test_${hex()}@devb`,
    merchant_name: 'Test Mode Shop',
    merchant_city: 'Phnom Penh',
    token: randomToken(32),
    base_url: `${base}/bakong`,
  }),
  payway: (base) => ({
    merchant_id: `test-${hex()}`,
    api_key: randomToken(24),
    rsa_public_key: PAYWAY_SANDBOX_RSA_PUBLIC_KEY,
    base_url: `${base}/payway`,
  }),
};

/** Lower-case letters and digits only (Bakong ids accept nothing else before the @). */
const hex = (): string => randomBytes(6).toString('hex');
