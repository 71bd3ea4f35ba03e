import { BakongKHQR } from 'bakong-khqr';
import { createHash, createHmac } from 'node:crypto';
import { PaywayProvider } from '../src/providers/payway/payway.provider';
import { ProviderError, RefundInput } from '../src/providers/provider';
import { DEMO_ACCOUNTS } from '../src/demo/demo-accounts';
import { gatewayKit } from './helpers/gateway-kit';
import { configurePayway, PAYWAY_TEST_API_KEY, paywayMerchantIdFor } from './helpers/payway';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

/** PayWay's request hash, written here from the document: base64(HMAC-SHA512(fields concatenated, api_key)). */
const hash = (text: string, key = PAYWAY_TEST_API_KEY) => createHmac('sha512', key).update(text).digest('base64');
const reqTime = () => new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);

describe('payway (ABA PayWay) end to end through the sandbox', () => {
  let t: TestApp;
  let m: TestMerchant;
  const kit = gatewayKit({ provider: 'payway', app: () => t, merchant: () => m, referencePrefix: 'PW', orderDefaults: { amount: '12.50' } });
  const pushback = (body: unknown) => t.request('POST', '/callbacks/payway/pushback', { body });
  /** The customer paid at PayWay, but its pushback never reached us (only Check Transaction can tell). */
  const paidSilently = (ref: string, amount: string, currency: string) =>
    t.db.query(
      `INSERT INTO sandbox_payments (provider, provider_reference, amount, currency, gateway_txn_id, paid_at) VALUES ('payway', $1, $2, $3, md5($1), now())`,
      [ref, amount, currency],
    );
  const gatewayCalls = async () => ((await t.request('GET', '/sandbox/control/stats')).json.calls.payway as number | undefined) ?? 0;
  const check = (tranId: string, key = PAYWAY_TEST_API_KEY) => {
    const time = reqTime();
    const merchantId = paywayMerchantIdFor(m);
    return t.request('POST', '/sandbox/payway/api/payment-gateway/v1/payments/check-transaction-2', {
      body: { req_time: time, merchant_id: merchantId, tran_id: tranId, hash: hash(time + merchantId + tranId, key) },
    });
  };

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('PayWay Shop');
    await configurePayway(t, m);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('USD: a KHQR for the amount, the ABA deeplink on the order and on /pay, paid in the sandbox and confirmed by the pushback', async () => {
    const order = await kit.createOrder();
    expect(order).toMatchObject({ status: 'PENDING', provider: 'payway', amount: '12.50', currency: 'USD', checkout_url: `${t.url}/pay/${order.id}` });
    expect(order.transaction.provider_reference).toMatch(/^\d{1,20}$/);
    expect(BakongKHQR.verify(order.qr.payload).isValid).toBe(true);
    expect(BakongKHQR.decode(order.qr.payload).data).toMatchObject({ transactionAmount: '12.50', transactionCurrency: '840' });
    expect(order.qr.md5).toBe(createHash('md5').update(order.qr.payload).digest('hex'));
    expect(order.deeplink).toBe(`abamobilebank://ababank.com?type=payway&qrcode=${encodeURIComponent(order.qr.payload)}`);
    const page = await t.request('GET', `/pay/${order.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="deeplink"');
    expect(page.text).toContain('abamobilebank://ababank.com?type=payway&amp;qrcode=');
    // The gateway's own QR image (the answer's qrImage) is a PNG; ours, on /pay, is drawn from the same payload.
    const image = await fetch(`${t.url}/sandbox/payway/qr-image?tran_id=${order.transaction.provider_reference}`);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);

    await kit.sandboxPay(order.transaction.provider_reference);
    const paid = await kit.getOrder(order.id);
    expect(paid).toMatchObject({ status: 'PAID', verification: 'provider_api', paid_amount: '12.50' });
    expect(await kit.eventsOf(order.id)).toEqual(['order.created', 'order.paid']);

    // A replayed pushback for the paid order: 200, nothing changes, and PayWay is not even asked.
    const before = await kit.orderRow(order.id);
    const calls = await gatewayCalls();
    const again = await pushback({ tran_id: order.transaction.provider_reference, apv: '123456', status: '0' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ received: true, outcome: 'duplicate' });
    expect(await gatewayCalls()).toBe(calls);
    expect(await kit.orderRow(order.id)).toEqual(before);
    expect(await kit.eventsOf(order.id)).toEqual(['order.created', 'order.paid']);
  });

  it('KHR: no decimals on the wire; paid without a pushback, confirmed by verify; another by the sweeper', async () => {
    const order = await kit.createOrder({ amount: '5000', currency: 'KHR' });
    expect(order).toMatchObject({ amount: '5000', currency: 'KHR' });
    expect(BakongKHQR.decode(order.qr.payload).data).toMatchObject({ transactionCurrency: '116' });
    const wire = (await t.db.query(`SELECT wire_amount FROM transactions WHERE order_id = $1`, [order.id])).rows[0].wire_amount;
    expect(wire).toBe('5000');
    expect((await kit.verify(order.id)).json.status).toBe('PENDING');
    await paidSilently(order.transaction.provider_reference, '5000', 'KHR');
    const verified = await kit.verify(order.id);
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ status: 'PAID', verification: 'provider_api', paid_amount: '5000' });

    const swept = await kit.createOrder({ amount: '10000', currency: 'KHR' });
    await paidSilently(swept.transaction.provider_reference, '10000', 'KHR');
    expect((await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN })).status).toBe(201);
    expect(await kit.getOrder(swept.id)).toMatchObject({ status: 'PAID', paid_amount: '10000', currency: 'KHR' });
  });

  it('a forged pushback for an unpaid order changes nothing (Check Transaction says PENDING)', async () => {
    const order = await kit.createOrder();
    const before = await kit.orderRow(order.id);
    const calls = await gatewayCalls();
    const forged = await pushback({ tran_id: order.transaction.provider_reference, apv: '999999', status: '0' });
    expect(forged.status).toBe(200);
    expect(forged.json.outcome).toBe('duplicate');
    expect(await gatewayCalls()).toBe(calls + 1);
    expect(await kit.orderRow(order.id)).toEqual(before);
    expect(await kit.eventsOf(order.id)).toEqual(['order.created']);
  });

  it('pushbacks that are not the documented JSON, or name no transaction of ours, are refused and change nothing', async () => {
    const order = await kit.createOrder();
    const before = await kit.orderRow(order.id);
    expect((await pushback({ tran_id: '999999999', status: '0' })).status).toBe(404);
    expect((await pushback({ apv: '1', status: '0' })).json.code).toBe('malformed_payload');
    expect((await pushback({ tran_id: '../../x', status: '0' })).status).toBe(400);
    expect((await pushback({ tran_id: order.transaction.provider_reference })).status).toBe(400);
    expect((await t.request('POST', '/callbacks/payway/pushback', { rawBody: 'not json', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const big = await pushback({ tran_id: order.transaction.provider_reference, status: '0', pad: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect(await kit.orderRow(order.id)).toEqual(before);
  });

  it('a payment of another amount is flagged amount_mismatch, not PAID', async () => {
    const order = await kit.createOrder({ amount: '20.00' });
    await kit.sandboxPay(order.transaction.provider_reference, '2.00');
    const after = await kit.getOrder(order.id);
    expect(after.status).toBe('PENDING');
    expect(after.flags).toContain('amount_mismatch');
  });

  it.each([
    ['http500', 502, 'provider_unavailable'],
    ['http429', 502, 'provider_rate_limited'],
    ['garbage', 502, 'provider_bad_response'],
    ['timeout', 504, 'provider_timeout'],
  ])('gateway fault %s: create and verify answer %i %s, a pushback too, and nothing changes', async (mode, status, code) => {
    const order = await kit.createOrder();
    await paidSilently(order.transaction.provider_reference, '12.50', 'USD');
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'payway', mode } });
    const create = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'payway', amount: '1.00', reference: kit.nextReference() } });
    expect([create.status, create.json.code]).toEqual([status, code]);
    const verify = await kit.verify(order.id);
    expect([verify.status, verify.json.code]).toEqual([status, code]);
    const push = await pushback({ tran_id: order.transaction.provider_reference, status: '0' });
    expect([push.status, push.json.code]).toEqual([status, code]);
    expect((await kit.getOrder(order.id)).status).toBe('PENDING');
    await t.request('DELETE', '/sandbox/control/faults');
    expect((await kit.verify(order.id)).json.status).toBe('PAID');
  });

  it('the simulator checks the documented hash: a wrong key is refused with 403 and code "1"', async () => {
    const order = await kit.createOrder();
    const ok = await check(order.transaction.provider_reference);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: { code: '00' }, data: { payment_status_code: 2, payment_status: 'PENDING' } });
    const wrong = await check(order.transaction.provider_reference, 'another-key');
    expect(wrong.status).toBe(403);
    expect(wrong.json.status.code).toBe('1');
    // A wrong api_key on the account: creating an order is refused as the merchant's credentials.
    const other = await t.createMerchant('PayWay wrong key');
    await configurePayway(t, other, 'not-the-registered-key');
    await t.request('PUT', '/v1/provider-accounts/payway', {
      token: other.apiKey,
      body: { merchant_id: paywayMerchantIdFor(m), api_key: 'not-the-registered-key', base_url: `${t.url}/sandbox/payway` },
    });
    const refused = await t.request('POST', '/v1/orders', {
      token: other.apiKey,
      body: { provider: 'payway', amount: '1.00', reference: kit.nextReference() },
    });
    expect([refused.status, refused.json.code]).toEqual([502, 'provider_auth']);
  });

  it('the demo account carries the key the simulator serves', async () => {
    const served = (await t.request('GET', '/sandbox/payway/rsa-public-key')).text;
    expect(DEMO_ACCOUNTS.payway('x').rsa_public_key).toBe(served);
  });

  describe('refund() and checkRefund() against the simulator over HTTP', () => {
    const refundOf = async (orderId: string, amountMinor: number): Promise<RefundInput<never>> => {
      const txn = (await t.db.query(`SELECT * FROM transactions WHERE order_id = $1`, [orderId])).rows[0];
      const account = { ...(await accountOf()) };
      return {
        refundId: `re_${orderId.slice(-8)}`,
        amountMinor,
        currency: txn.currency,
        reason: null,
        transaction: {
          id: txn.id,
          number: Number(txn.number),
          providerReference: txn.provider_reference,
          amountMinor: Number(txn.amount_minor),
          currency: txn.currency,
          wireAmount: txn.wire_amount,
          createdAt: txn.created_at,
          expiresAt: txn.expires_at,
        },
        account: account as never,
      };
    };
    const accountOf = async () => {
      const key = (await t.request('GET', '/sandbox/payway/rsa-public-key')).text;
      return { merchant_id: paywayMerchantIdFor(m), api_key: PAYWAY_TEST_API_KEY, rsa_public_key: key, base_url: `${t.url}/sandbox/payway` };
    };
    const provider = () => t.app.get(PaywayProvider);

    it('a partial refund succeeds, checkRefund confirms it, and PayWay refuses more than was paid (FAILED)', async () => {
      const order = await kit.createOrder({ amount: '10.00' });
      await kit.sandboxPay(order.transaction.provider_reference);
      const first = await refundOf(order.id, 400);
      expect(await provider().refund(first)).toEqual({ status: 'SUCCEEDED' });
      expect(await provider().checkRefund({ ...first, providerRefundId: null })).toEqual({ status: 'SUCCEEDED' });
      expect((await check(order.transaction.provider_reference)).json.data).toMatchObject({ payment_status_code: 4, refund_amount: 4, original_amount: 10 });
      // The order stays PAID when PayWay reports the transaction REFUNDED.
      expect((await kit.verify(order.id)).json).toMatchObject({ status: 'PAID' });
      const tooMuch = await provider().refund(await refundOf(order.id, 700));
      expect(tooMuch.status).toBe('FAILED');
      expect(await provider().checkRefund({ ...(await refundOf(order.id, 1000)), providerRefundId: null })).toMatchObject({ status: 'FAILED' });
      expect(await provider().refund(await refundOf(order.id, 600))).toEqual({ status: 'SUCCEEDED' });
    });

    it('KHR, and an unpaid transaction is refused (FAILED)', async () => {
      const order = await kit.createOrder({ amount: '8000', currency: 'KHR' });
      expect((await provider().refund(await refundOf(order.id, 8000))).status).toBe('FAILED');
      await kit.sandboxPay(order.transaction.provider_reference);
      expect(await provider().refund(await refundOf(order.id, 8000))).toEqual({ status: 'SUCCEEDED' });
    });

    it('no usable answer throws ProviderError (the refund stays PENDING for the sweeper); a key the simulator cannot read is refused', async () => {
      const order = await kit.createOrder({ amount: '3.00' });
      await kit.sandboxPay(order.transaction.provider_reference);
      for (const [mode, kind] of [
        ['timeout', 'timeout'],
        ['http500', 'unavailable'],
        ['garbage', 'bad_response'],
      ]) {
        await t.request('POST', '/sandbox/control/faults', { body: { provider: 'payway', mode } });
        const err = await provider()
          .refund(await refundOf(order.id, 100))
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ProviderError);
        expect((err as ProviderError).kind).toBe(kind);
      }
      await t.request('DELETE', '/sandbox/control/faults');
      const input = await refundOf(order.id, 100);
      const { publicKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('rsa', { modulusLength: 2048 }));
      const foreign = { ...input, account: { ...(input.account as object), rsa_public_key: publicKey.export({ type: 'spki', format: 'pem' }) } as never };
      expect((await provider().refund(foreign)).status).toBe('FAILED');
      const badKey = { ...input, account: { ...(input.account as object), api_key: 'wrong' } as never };
      await expect(provider().refund(badKey)).rejects.toMatchObject({ kind: 'auth' });
      // Nothing was refunded by the refused calls.
      expect((await check(order.transaction.provider_reference)).json.data.refund_amount).toBe(0);
    });
  });
});
