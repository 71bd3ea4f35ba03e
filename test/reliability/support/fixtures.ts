import type { Pool } from 'pg';
import { TEST_ADMIN_TOKEN } from '../../helpers/test-app';
import { ALL_PROVIDERS, AppLike, createOrder, KITS, Merchant, OrderView, sandboxPay } from './providers';

/** One merchant with something of everything: every gateway configured, orders in several states, a webhook endpoint, events, deliveries, an SMM panel. */
export interface Tenant extends Merchant {
  name: string;
  orders: OrderView[];
  paid: OrderView[];
  webhookEndpointId: string;
  webhookSecret: string;
  apiKeyIds: string[];
  eventIds: string[];
  deliveryIds: string[];
  /** A manual refund of the paid bakong order (bakong has no refund API). */
  refundIds: string[];
  /** A fixed-amount payment link (its page is public; its id and API views are the merchant's). */
  paymentLinkIds: string[];
  qrTokens: string[];
  /** Secrets configured for the merchant (none may ever come back). */
  secrets: string[];
  /** The secret each gateway account was configured with (profile_key, secret_key, api_key, token). */
  providerSecrets: Record<string, string>;
  /** The merchant's test key (`sk_test_…`) and what it made (docs/test-mode.md): none of it may be reached with a live key, and none of the above with it. */
  testApiKey: string;
  test: TestModeObjects;
}

/** A tenant's test-mode objects: a paid raksmeypay order (simulated account) with a manual refund, a webhook endpoint and its deliveries, a payment link. */
export interface TestModeObjects {
  orderId: string;
  transactionId: string;
  eventIds: string[];
  webhookEndpointId: string;
  deliveryIds: string[];
  refundIds: string[];
  paymentLinkId: string;
  apiKeyId: string;
}

/** The ids of `test` (every one a live key must answer 404 for). */
export const testModeIds = (test: TestModeObjects): string[] => [
  test.orderId,
  test.transactionId,
  ...test.eventIds,
  test.webhookEndpointId,
  ...test.deliveryIds,
  ...test.refundIds,
  test.paymentLinkId,
  test.apiKeyId,
];

async function createTestModeObjects(app: AppLike, db: Pool, m: Merchant, testApiKey: string, name: string, receiverUrl: string): Promise<TestModeObjects> {
  const call = async (method: string, path: string, body: unknown, expected: number) => {
    const res = await app.request(method, path, { token: testApiKey, body });
    if (res.status !== expected) throw new Error(`test mode ${method} ${path}: ${res.status} ${res.text}`);
    return res.json;
  };
  const endpoint = await call('POST', '/v1/webhook-endpoints', { url: `${receiverUrl}/${name}-test` }, 201);
  const order = await call(
    'POST',
    '/v1/orders',
    { provider: 'raksmeypay', amount: '6.25', reference: `${name}-test-paid`, metadata: { note: `${name} test private` } },
    201,
  );
  await sandboxPay(app, order, 'raksmeypay');
  await call('POST', `/v1/orders/${order.id}/verify`, undefined, 200);
  const refund = await call('POST', `/v1/orders/${order.id}/refunds`, { manual: true, amount: '1.00', reason: `${name} test refund` }, 201);
  const link = await call('POST', '/v1/payment-links', { description: `${name} test link`, amount: '2.00', providers: ['raksmeypay'] }, 201);
  const ids = (q: string) => db.query(q, [m.id]).then((r) => r.rows.map((row: { id: string }) => row.id));
  return {
    orderId: order.id,
    transactionId: order.transaction.id,
    eventIds: await ids(`SELECT id FROM events WHERE merchant_id = $1 AND NOT livemode`),
    webhookEndpointId: endpoint.id,
    deliveryIds: await ids(
      `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.merchant_id = $1 AND NOT e.livemode`,
    ),
    refundIds: [refund.id],
    paymentLinkId: link.id,
    apiKeyId: (await ids(`SELECT id FROM api_keys WHERE merchant_id = $1 AND NOT livemode`))[0],
  };
}

