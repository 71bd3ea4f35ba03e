import { createHash, createHmac } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Webhook } from 'standardwebhooks';
import { OUTBOUND_CHANNEL } from '../src/common/http/outbound-http';
import { WebhookDispatcher } from '../src/events/webhook-dispatcher.service';
import { NotificationDispatcher } from '../src/notifications/notification-dispatcher';
import { freePort } from '../src/database/embedded-postgres';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

/**
 * Test mode (docs/test-mode.md) on a production-configured app: NODE_ENV=production, SANDBOX=false,
 * a real PostgreSQL through DATABASE_URL. Loopback is allow-listed only so the merchant's webhook
 * receiver and PUBLIC_BASE_URL (both on 127.0.0.1 here) can be reached, which also lets the live
 * order's call to an unreachable loopback port (standing in for a real gateway host) be attempted.
 */
describe('test mode (sk_test_ keys) with NODE_ENV=production and SANDBOX=false', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let dispatcher: WebhookDispatcher;
  let merchant: { id: string; live: string; test: string };
  let realGateway: string;
  const outbound: string[] = [];
  const record = (message: unknown) => outbound.push((message as { url: string }).url);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      env: { NODE_ENV: 'production', SANDBOX: 'false', OUTBOUND_ALLOWLIST: '127.0.0.1', TELEGRAM_API_BASE_URL: receiver.url('/telegram') },
    });
    dispatcher = t.app.get(WebhookDispatcher);
    realGateway = `http://127.0.0.1:${await freePort()}`;
    const created = await t.request('POST', '/admin/merchants', { token: TEST_ADMIN_TOKEN, body: { name: 'Test Mode Shop' } });
    expect(created.status).toBe(201);
    expect(created.json.api_key).toMatch(/^sk_live_/);
    expect(created.json.test_api_key).toMatch(/^sk_test_/);
    merchant = { id: created.json.id, live: created.json.api_key, test: created.json.test_api_key };
    subscribe(OUTBOUND_CHANNEL, record);
  });

  afterAll(async () => {
    unsubscribe(OUTBOUND_CHANNEL, record);
    await t?.close();
    await receiver?.close();
  });

  const createOrder = (token: string, provider: string, reference: string) =>
    t.request('POST', '/v1/orders', { token, body: { provider, amount: '12.50', reference } });

  it('the config really is production with the sandbox off', () => {
    expect(t.config.production).toBe(true);
    expect(t.config.sandbox).toBe(false);
  });

  it('a test key creates, pays (control/pay) and sees an order end to end, with signed livemode:false webhooks; the live key sees none of it', async () => {
    const endpoint = await t.request('POST', '/v1/webhook-endpoints', { token: merchant.test, body: { url: receiver.url('/test-hooks') } });
    expect(endpoint.status).toBe(201);
    expect(endpoint.json.livemode).toBe(false);
    receiver.secrets = [endpoint.json.secret];

    // No provider account at all: a simulated one stands in. Ahnajak pays by its signed webhook to /callbacks.
    const created = await createOrder(merchant.test, 'ahnajak', 'TM-1');
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ livemode: false, status: 'PENDING' });
    expect(new URL(created.json.checkout_url).href.startsWith(`${t.url}/sandbox/ahnajak/`)).toBe(true);
    const pay = await t.request('POST', '/sandbox/control/pay', {
      body: { provider: 'ahnajak', provider_reference: created.json.transaction.provider_reference },
    });
    expect(pay.status).toBe(200);
    const paid = await t.request('GET', `/v1/orders/${created.json.id}`, { token: merchant.test });
    expect(paid.json).toMatchObject({ status: 'PAID', livemode: false, verification: 'signed_webhook' });

    // RaksmeyPay: paid at the simulator, confirmed through its verify API (a call to the simulator, never a real host).
    const rp = await createOrder(merchant.test, 'raksmeypay', 'TM-2');
    expect(rp.status).toBe(201);
    expect(
      (await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: rp.json.transaction.provider_reference } }))
        .status,
    ).toBe(200);
    const verified = await t.request('POST', `/v1/orders/${rp.json.id}/verify`, { token: merchant.test });
    expect(verified.json).toMatchObject({ status: 'PAID', livemode: false, verification: 'provider_api' });

    await dispatcher.drain();
    const deliveries = receiver.received.filter((d) => d.path === '/test-hooks');
    expect(deliveries.map((d) => d.body.type).sort()).toEqual(['order.created', 'order.created', 'order.paid', 'order.paid']);
    for (const d of deliveries) {
      const headers = { 'webhook-id': d.webhookId, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature };
      expect(new Webhook(endpoint.json.secret).verify(d.rawBody, headers)).toMatchObject({ livemode: false, data: { order: { livemode: false } } });
    }

    const events = await t.request('GET', '/v1/events', { token: merchant.test });
    expect(events.json.data.length).toBe(4);
    expect(events.json.data.every((e: { livemode: boolean }) => e.livemode === false)).toBe(true);

    // The live key: nothing of it, by list or by id.
    const live = merchant.live;
    expect((await t.request('GET', '/v1/orders', { token: live })).json.data).toEqual([]);
    expect((await t.request('GET', `/v1/orders/${created.json.id}`, { token: live })).status).toBe(404);
    expect((await t.request('POST', `/v1/orders/${created.json.id}/cancel`, { token: live })).status).toBe(404);
    expect((await t.request('GET', '/v1/events', { token: live })).json.data).toEqual([]);
    expect((await t.request('GET', `/v1/events/${events.json.data[0].id}`, { token: live })).status).toBe(404);
    expect((await t.request('GET', '/v1/webhook-endpoints', { token: live })).json.data).toEqual([]);
    expect((await t.request('GET', `/v1/webhook-endpoints/${endpoint.json.id}`, { token: live })).status).toBe(404);
    expect((await t.request('GET', '/v1/provider-accounts', { token: live })).json.data).toEqual([]);
  });

  it('a live order goes to the real gateway host, never the simulator; control/pay refuses it and the test key cannot see it', async () => {
    const put = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
      token: merchant.live,
      body: { profile_id: 'live-1', profile_key: 'live-profile-key-0123456789', base_url: realGateway },
    });
    expect(put.status).toBe(200);
    const liveHook = await t.request('POST', '/v1/webhook-endpoints', { token: merchant.live, body: { url: receiver.url('/live-hooks') } });
    const before = receiver.received.length;

    const order = await createOrder(merchant.live, 'raksmeypay', 'TM-1'); // the same reference as a test order: no clash across modes
    expect(order.status).toBe(201);
    expect(order.json.livemode).toBe(true);
    expect(order.json.checkout_url.startsWith(realGateway)).toBe(true);

    const pay = await t.request('POST', '/sandbox/control/pay', {
      body: { provider: 'raksmeypay', provider_reference: order.json.transaction.provider_reference },
    });
    expect(pay.status).toBe(404);
    expect(
      (await t.db.query(`SELECT count(*)::int AS n FROM sandbox_payments WHERE provider_reference = $1`, [order.json.transaction.provider_reference])).rows[0]
        .n,
    ).toBe(0);
    // The simulator's verify API does not know the live payment either.
    expect(
      (await t.request('GET', `/sandbox/raksmeypay/api/payment/verify/live-1?transaction_id=${order.json.transaction.provider_reference}`)).status,
    ).not.toBe(200);

    // Verify calls the real host (unreachable here): the call is attempted there, and the order stays PENDING.
    outbound.length = 0;
    const verify = await t.request('POST', `/v1/orders/${order.json.id}/verify`, { token: merchant.live });
    expect(verify.status).toBeGreaterThanOrEqual(502);
    expect(outbound.some((url) => url.startsWith(realGateway))).toBe(true);
    expect((await t.request('GET', `/v1/orders/${order.json.id}`, { token: merchant.live })).json.status).toBe('PENDING');

    // The test key sees none of it; the live order's events went to the live endpoint only.
    expect((await t.request('GET', `/v1/orders/${order.json.id}`, { token: merchant.test })).status).toBe(404);
    const testOrders = (await t.request('GET', '/v1/orders', { token: merchant.test })).json.data as { livemode: boolean }[];
    expect(testOrders.length).toBe(2);
    expect(testOrders.every((o) => o.livemode === false)).toBe(true);
    await dispatcher.drain();
    const fresh = receiver.received.slice(before);
    expect(fresh.map((d) => [d.path, d.body.livemode])).toEqual([['/live-hooks', true]]);
    expect(fresh[0].body.data.order.id).toBe(order.json.id);
    expect(liveHook.json.livemode).toBe(true);
  });

  it('outbound recorder: a test-mode order with a real-looking test account never calls a non-sandbox host', async () => {
    // A test-mode account is the simulator's whatever base_url the merchant sends.
    const put = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
      token: merchant.test,
      body: { profile_id: 'test-own', profile_key: 'test-profile-key-0123456789', base_url: realGateway },
    });
    expect(put.status).toBe(200);
    expect(put.json.credentials.base_url).toBe(`${t.url}/sandbox/raksmeypay`);

    outbound.length = 0;
    const order = await createOrder(merchant.test, 'raksmeypay', 'TM-3');
    expect(order.status).toBe(201);
    expect(order.json.checkout_url.startsWith(`${t.url}/sandbox/raksmeypay/`)).toBe(true);
    await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: order.json.transaction.provider_reference } });
    expect((await t.request('POST', `/v1/orders/${order.json.id}/verify`, { token: merchant.test })).json.status).toBe('PAID');
    await dispatcher.drain();
    expect(outbound.length).toBeGreaterThan(0);
    const allowed = [`${t.url}/sandbox/`, receiver.url('/test-hooks')];
    expect(outbound.filter((url) => !allowed.some((prefix) => url.startsWith(prefix)))).toEqual([]);
    expect(outbound.some((url) => url.startsWith(`${t.url}/sandbox/raksmeypay/`))).toBe(true);
  });

  it('faults, stats and the webhook inbox are not served with SANDBOX off', async () => {
    expect((await t.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', mode: 'http500' } })).status).toBe(404);
    expect((await t.request('GET', '/sandbox/control/stats')).status).toBe(404);
    expect((await t.request('GET', '/sandbox/webhook-inbox')).status).toBe(404);
  });

  it('idempotency keys and references are per mode: the same key in the other mode is a new request', async () => {
    const body = { provider: 'bakongapi', amount: '1.00', reference: 'IDEM-1' };
    const a = await t.request('POST', '/v1/orders', { token: merchant.test, body, headers: { 'idempotency-key': 'k-1' } });
    expect(a.status).toBe(201);
    const again = await t.request('POST', '/v1/orders', { token: merchant.test, body, headers: { 'idempotency-key': 'k-1' } });
    expect(again.json.id).toBe(a.json.id);
    // Live: the same key is unknown (and bakongapi has no live account: a problem, not the test order replayed).
    const live = await t.request('POST', '/v1/orders', { token: merchant.live, body, headers: { 'idempotency-key': 'k-1' } });
    expect(live.status).toBe(422);
    expect(live.json.id).toBeUndefined();
  });

  it('an Ahnajak webhook signed with the test-mode secret cannot move a live transaction (and a live-signed one can)', async () => {
    const testSecret = 'test-ahnajak-secret-0123';
    const liveSecret = 'live-ahnajak-secret-0123';
    await t.request('PUT', '/v1/provider-accounts/ahnajak', { token: merchant.test, body: { profile_id: 'test-ahn', secret_key: testSecret } });
    await t.request('PUT', '/v1/provider-accounts/ahnajak', {
      token: merchant.live,
      body: { profile_id: 'live-ahn', secret_key: liveSecret, base_url: realGateway },
    });
    const live = await createOrder(merchant.live, 'ahnajak', 'AHN-LIVE');
    expect(live.status).toBe(201);
    const reference = live.json.transaction.provider_reference;
    const webhook = (secret: string) => {
      const body = JSON.stringify({ transaction_id: reference, amount: '12.5', status: 'SUCCESS', hash: sha256(reference + '12.5' + secret) });
      return t.request('POST', `/callbacks/ahnajak/${merchant.id}`, {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'x-ahnajak-signature': createHmac('sha256', secret).update(body).digest('hex') },
      });
    };
    const forged = await webhook(testSecret);
    expect(forged.status).toBe(404);
    expect((await t.request('GET', `/v1/orders/${live.json.id}`, { token: merchant.live })).json.status).toBe('PENDING');
    // The same call signed with the live secret pays it: the refusal above was the mode, not the shape of the call.
    expect((await webhook(liveSecret)).status).toBeLessThan(300);
    expect((await t.request('GET', `/v1/orders/${live.json.id}`, { token: merchant.live })).json).toMatchObject({ status: 'PAID', livemode: true });
  });

  it('a test key refunds (payway through the simulator’s Refund API, a manual refund on raksmeypay) with signed livemode:false webhooks; the live key sees no refund', async () => {
    const paidOrder = async (provider: string, reference: string) => {
      const order = await createOrder(merchant.test, provider, reference);
      expect(order.status).toBe(201);
      const pay = await t.request('POST', '/sandbox/control/pay', { body: { provider, provider_reference: order.json.transaction.provider_reference } });
      expect(pay.status).toBe(200);
      const verified = await t.request('POST', `/v1/orders/${order.json.id}/verify`, { token: merchant.test });
      expect(verified.json).toMatchObject({ status: 'PAID', livemode: false });
      return order.json.id as string;
    };
    // PayWay with no account: the simulated one carries the simulator's RSA public key, so the refund's merchant_auth opens there.
    const pw = await paidOrder('payway', 'TM-PW');
    const rp = await paidOrder('raksmeypay', 'TM-RP');
    await dispatcher.drain();
    const before = receiver.received.length;
    outbound.length = 0;

    const gateway = await t.request('POST', `/v1/orders/${pw}/refunds`, { token: merchant.test, body: { amount: '5.00', reason: 'test refund' } });
    expect(gateway.status).toBe(201);
    expect(gateway.json).toMatchObject({ object: 'refund', livemode: false, method: 'provider_api', status: 'SUCCEEDED', amount: '5.00' });
    expect(outbound.filter((url) => !url.startsWith(`${t.url}/sandbox/`))).toEqual([]);
    expect(outbound.some((url) => url.startsWith(`${t.url}/sandbox/payway/`) && url.includes('refund'))).toBe(true);
    // No refund API: refused unless manual, then SUCCEEDED at once.
    expect((await t.request('POST', `/v1/orders/${rp}/refunds`, { token: merchant.test, body: {} })).json.code).toBe('refund_not_supported');
    const manual = await t.request('POST', `/v1/orders/${rp}/refunds`, { token: merchant.test, body: { manual: true, reason: 'cash' } });
    expect(manual.json).toMatchObject({ livemode: false, method: 'manual', status: 'SUCCEEDED', amount: '12.50' });
    expect((await t.request('GET', `/v1/orders/${pw}`, { token: merchant.test })).json).toMatchObject({ amount_refunded: '5.00', livemode: false });

    await dispatcher.drain();
    const hooks = receiver.received.slice(before).filter((d) => d.path === '/test-hooks');
    expect(hooks.map((d) => d.body.type).sort()).toEqual(['refund.created', 'refund.created', 'refund.succeeded', 'refund.succeeded']);
    for (const d of hooks) {
      const headers = { 'webhook-id': d.webhookId, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature };
      expect(new Webhook(receiver.secrets[0]).verify(d.rawBody, headers)).toMatchObject({
        livemode: false,
        data: { refund: { livemode: false }, order: { livemode: false } },
      });
    }
    expect(receiver.received.slice(before).filter((d) => d.path === '/live-hooks')).toEqual([]);

    // The live key: no refund by id, no order to list refunds of, and it cannot refund a test order.
    for (const id of [gateway.json.id, manual.json.id]) expect((await t.request('GET', `/v1/refunds/${id}`, { token: merchant.live })).status).toBe(404);
    expect((await t.request('GET', `/v1/orders/${pw}/refunds`, { token: merchant.live })).status).toBe(404);
    expect((await t.request('POST', `/v1/orders/${pw}/refunds`, { token: merchant.live, body: { manual: true } })).status).toBe(404);
    const listed = await t.request('GET', `/v1/orders/${pw}/refunds`, { token: merchant.test });
    expect(listed.json.data.map((r: { id: string }) => r.id)).toEqual([gateway.json.id]);
  });

  it('payment links, Telegram channels and the reports summary belong to a mode; a test event never messages a live channel', async () => {
    // A test-mode link needs no gateway account (simulated ones stand in); its page creates test-mode orders.
    const link = await t.request('POST', '/v1/payment-links', {
      token: merchant.test,
      body: { description: 'Test latte', amount: '3.00', providers: ['bakongapi'] },
    });
    expect(link.status).toBe(201);
    expect(link.json).toMatchObject({ object: 'payment_link', livemode: false });
    const pay = await t.request('POST', new URL(link.json.url).pathname, {
      rawBody: 'provider=bakongapi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(pay.status).toBe(303);
    const linkOrders = (await t.request('GET', `/v1/orders?payment_link_id=${link.json.id}`, { token: merchant.test })).json.data;
    expect(linkOrders.map((o: { livemode: boolean; amount: string }) => [o.livemode, o.amount])).toEqual([[false, '3.00']]);
    expect((await t.request('GET', `/v1/orders?payment_link_id=${link.json.id}`, { token: merchant.live })).json.data).toEqual([]);
    expect((await t.request('GET', `/v1/payment-links/${link.json.id}`, { token: merchant.live })).status).toBe(404);
    expect((await t.request('POST', `/v1/payment-links/${link.json.id}/deactivate`, { token: merchant.live })).status).toBe(404);
    expect((await t.request('GET', '/v1/payment-links', { token: merchant.live })).json.data).toEqual([]);
    expect((await t.request('GET', `/v1/payment-links/${link.json.id}`, { token: merchant.test })).json.active).toBe(true);

    // One Telegram channel per mode; each gets only its own mode's events.
    const liveBot = '111111:live-bot-token-abcdefghijklmnop';
    const testBot = '222222:test-bot-token-abcdefghijklmnop';
    for (const [token, bot, chat] of [
      [merchant.live, liveBot, '-1001'],
      [merchant.test, testBot, '-1002'],
    ]) {
      const put = await t.request('PUT', '/v1/notification-channels/telegram', { token, body: { bot_token: bot, chat_id: chat, language: 'en' } });
      expect(put.status).toBe(200);
      expect(put.json.livemode).toBe(token === merchant.test ? false : true);
    }
    const channels = (token: string) => t.request('GET', '/v1/notification-channels', { token });
    expect((await channels(merchant.live)).json.data.map((c: { chat_id: string }) => c.chat_id)).toEqual(['-1001']);
    expect((await channels(merchant.test)).json.data.map((c: { chat_id: string }) => c.chat_id)).toEqual(['-1002']);
    const before = receiver.received.length;
    const order = await createOrder(merchant.test, 'raksmeypay', 'TM-TG');
    await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: order.json.transaction.provider_reference } });
    expect((await t.request('POST', `/v1/orders/${order.json.id}/verify`, { token: merchant.test })).json.status).toBe('PAID');
    const notifications = t.app.get(NotificationDispatcher);
    while ((await notifications.runOnce()) > 0);
    const sent = receiver.received.slice(before).filter((d) => d.path.startsWith('/telegram/'));
    expect(sent.map((d) => [d.path, d.body.chat_id])).toEqual([[`/telegram/bot${testBot}/sendMessage`, '-1002']]);
    expect(sent[0].body.text).toMatch(/^\[TEST\] /);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM notification_deliveries WHERE merchant_id = $1 AND livemode`, [merchant.id])).rows[0].n).toBe(0);
    // Deleting the test channel leaves the live one.
    expect((await t.request('DELETE', '/v1/notification-channels/telegram', { token: merchant.test })).status).toBe(200);
    expect((await channels(merchant.live)).json.data).toHaveLength(1);

    // The overview counts the key's mode only.
    const groups = async (token: string) => {
      const summary = (await t.request('GET', '/v1/reports/summary', { token })).json;
      return {
        livemode: summary.livemode,
        byGateway: Object.fromEntries(summary.last_7_days.groups.map((g: { provider: string; orders: number }) => [g.provider, g.orders])),
      };
    };
    const [testSummary, liveSummary] = [await groups(merchant.test), await groups(merchant.live)];
    expect([testSummary.livemode, liveSummary.livemode]).toEqual([false, true]);
    expect(testSummary.byGateway.payway).toBe(1);
    expect(liveSummary.byGateway.payway).toBeUndefined();
    expect(liveSummary.byGateway.raksmeypay).toBe(1); // the one live raksmeypay order; the test ones are not counted
  });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
