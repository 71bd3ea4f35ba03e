import { constants, createHmac, publicEncrypt } from 'node:crypto';
import { gatewayKit } from './helpers/gateway-kit';
import { checkAtPayway, configurePayway, PAYWAY_TEST_API_KEY, paywayMerchantIdFor } from './helpers/payway';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';
import { expectRefundEventsDelivered } from './helpers/refund-webhooks';
import { WebhookReceiver } from './helpers/webhook-receiver';

/** PayWay's request hash, written here from the document: base64(HMAC-SHA512(fields concatenated, api_key)). */
const hash = (text: string) => createHmac('sha512', PAYWAY_TEST_API_KEY).update(text).digest('base64');
const reqTime = () => new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);

/**
 * Refunds of real `payway` orders, paid in the sandbox, through the PayWay simulator's Refund API over HTTP on the
 * embedded database (issue 15): full, partial, over what is left, 20 concurrent, USD and KHR, a refund PayWay refuses,
 * refunds whose call gets no answer settled by the sweeper through checkRefund (never refunded twice, and sound with
 * several partial refunds of one transaction), every refund event delivered and verified with standardwebhooks.
 */
describe('payway refunds end to end', () => {
  let t: TestApp;
  let m: TestMerchant;
  let rsaPublicKey: string;
  let receiver: WebhookReceiver;
  const kit = gatewayKit({ provider: 'payway', app: () => t, merchant: () => m, referencePrefix: 'PWR', orderDefaults: { amount: '10.00' } });

  const refund = (orderId: string, body: Record<string, unknown> = {}) => t.request('POST', `/v1/orders/${orderId}/refunds`, { token: m.apiKey, body });
  const sweep = async () => {
    const run = await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
    expect(run.status).toBe(201);
    return run.json;
  };
  const faults = (body: Record<string, unknown>) => t.request('POST', '/sandbox/control/faults', { body: { provider: 'payway', ...body } });
  const refundOf = async (id: string) => (await t.request('GET', `/v1/refunds/${id}`, { token: m.apiKey })).json;
  /** What PayWay itself has on record for the transaction (Check Transaction, signed as the document says). */
  const atPayway = (tranId: string) => checkAtPayway(t, m, tranId);
  /** A refund the merchant makes in PayWay's own portal, outside the orchestrator (the Refund API called directly). */
  const refundAtPayway = async (tranId: string, amount: string) => {
    const merchantId = paywayMerchantIdFor(m);
    const plain = Buffer.from(JSON.stringify({ mc_id: merchantId, tran_id: tranId, refund_amount: amount }));
    const auth = publicEncrypt({ key: rsaPublicKey, padding: constants.RSA_PKCS1_PADDING }, plain).toString('hex');
    const time = reqTime();
    const res = await t.request('POST', '/sandbox/payway/api/merchant-portal/merchant-access/online-transaction/refund', {
      body: { request_time: time, merchant_id: merchantId, merchant_auth: auth, hash: hash(time + merchantId + auth) },
    });
    expect(res.json.status.code).toBe('00');
  };
  const state = async (orderId: string) =>
    (
      await t.db.query(
        `SELECT (SELECT count(*) FROM refunds WHERE order_id = $1)::int AS refunds, (SELECT count(*) FROM events WHERE order_id = $1)::int AS events,
                (SELECT coalesce(sum(amount_minor), 0)::int FROM refunds WHERE order_id = $1 AND status <> 'FAILED') AS not_failed,
                o.refunded_minor::int, o.paid_amount_minor::int, o.event_seq
           FROM orders o WHERE o.id = $1`,
        [orderId],
      )
    ).rows[0];

  async function paid(amount = '10.00', currency = 'USD') {
    const order = await kit.createOrder({ amount, currency });
    await kit.sandboxPay(order.transaction.provider_reference);
    const after = await kit.getOrder(order.id);
    expect(after).toMatchObject({ status: 'PAID', paid_amount: amount, amount_refunded: currency === 'KHR' ? '0' : '0.00' });
    return after;
  }

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_RETRY_SCHEDULE_MS: '20,20', WEBHOOK_TIMEOUT_MS: '2000' } });
    m = await t.createMerchant('PayWay Refund Shop');
    await configurePayway(t, m);
    rsaPublicKey = (await t.request('GET', '/sandbox/payway/rsa-public-key')).text;
    receiver = await WebhookReceiver.start();
    const endpoint = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/refunds') } });
    expect(endpoint.status).toBe(201);
    receiver.secrets.push(endpoint.json.secret);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('USD: a full refund through the Refund API is SUCCEEDED; PayWay shows it; nothing more can be refunded (422, nothing written, PayWay not asked)', async () => {
    const order = await paid('12.50');
    const res = await refund(order.id, { reason: 'customer changed their mind' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ object: 'refund', order_id: order.id, amount: '12.50', currency: 'USD', status: 'SUCCEEDED', method: 'provider_api' });
    expect(await atPayway(order.transaction.provider_reference)).toMatchObject({ refund_amount: 12.5, original_amount: 12.5, payment_status_code: 4 });
    expect(await kit.getOrder(order.id)).toMatchObject({ status: 'PAID', amount_refunded: '12.50' });
    expect(await kit.eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.succeeded']);
    // The order stays PAID when verified again (PayWay's REFUNDED status is a paid transaction).
    expect((await kit.verify(order.id)).json).toMatchObject({ status: 'PAID', amount_refunded: '12.50' });

    const before = await state(order.id);
    await t.request('DELETE', '/sandbox/control/stats');
    const again = await refund(order.id, { amount: '0.01' });
    expect(again.status).toBe(422);
    expect(again.json).toMatchObject({ code: 'amount_exceeds_refundable', amount_refundable: '0.00' });
    expect(await state(order.id)).toEqual(before);
    expect((await t.request('GET', '/sandbox/control/stats')).json.calls.payway ?? 0).toBe(0);
  });

  it('USD: two partial refunds, one over what is left (422 with amount_refundable, nothing written), then the rest by default', async () => {
    const order = await paid('10.00');
    const tranId = order.transaction.provider_reference;
    expect((await refund(order.id, { amount: '4.00' })).json).toMatchObject({ amount: '4.00', status: 'SUCCEEDED' });
    expect((await refund(order.id, { amount: 3.5 })).json).toMatchObject({ amount: '3.50', status: 'SUCCEEDED' });
    expect((await atPayway(tranId)).refund_amount).toBe(7.5);
    const before = await state(order.id);
    const over = await refund(order.id, { amount: '3.00' });
    expect(over.status).toBe(422);
    expect(over.json).toMatchObject({ code: 'amount_exceeds_refundable', amount_refundable: '2.50' });
    expect(await state(order.id)).toEqual(before);
    expect((await atPayway(tranId)).refund_amount).toBe(7.5);
    expect((await refund(order.id)).json).toMatchObject({ amount: '2.50', status: 'SUCCEEDED' });
    expect((await atPayway(tranId)).refund_amount).toBe(10);
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '10.00' });
    const list = await t.request('GET', `/v1/orders/${order.id}/refunds`, { token: m.apiKey });
    expect(list.json.data.map((r: { amount: string }) => r.amount)).toEqual(['2.50', '3.50', '4.00']);
  });

  it('KHR: partial then the rest, whole riels on the wire', async () => {
    const order = await paid('20000', 'KHR');
    expect((await refund(order.id, { amount: '5000' })).json).toMatchObject({ amount: '5000', currency: 'KHR', status: 'SUCCEEDED' });
    expect((await refund(order.id, { amount: '5000.5' })).status).toBe(400);
    expect((await refund(order.id)).json).toMatchObject({ amount: '15000', status: 'SUCCEEDED' });
    expect((await atPayway(order.transaction.provider_reference)).refund_amount).toBe(20000);
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '20000', paid_amount: '20000' });
  });

  it('20 concurrent refunds of 1.00 on 12.50: exactly twelve succeed at PayWay, the rest answer 422; never more refunded than paid', async () => {
    const order = await paid('12.50');
    const answers = await Promise.all(Array.from({ length: 20 }, () => refund(order.id, { amount: '1.00' })));
    expect(answers.filter((a) => a.status === 201).map((a) => a.json.status)).toEqual(Array(12).fill('SUCCEEDED'));
    expect(answers.filter((a) => a.status === 422)).toHaveLength(8);
    expect(await state(order.id)).toMatchObject({ refunds: 12, not_failed: 1200, refunded_minor: 1200, paid_amount_minor: 1250 });
    expect((await atPayway(order.transaction.provider_reference)).refund_amount).toBe(12);
  });

  it('PayWay refuses a refund (more than it has left: the merchant refunded in its portal too): FAILED, refund.failed, the amount refundable again', async () => {
    const order = await paid('10.00');
    const tranId = order.transaction.provider_reference;
    await refundAtPayway(tranId, '8.00');
    const res = await refund(order.id, { amount: '5.00' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: 'FAILED', failure_reason: expect.stringContaining('PTL04') });
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '0.00' });
    expect(await kit.eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.failed']);
    expect((await refund(order.id, { amount: '2.00' })).json).toMatchObject({ status: 'SUCCEEDED' });
    expect((await atPayway(tranId)).refund_amount).toBe(10);
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '2.00' });
  });

  it('no answer (timeout, 5xx): PENDING and reserved; the sweeper asks checkRefund, which finds it never arrived: FAILED, refundable again', async () => {
    const order = await paid('10.00');
    const tranId = order.transaction.provider_reference;
    for (const mode of ['timeout', 'http500']) {
      await faults({ mode });
      const res = await refund(order.id, { amount: '6.00' });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ status: 'PENDING', amount: '6.00' });
      expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '6.00' });
      expect((await refund(order.id, { amount: '5.00' })).status).toBe(422);
      await t.request('DELETE', '/sandbox/control/faults');
      await sweep();
      expect(await refundOf(res.json.id)).toMatchObject({ status: 'FAILED', failure_reason: expect.stringContaining('no refund') });
      expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '0.00' });
    }
    expect((await atPayway(tranId)).refund_amount).toBe(0);
    expect(await kit.eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.failed', 'refund.created', 'refund.failed']);
  });

  it('the answer is lost but PayWay refunded: PENDING, then the sweeper finds it SUCCEEDED (once), and PayWay refunded it once', async () => {
    const order = await paid('10.00');
    const tranId = order.transaction.provider_reference;
    // PayWay answers after our deadline (PROVIDER_TIMEOUT_MS 1500 in tests) but does the refund.
    await faults({ latency_ms: 2500 });
    const res = await refund(order.id, { amount: '4.00' });
    expect(res.json).toMatchObject({ status: 'PENDING' });
    await t.request('DELETE', '/sandbox/control/faults');
    await waitFor(async () => (await atPayway(tranId)).refund_amount === 4);
    await sweep();
    await sweep();
    expect(await refundOf(res.json.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await atPayway(tranId)).refund_amount).toBe(4);
    expect(await kit.eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.succeeded']);
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '4.00' });
  });

  it('a sweep while the refund call is still in flight leaves that refund alone (a check racing it would find nothing and fail it)', async () => {
    const order = await paid('10.00');
    await faults({ latency_ms: 1000 }); // under the 1500 ms deadline: the call answers, late
    const asked = refund(order.id, { amount: '4.00' });
    await waitFor(async () => (await t.db.query(`SELECT 1 FROM refunds WHERE order_id = $1`, [order.id])).rows.length === 1);
    await t.request('DELETE', '/sandbox/control/faults');
    await sweep(); // PayWay has nothing yet: a check now would say the refund never arrived
    const res = await asked;
    expect(res.json).toMatchObject({ status: 'SUCCEEDED' });
    expect(await refundOf(res.json.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await atPayway(order.transaction.provider_reference)).refund_amount).toBe(4);
    expect(await kit.eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.succeeded']);
  });

  it("checkRefund with several partial refunds: PayWay's total minus what already succeeded tells which PENDING refund arrived", async () => {
    const order = await paid('10.00');
    const tranId = order.transaction.provider_reference;
    // 3.00 refunded and known; then 2.00 whose call never reaches PayWay. PayWay's total (3.00) covers 2.00, yet 2.00 never arrived.
    expect((await refund(order.id, { amount: '3.00' })).json.status).toBe('SUCCEEDED');
    await faults({ mode: 'http500' });
    const lost = await refund(order.id, { amount: '2.00' });
    expect(lost.json.status).toBe('PENDING');
    await t.request('DELETE', '/sandbox/control/faults');
    await sweep();
    expect(await refundOf(lost.json.id)).toMatchObject({ status: 'FAILED' });
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '3.00' });

    // Two PENDING at once: 1.50 arrives (answer lost), 2.50 does not. PayWay's new total tells them apart (only 1.50 fits).
    await faults({ latency_ms: 2500 });
    const arrived = await refund(order.id, { amount: '1.50' });
    await t.request('DELETE', '/sandbox/control/faults');
    await faults({ mode: 'http500' });
    const missing = await refund(order.id, { amount: '2.50' });
    await t.request('DELETE', '/sandbox/control/faults');
    expect([arrived.json.status, missing.json.status]).toEqual(['PENDING', 'PENDING']);
    await waitFor(async () => (await atPayway(tranId)).refund_amount === 4.5);
    await sweep();
    expect((await refundOf(arrived.json.id)).status).toBe('SUCCEEDED');
    expect((await refundOf(missing.json.id)).status).toBe('FAILED');
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '4.50' });

    // Two PENDING of the same amount, one arrived: PayWay's total cannot say which. Both stay PENDING (the money stays
    // reserved: never more refunded than paid) until an operator settles them.
    await faults({ latency_ms: 2500 });
    const a = await refund(order.id, { amount: '1.00' });
    await t.request('DELETE', '/sandbox/control/faults');
    await faults({ mode: 'http500' });
    const b = await refund(order.id, { amount: '1.00' });
    await t.request('DELETE', '/sandbox/control/faults');
    await waitFor(async () => (await atPayway(tranId)).refund_amount === 5.5);
    await sweep();
    expect([(await refundOf(a.json.id)).status, (await refundOf(b.json.id)).status]).toEqual(['PENDING', 'PENDING']);
    const row = await t.db.query(`SELECT last_error FROM refunds WHERE id = $1`, [a.json.id]);
    expect(row.rows[0].last_error).toMatch(/cannot tell/);
    expect(await kit.getOrder(order.id)).toMatchObject({ amount_refunded: '6.50' });
  });

  it('khqr_refunds_total counts payway refunds by status', async () => {
    const metrics = (await t.request('GET', '/metrics')).text;
    for (const status of ['PENDING', 'SUCCEEDED', 'FAILED'])
      expect(metrics).toMatch(new RegExp(`khqr_refunds_total\\{provider="payway",status="${status}"\\} [1-9]`));
  });

  it('every refund event reached the webhook endpoint, signed (verified with standardwebhooks), with {refund, order}', async () => {
    await expectRefundEventsDelivered(t, m, receiver, {
      refund: { object: 'refund', method: 'provider_api' },
      order: { object: 'order', provider: 'payway', status: 'PAID' },
    });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
