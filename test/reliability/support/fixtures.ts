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
}

export async function createTenant(app: AppLike, db: Pool, name: string, receiverUrl: string): Promise<Tenant> {
  const res = await app.request('POST', '/admin/merchants', { token: TEST_ADMIN_TOKEN, body: { name } });
  if (res.status !== 201) throw new Error(`create merchant: ${res.status} ${res.text}`);
  const m: Merchant = { id: res.json.id, apiKey: res.json.api_key };
  const secrets = [m.apiKey];
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
  const keys = await app.request('GET', `/admin/merchants/${m.id}/api-keys`, { token: TEST_ADMIN_TOKEN });
  const ids = (q: string) => db.query(q, [m.id]).then((r) => r.rows.map((row: { id: string }) => row.id));
  return {
    ...m,
    name,
    orders,
    paid,
    webhookEndpointId: endpoint.json.id,
    webhookSecret: endpoint.json.secret,
    apiKeyIds: (keys.json?.data ?? []).map((k: { id: string }) => k.id),
    eventIds: await ids(`SELECT id FROM events WHERE merchant_id = $1`),
    deliveryIds: await ids(`SELECT id FROM webhook_deliveries WHERE merchant_id = $1`),
    refundIds: [refund.json.id],
    paymentLinkIds: [link.json.id],
    qrTokens: (await db.query(`SELECT qr_image_token FROM orders WHERE merchant_id = $1 AND qr_image_token IS NOT NULL`, [m.id])).rows.map(
      (r) => r.qr_image_token,
    ),
    secrets,
    providerSecrets,
  };
}