export async function createTenant(app: AppLike, db: Pool, name: string, receiverUrl: string): Promise<Tenant> {
  const res = await app.request('POST', '/admin/merchants', { token: TEST_ADMIN_TOKEN, body: { name } });
  if (res.status !== 201) throw new Error(`create merchant: ${res.status} ${res.text}`);
  const m: Merchant = { id: res.json.id, apiKey: res.json.api_key };
  const testApiKey: string = res.json.test_api_key;
  const secrets = [m.apiKey, testApiKey];
  const providerSecrets: Record<string, string> = {};
  for (const id of ALL_PROVIDERS) {
    const secret = `${id}-secret-${m.id.slice(-12)}`;
    await KITS[id].configure(app, m, secret);
    secrets.push(secret);
    providerSecrets[id] = secret;
  }
  const panelKey = `panel-key-${m.id.slice(-12)}`;
  const panel = await app.request('PUT', '/v1/smm-panel', {
    token: m.apiKey,
    body: { type: 'perfectpanel', api_url: `${app.url}/sandbox/perfectpanel`, api_key: panelKey, enabled: true },
  });
  if (panel.status !== 200) throw new Error(`smm panel: ${panel.status} ${panel.text}`);
  secrets.push(panelKey);
  const endpoint = await app.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: `${receiverUrl}/${name}` } });
  if (endpoint.status !== 201) throw new Error(`webhook endpoint: ${endpoint.status} ${endpoint.text}`);
  secrets.push(endpoint.json.secret);
  const orders: OrderView[] = [];
  const paid: OrderView[] = [];
  for (const id of ALL_PROVIDERS) {
    const pending = await createOrder(app, m, id, `${name}-${id}-pending`, '4.50', {
      customer: { name: 'Dara', email: 'dara@example.com' },
      metadata: { note: `${name} private` },
    });
    orders.push(pending);
    const toPay = await createOrder(app, m, id, `${name}-${id}-paid`, '5.75');
    await sandboxPay(app, toPay, id);
    // (Ahnajak's sandbox delivers its signed webhook during the payment.)
    if (KITS[id].capture && id !== 'ahnajak') await (await KITS[id].capture!(app, toPay, m))();
    else if (KITS[id].verify) await app.request('POST', `/v1/orders/${toPay.id}/verify`, { token: m.apiKey });
    orders.push(toPay);
    paid.push(toPay);
  }
  const refund = await app.request('POST', `/v1/orders/${paid.find((o) => o.reference === `${name}-bakong-paid`)!.id}/refunds`, {
    token: m.apiKey,
    body: { manual: true, amount: '1.00', reason: `${name} private refund` },
  });
  if (refund.status !== 201) throw new Error(`refund: ${refund.status} ${refund.text}`);
  const link = await app.request('POST', '/v1/payment-links', {
    token: m.apiKey,
    body: { description: `${name} private link`, amount: '3.00', currency: 'USD', metadata: { note: `${name} private` } },
  });
  if (link.status !== 201) throw new Error(`payment link: ${link.status} ${link.text}`);
  const botToken = `${100000 + Number.parseInt(m.id.slice(-4), 36)}:${'T'.repeat(8)}${m.id.slice(-24).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const channel = await app.request('PUT', '/v1/notification-channels/telegram', { token: m.apiKey, body: { bot_token: botToken, chat_id: '-1001234567' } });
  if (channel.status !== 200) throw new Error(`telegram channel: ${channel.status} ${channel.text}`);
  secrets.push(botToken);
  // The live objects' ids are read before the test-mode ones exist, and filtered by mode.
  const keys = await app.request('GET', `/admin/merchants/${m.id}/api-keys`, { token: TEST_ADMIN_TOKEN });
  const ids = (q: string) => db.query(q, [m.id]).then((r) => r.rows.map((row: { id: string }) => row.id));
  const eventIds = await ids(`SELECT id FROM events WHERE merchant_id = $1 AND livemode`);
  const deliveryIds = await ids(`SELECT id FROM webhook_deliveries WHERE merchant_id = $1`);
  const test = await createTestModeObjects(app, db, m, testApiKey, name, receiverUrl);
  return {
    ...m,
    name,
    orders,
    paid,
    webhookEndpointId: endpoint.json.id,
    webhookSecret: endpoint.json.secret,
    apiKeyIds: (keys.json?.data ?? []).filter((k: { livemode: boolean }) => k.livemode).map((k: { id: string }) => k.id),
    eventIds,
    deliveryIds,
    refundIds: [refund.json.id],
    paymentLinkIds: [link.json.id],
    qrTokens: (await db.query(`SELECT qr_image_token FROM orders WHERE merchant_id = $1 AND qr_image_token IS NOT NULL`, [m.id])).rows.map(
      (r) => r.qr_image_token,
    ),
    secrets,
    providerSecrets,
    testApiKey,
    test,
  };
}
