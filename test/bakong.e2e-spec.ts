import { BakongKHQR } from 'bakong-khqr';
import { createHash } from 'node:crypto';
import { bakongIdFor, configureBakong, expiredJwt, fetchQrImage, FakeGateway, startFakeGateway, storeBakongUnchecked } from './helpers/bakong';
import { createOrders, expireInDb, FAST_SWEEP_ENV, manualRun, pay, sandboxCalls, statuses } from './helpers/reconciliation';
import { gatewayKit } from './helpers/gateway-kit';
import { httpRequest, startTestApp, TestApp, TestMerchant } from './helpers/test-app';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('bakong (Bakong Open API direct, KHQR generated locally) end to end through the sandbox', () => {
  let t: TestApp;
  let m: TestMerchant;
  const kit = gatewayKit({ provider: 'bakong', app: () => t, merchant: () => m, referencePrefix: 'BK', orderDefaults: { amount: '12.50' } });
  const newOrder = (body: Record<string, unknown> = {}, merchant = m) => kit.createOrder(body, merchant);
  const verify = (id: string, merchant = m) => kit.verify(id, merchant);
  const sandboxPay = (ref: string, amount?: string) => kit.sandboxPay(ref, amount);
  const eventsOf = kit.eventsOf;
  /** The SDK's verify() and decode() on a QR we handed out, and its md5. */
  const checkKhqr = (order: { qr: { payload: string; md5: string } }) => {
    expect(BakongKHQR.verify(order.qr.payload).isValid).toBe(true);
    expect(order.qr.md5).toBe(md5(order.qr.payload));
    return BakongKHQR.decode(order.qr.payload).data!;
  };

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Bakong Shop');
    await configureBakong(t, m);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('creates a dynamic KHQR locally (one gateway call: its bank-app deeplink) that the SDK verifies and decodes to the order', async () => {
    await t.request('DELETE', '/sandbox/control/stats');
    const order = await newOrder({ reference: 'INV-2026-000000000000000042', expires_in: 600 });
    expect(order).toMatchObject({ status: 'PENDING', provider: 'bakong', amount: '12.50', currency: 'USD', checkout_url: `${t.url}/pay/${order.id}` });
    expect(order.transaction.provider_reference).toBe(order.qr.md5);
    const decoded = checkKhqr(order);
    expect(decoded).toMatchObject({
      merchantType: '29',
      bakongAccountID: bakongIdFor(m),
      merchantName: 'Test Shop',
      merchantCity: 'Phnom Penh',
      transactionAmount: '12.50',
      transactionCurrency: '840',
      pointofInitiationMethod: '12',
      billNumber: 'INV-2026-0000000000000000', // the reference, cut to KHQR's 25 characters
      expirationTimestamp: String(Date.parse(order.expires_at)),
    });
    expect((await sandboxCalls(t)).bakong).toBe(1);
    expect(order.deeplink).toBe(`${t.url}/sandbox/bakong/link/${order.qr.md5}`);
    const { rows } = await t.db.query(`SELECT wire_amount FROM transactions WHERE order_id = $1`, [order.id]);
    expect(rows[0].wire_amount).toBe('12.50');

    const khr = await newOrder({ amount: '5000', currency: 'KHR' });
    expect(checkKhqr(khr)).toMatchObject({ transactionAmount: '5000', transactionCurrency: '116' });
  });

  it('makes a merchant KHQR (tag 30) when the account has merchant_id and acquiring_bank', async () => {
    const shop = await t.createMerchant('Bakong Merchant Account');
    await configureBakong(t, shop, { merchant_id: '000123456', acquiring_bank: 'ACLEDA Bank', merchant_city: 'Siem Reap' });
    const order = await newOrder({ amount: '7.00' }, shop);
    expect(checkKhqr(order)).toMatchObject({
      merchantType: '30',
      merchantID: '000123456',
      acquiringBank: 'ACLEDA Bank',
      merchantCity: 'Siem Reap',
      transactionAmount: '7.00',
    });
    // A merchant id without its acquiring bank cannot make a KHQR: 422, nothing created.
    await configureBakong(t, shop, { merchant_id: '000123456' });
    const res = await t.request('POST', '/v1/orders', { token: shop.apiKey, body: { provider: 'bakong', amount: '1.00', reference: 'NO-BANK-1' } });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('khqr_generation_failed');
    expect((await t.db.query(`SELECT count(*)::int AS n FROM orders WHERE merchant_id = $1 AND reference = 'NO-BANK-1'`, [shop.id])).rows[0].n).toBe(0);
  });

  it('refuses account settings a KHQR cannot carry', async () => {
    const res = await t.request('PUT', '/v1/provider-accounts/bakong', {
      token: m.apiKey,
      body: { account_id: 'no-at-sign', merchant_name: 'x'.repeat(26), merchant_city: 'ភ្នំពេញ', token: 't' },
    });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['account_id', 'merchant_city', 'merchant_name']);
  });

  it('serves the QR image: a PNG that decodes back to the payload, an SVG, cacheable, 404 for an unknown token', async () => {
    const order = await newOrder();
    expect(order.qr.image_url).toMatch(new RegExp(`^${t.url}/qr/[A-Za-z0-9_-]{32}$`));
    const png = await fetchQrImage(order.qr.image_url);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('public, max-age=86400, immutable');
    expect(png.decoded).toBe(order.qr.payload);
    const etag = png.headers.get('etag')!;
    expect((await httpRequest(order.qr.image_url, 'GET', { headers: { 'if-none-match': etag } })).status).toBe(304);

    const svg = await httpRequest(`${order.qr.image_url}?format=svg`, 'GET');
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(svg.text).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.text).not.toMatch(/<script/i);

    const unknown = await httpRequest(`${t.url}/qr/${'A'.repeat(32)}`, 'GET');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect((await httpRequest(`${t.url}/qr/..%2F..%2Fetc`, 'GET')).status).toBe(404);
    expect((await httpRequest(`${order.qr.image_url}?format=gif`, 'GET')).status).toBe(400);
  });

  it('create → pay in the sandbox → verify → PAID at the payment time, with the Bakong hash as proof', async () => {
    const order = await newOrder();
    const pending = await verify(order.id);
    expect(pending.status).toBe(200);
    expect(pending.json.status).toBe('PENDING');
    const payment = await sandboxPay(order.qr.md5);
    const paid = await verify(order.id);
    expect(paid.status).toBe(200);
    expect(paid.json).toMatchObject({ status: 'PAID', verification: 'provider_api', paid_amount: '12.50', flags: [], transaction: { status: 'PAID' } });
    expect(paid.json.paid_at).toBe(payment.paid_at);
    const { rows } = await t.db.query(`SELECT provider_proof, check_count, last_error FROM transactions WHERE order_id = $1`, [order.id]);
    expect(rows[0]).toMatchObject({ check_count: 2, last_error: null });
    expect(rows[0].provider_proof).toMatch(/^[0-9a-f]{64}$/);
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid']);
  });

  it('a KHR payment of the right amount pays a KHR order', async () => {
    const order = await newOrder({ amount: '40000', currency: 'KHR' });
    await sandboxPay(order.qr.md5);
    expect((await verify(order.id)).json).toMatchObject({ status: 'PAID', paid_amount: '40000', currency: 'KHR' });
  });

  it('amount mismatch: flagged, not PAID, flagged once', async () => {
    const order = await newOrder();
    await sandboxPay(order.qr.md5, '1.00');
    const res = await verify(order.id);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'PENDING', flags: ['amount_mismatch'], paid_at: null });
    await verify(order.id);
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.flagged']);
  });

  it('expiry: an md5 still unknown after expires_at (and the grace minute) expires; a payment after that is PAID and flagged late', async () => {
    const order = await newOrder({ expires_in: 60 });
    await expireInDb(t, [order.id], 30);
    // Within the grace period a payment may still be on its way: still PENDING.
    expect((await verify(order.id)).json.status).toBe('PENDING');
    await expireInDb(t, [order.id], 120);
    const expired = await verify(order.id);
    expect(expired.json.status).toBe('EXPIRED');
    await sandboxPay(order.qr.md5);
    const late = await verify(order.id);
    expect(late.json).toMatchObject({ status: 'PAID', flags: ['late_payment'] });
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.expired', 'order.paid']);
  });

  it('late payment: createdDateMs after expires_at is flagged even while the order is PENDING', async () => {
    const order = await newOrder({ expires_in: 600 });
    await sandboxPay(order.qr.md5);
    await expireInDb(t, [order.id], 10);
    const res = await verify(order.id);
    expect(res.json).toMatchObject({ status: 'PAID', flags: ['late_payment'] });
    expect(new Date(res.json.paid_at).getTime()).toBeGreaterThan(new Date(res.json.expires_at).getTime());
  });

  it('an expired token: verify answers 502 provider_auth, changes nothing, and the account is marked as needing a new token', async () => {
    const shop = await t.createMerchant('Expired Token Shop');
    // Saved while the token was good; it has expired since (a PUT with an expired token is refused now).
    await storeBakongUnchecked(t, shop, { token: expiredJwt() });
    const order = await newOrder({}, shop);
    await sandboxPay(order.qr.md5);
    const res = await verify(order.id, shop);
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'provider_auth', provider: 'bakong' });
    expect(res.json.detail).toMatch(/renew_token/);
    const after = (await t.request('GET', `/v1/orders/${order.id}`, { token: shop.apiKey })).json;
    expect(after).toMatchObject({ status: 'PENDING', paid_at: null });
    const { rows } = await t.db.query(`SELECT last_error FROM transactions WHERE order_id = $1`, [order.id]);
    expect(rows[0].last_error).toMatch(/^auth: /);
    const accounts = (await t.request('GET', '/v1/provider-accounts', { token: shop.apiKey })).json;
    const account = (accounts.data ?? accounts).find((a: { provider: string }) => a.provider === 'bakong');
    expect(account.needs_attention).toMatch(/token/);
    expect(account.credentials.token).toMatch(/^••••/);

    // Until the merchant fixes it, the sweeper does not call Bakong with the rejected token again:
    // the check is skipped (a call would have recorded "auth: …" again).
    await manualRun(t);
    const skipped = await t.db.query(`SELECT last_error, status FROM transactions WHERE order_id = $1`, [order.id]);
    expect(skipped.rows[0]).toMatchObject({ status: 'PENDING', last_error: expect.stringMatching(/^rejected: the bakong account needs new credentials/) });

    // The merchant renews the token at Bakong and puts it in: the account is healthy again and the payment shows.
    const renewed = await t.request('POST', '/sandbox/bakong/v1/renew_token', { body: { email: 'owner@shop.example' } });
    expect(renewed.json).toMatchObject({
      responseCode: 0,
      responseMessage: 'Token has been issued',
      errorCode: null,
      data: { token: expect.stringMatching(/^eyJ/) },
    });
    await configureBakong(t, shop, { token: renewed.json.data.token });
    expect((await verify(order.id, shop)).json.status).toBe('PAID');
  });

  it('gateway faults on verify: 502/504 and the order unchanged', async () => {
    const order = await newOrder();
    await sandboxPay(order.qr.md5);
    for (const [mode, status, code] of [
      ['http500', 502, 'provider_unavailable'],
      ['garbage', 502, 'provider_bad_response'],
      ['http429', 502, 'provider_rate_limited'],
      ['timeout', 504, 'provider_timeout'],
    ] as const) {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'bakong', mode } });
      const res = await verify(order.id);
      expect({ mode, status: res.status, code: res.json.code }).toEqual({ mode, status, code });
    }
    expect((await t.request('GET', `/v1/orders/${order.id}`, { token: m.apiKey })).json.status).toBe('PENDING');
    expect(await eventsOf(order.id)).toEqual(['order.created']);
    await t.request('DELETE', '/sandbox/control/faults');
    expect((await verify(order.id)).json.status).toBe('PAID');
  });

  describe('answers the sandbox never gives (a fake Open API)', () => {
    let fake: FakeGateway;
    let shop: TestMerchant;
    beforeAll(async () => {
      fake = await startFakeGateway();
      shop = await t.createMerchant('Fake Bakong Shop');
      await configureBakong(t, shop, { base_url: fake.url, token: 'fake-token-1' });
    });
    afterAll(async () => {
      await fake.close();
    });

    it('malformed amounts, a foreign account, unknown codes: errors, nothing PAID', async () => {
      const order = await newOrder({}, shop);
      const data = {
        hash: 'ab'.repeat(32),
        fromAccountId: 'payer@abaa',
        toAccountId: bakongIdFor(shop),
        currency: 'USD',
        amount: 12.5,
        createdDateMs: Date.now(),
        acknowledgedDateMs: Date.now(),
      };
      const cases: [unknown, number, RegExp][] = [
        [{ responseCode: 0, errorCode: null, data: { ...data, amount: '12.5.0' } }, 200, /amount/],
        [{ responseCode: 0, errorCode: null, data: { ...data, amount: -12.5 } }, 200, /amount/],
        [{ responseCode: 0, errorCode: null, data: { ...data, amount: 12.505 } }, 200, /amount/],
        [{ responseCode: 0, errorCode: null, data: { ...data, amount: null } }, 200, /amount/],
        [{ responseCode: 0, errorCode: null, data: { ...data, toAccountId: 'thief@devb' } }, 200, /configured account/],
        [{ responseCode: 1, errorCode: 42, responseMessage: 'New error' }, 200, /unknown errorCode 42/],
        [{ status: 'ok' }, 200, /responseCode/],
      ];
      for (const [body, status, detail] of cases) {
        fake.answer = () => ({ status, body });
        const res = await verify(order.id, shop);
        expect({ status: res.status, code: res.json.code }).toEqual({ status: 502, code: 'provider_bad_response' });
        expect(res.json.detail).toMatch(detail);
      }
      // What we sent: JSON md5, Bearer token, the documented path.
      expect(fake.calls.at(-1)).toMatchObject({
        method: 'POST',
        url: '/v1/check_transaction_by_md5',
        body: JSON.stringify({ md5: order.qr.md5 }),
        authorization: 'Bearer fake-token-1',
      });
      expect((await t.request('GET', `/v1/orders/${order.id}`, { token: shop.apiKey })).json).toMatchObject({ status: 'PENDING', paid_at: null, flags: [] });
    });

    it('HTTP 403 (the Open API serves Cambodian addresses only): 502, nothing changed, the account needs attention and is not called again', async () => {
      const order = await newOrder({}, shop);
      fake.answer = () => ({ status: 403, body: '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>' });
      const res = await verify(order.id, shop);
      expect({ status: res.status, code: res.json.code }).toEqual({ status: 502, code: 'provider_auth' });
      expect(res.json.detail).toMatch(/Cambodian IP addresses only/);
      expect((await t.request('GET', `/v1/orders/${order.id}`, { token: shop.apiKey })).json).toMatchObject({ status: 'PENDING', paid_at: null, flags: [] });
      const accounts = (await t.request('GET', '/v1/provider-accounts', { token: shop.apiKey })).json;
      const account = (accounts.data ?? accounts).find((a: { provider: string }) => a.provider === 'bakong');
      expect(account.needs_attention).toMatch(/Cambodian IP addresses only.*relay/);
      const calls = fake.calls.length;
      await manualRun(t);
      expect(fake.calls.length).toBe(calls);
      // Moving the host (a PUT, here to the same fake now answering) clears it.
      await configureBakong(t, shop, { base_url: fake.url, token: 'fake-token-1' });
      fake.answer = () => ({ status: 200, body: { responseCode: 1, errorCode: 1, responseMessage: 'Transaction could not be found', data: null } });
      expect((await verify(order.id, shop)).json.status).toBe('PENDING');
    });
  });

  it('the simulated Open API answers with the real shapes', async () => {
    const order = await newOrder();
    const auth = { authorization: `Bearer tok-${m.id}` };
    const unknown = await t.request('POST', '/sandbox/bakong/v1/check_transaction_by_md5', { headers: auth, body: { md5: md5('nobody') } });
    expect(unknown.json).toEqual({ responseCode: 1, responseMessage: 'Transaction could not be found. Please check and try again.', errorCode: 1, data: null });
    await sandboxPay(order.qr.md5);
    const found = await t.request('POST', '/sandbox/bakong/v1/check_transaction_by_md5', { headers: auth, body: { md5: order.qr.md5 } });
    expect(found.json).toMatchObject({
      responseCode: 0,
      errorCode: null,
      data: {
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        fromAccountId: expect.any(String),
        toAccountId: bakongIdFor(m),
        currency: 'USD',
        amount: 12.5,
        createdDateMs: expect.any(Number),
        acknowledgedDateMs: expect.any(Number),
      },
    });
    const noToken = await t.request('POST', '/sandbox/bakong/v1/check_transaction_by_md5', { body: { md5: order.qr.md5 } });
    expect(noToken.status).toBe(401);
    expect(noToken.json).toMatchObject({ responseCode: 1, errorCode: 6 });
    const list = await t.request('POST', '/sandbox/bakong/v1/check_transaction_by_md5_list', { headers: auth, body: [order.qr.md5, md5('nobody')] });
    expect(list.json.data).toEqual([
      { md5: order.qr.md5, status: 'SUCCESS', message: expect.any(String), data: expect.objectContaining({ toAccountId: bakongIdFor(m) }) },
      { md5: md5('nobody'), status: 'NOT_FOUND', message: expect.any(String), data: null },
    ]);
    const tooMany = await t.request('POST', '/sandbox/bakong/v1/check_transaction_by_md5_list', {
      headers: auth,
      body: Array.from({ length: 51 }, (_, i) => md5(String(i))),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toMatchObject({ responseCode: 1, errorCode: 5 });
  });
});

