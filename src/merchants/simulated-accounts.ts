import { randomBytes } from 'node:crypto';
import { randomToken } from '../common/crypto';
import type { ProviderCredentials, ProviderId } from '../providers/provider';

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
    rsa_public_key: PAYWAY_SIMULATOR_RSA_PUBLIC_KEY,
    base_url: `${base}/payway`,
  }),
};

/**
 * The public half of the PayWay simulator's published RSA key pair (served at GET /sandbox/payway/rsa-public-key), which a
 * simulated account registers for refunds the way a merchant copies ABA's key from its back office. A copy, not an import:
 * no product module imports the sandbox. test/test-mode.e2e-spec.ts refunds through a simulated account, which fails if they differ.
 */
export const PAYWAY_SIMULATOR_RSA_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA00wRpPYBT9s/5+beeZsZ
0FjQ1E4eelW+PUe1bFH3oQCLaI//KZzCb5a+RQc4l+xNFr/jmWPBcsuerENoW2Jn
WC1Ut5VbCBXAlFeoWjjX5506HEelulvlmEEJSEXxaGh21rCxqHBshZ/YBBdNQePo
kb+AcytGMEQ81BqT6TNv5oOEq9pOkeRknC5sL8OewPuTIDv7IACKYzc4SqVNcNb6
Do4hW8VMYFDeVkq83nkxl802XK+TvJrxuQvWIICAYza946wIo897IZqAemeXD2mA
+Zj6xJFpx7XcYJzS4UbqH+vI3hZ1zu+zSWeY7rgc4tXAzHn4/OkQIZNrOFvdO6ce
fQIDAQAB
-----END PUBLIC KEY-----
`;

/** Lower-case letters and digits only (Bakong ids accept nothing else before the @). */
const hex = (): string => randomBytes(6).toString('hex');
