import { createHmac } from 'node:crypto';
import { parseAmount } from '../../src/common/money';
import type { TestApp, TestMerchant, TestResponse } from './test-app';

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

/** What PayWay itself has on record for a transaction: the simulator's Check Transaction, signed as the document says. */
export async function checkAtPayway(
  app: { request(method: string, path: string, opts?: { body?: unknown }): Promise<TestResponse> },
  m: TestMerchant,
  tranId: string,
): Promise<{ refund_amount: number; original_amount: number; payment_status_code: number }> {
  const time = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const merchantId = paywayMerchantIdFor(m);
  const hash = createHmac('sha512', PAYWAY_TEST_API_KEY)
    .update(time + merchantId + tranId)
    .digest('base64');
  const res = await app.request('POST', '/sandbox/payway/api/payment-gateway/v1/payments/check-transaction-2', {
    body: { req_time: time, merchant_id: merchantId, tran_id: tranId, hash },
  });
  if (res.json?.status?.code !== '00') throw new Error(`check-transaction-2: ${res.status} ${res.text}`);
  return res.json.data;
}

/** PayWay's refunded total for a USD transaction, in cents (its JSON number read as a decimal, not by float arithmetic). */
export const refundedAtPaywayUsd = async (app: Parameters<typeof checkAtPayway>[0], m: TestMerchant, tranId: string): Promise<number> =>
  parseAmount(String((await checkAtPayway(app, m, tranId)).refund_amount), 'USD', { allowZero: true });