describe('bakong batch verify: 120 PENDING orders in 3 Open API calls', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: FAST_SWEEP_ENV });
  });
  afterAll(async () => {
    await t.close();
  });

  it('one reconciliation run checks all 120 with check_transaction_by_md5_list (≤ 50 each)', async () => {
    const m = await t.createMerchant('Batch Shop');
    await configureBakong(t, m);
    const orders = await createOrders(t, m, 'bakong', 120, { expires_in: 3600 });
    // The SDK's verify() on every QR handed out.
    const { rows } = await t.db.query(`SELECT qr_payload, qr_md5 FROM orders WHERE id = ANY($1)`, [orders.map((o) => o.id)]);
    expect(rows).toHaveLength(120);
    for (const row of rows) expect({ valid: BakongKHQR.verify(row.qr_payload).isValid, md5: md5(row.qr_payload) }).toEqual({ valid: true, md5: row.qr_md5 });
    const paid = orders.filter((_, i) => i % 20 === 0); // 6
    for (const o of paid) await pay(t, o);
    const mismatched = orders[7];
    await pay(t, mismatched, '1.00');
    await t.request('DELETE', '/sandbox/control/stats');

    const run = await manualRun(t);

    expect(run).toMatchObject({ status: 'completed', claimed: 120, checked: 120, paid: 6, errors: 0 });
    expect(run.providers.bakong).toMatchObject({ calls: 3, errors: 0 });
    expect((await sandboxCalls(t)).bakong).toBe(3);
    const now = await statuses(
      t,
      orders.map((o) => o.id),
    );
    const paidIds = new Set(paid.map((o) => o.id));
    for (const o of orders) {
      const expected = paidIds.has(o.id)
        ? { status: 'PAID', flags: [] }
        : o.id === mismatched.id
          ? { status: 'PENDING', flags: ['amount_mismatch'] }
          : { status: 'PENDING', flags: [] };
      expect({ id: o.id, ...now.get(o.id) }).toEqual({ id: o.id, ...expected });
    }
  });
});
