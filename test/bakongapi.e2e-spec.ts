import { BakongKHQR } from 'bakong-khqr';
import { createHash } from 'node:crypto';
import { bakongIdFor, configureBakongapi, fetchQrImage, FakeGateway, startFakeGateway } from './helpers/bakong';
import { gatewayKit } from './helpers/gateway-kit';
import { httpRequest, startTestApp, TestApp, TestMerchant } from './helpers/test-app';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const FIFTEEN_MINUTES_MS = 15 * 60_000;
/** The SDK's own CRC-16 (plain JavaScript, untyped), so the test does not reuse ours. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkCrc16: (payload: string) => string = require('bakong-khqr/src/helper/crc16');

describe('bakongapi (Bakong KHQR API service) end to end through the sandbox', () => {
  let t: TestApp;
  let m: TestMerchant;
  const kit = gatewayKit({ provider: 'bakongapi', app: () => t, merchant: () => m, referencePrefix: 'BA', orderDefaults: { amount: '10.50' } });
  const newOrder = (body: Record<string, unknown> = {}, merchant = m) => kit.createOrder(body, merchant);
  const verify = (id: string, merchant = m) => kit.verify(id, merchant);
  const sandboxPay = (ref: string, amount?: string) => kit.sandboxPay(ref, amount);
  const eventsOf = kit.eventsOf;
  const rowCounts = async (merchantId: string) =>
    (
      await t.db.query(
        `SELECT (SELECT count(*)::int FROM orders WHERE merchant_id = $1) AS orders, (SELECT count(*)::int FROM transactions WHERE merchant_id = $1) AS txns`,
        [merchantId],
      )
    ).rows[0];
  /** As if the QR had been created `minutes` ago (the service and our expires_at both move). */
  const age = async (orderId: string, minutes: number) => {
    await t.db.query(
      `UPDATE transactions SET created_at = created_at - make_interval(mins => $2), expires_at = expires_at - make_interval(mins => $2) WHERE order_id = $1`,
      [orderId, minutes],
    );
    await t.db.query(
      `UPDATE orders SET created_at = created_at - make_interval(mins => $2), expires_at = expires_at - make_interval(mins => $2) WHERE id = $1`,
      [orderId, minutes],
    );
  };

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('KHQR API Shop');
    await configureBakongapi(t, m);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it("create: the service's KHQR passes the SDK verify() and decodes to our account, amount and USD; expires 15 minutes later whatever expires_in says", async () => {
    const before = Date.now();
    const order = await newOrder({ expires_in: 3600 });
    expect(order).toMatchObject({ status: 'PENDING', provider: 'bakongapi', amount: '10.50', currency: 'USD', checkout_url: `${t.url}/pay/${order.id}` });
    expect(order.transaction.provider_reference).toBe(order.qr.md5);
    expect(order.qr.md5).toBe(md5(order.qr.payload));
    expect(BakongKHQR.verify(order.qr.payload).isValid).toBe(true);
    expect(BakongKHQR.decode(order.qr.payload).data).toMatchObject({
      bakongAccountID: bakongIdFor(m),
      merchantName: 'My Store',
      transactionAmount: '10.50',
      transactionCurrency: '840',
    });
    const expiresAt = Date.parse(order.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + FIFTEEN_MINUTES_MS - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + FIFTEEN_MINUTES_MS);
    // A shorter expires_in wins.
    const short = await newOrder({ expires_in: 120 });
    expect(Date.parse(short.expires_at) - Date.parse(short.created_at)).toBeLessThanOrEqual(120_000);
    // KHR is not offered by the service.
    const khr = await t.request('POST', '/v1/orders', {
      token: m.apiKey,
      body: { provider: 'bakongapi', amount: '5000', currency: 'KHR', reference: `BA-KHR-${kit.nextReference()}` },
    });
    expect(khr.status).toBe(400);
  });

  it('the QR image is ours: a PNG that decodes back to the payload', async () => {
    const order = await newOrder();
    expect(order.qr.image_url.startsWith(`${t.url}/qr/`)).toBe(true);
    const png = await fetchQrImage(order.qr.image_url);
    expect(png.status).toBe(200);
    expect(png.decoded).toBe(order.qr.payload);
    const svg = await httpRequest(`${order.qr.image_url}?format=svg`, 'GET');
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('create → pay in the sandbox → verify → PAID', async () => {
    const order = await newOrder();
    expect((await verify(order.id)).json.status).toBe('PENDING');
    await sandboxPay(order.qr.md5);
    const paid = await verify(order.id);
    expect(paid.status).toBe(200);
    expect(paid.json).toMatchObject({ status: 'PAID', verification: 'provider_api', paid_amount: '10.50', flags: [], transaction: { status: 'PAID' } });
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid']);
  });

  it('amount mismatch: flagged, not PAID', async () => {
    const order = await newOrder();
    await sandboxPay(order.qr.md5, '1.05');
    const res = await verify(order.id);
    expect(res.json).toMatchObject({ status: 'PENDING', flags: ['amount_mismatch'], paid_at: null });
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.flagged']);
  });

  it('expiry: the service answers EXPIRED after 15 minutes; a payment after that is PAID with late_payment', async () => {
    const order = await newOrder();
    await age(order.id, 16);
    const expired = await verify(order.id);
    expect(expired.json.status).toBe('EXPIRED');
    await sandboxPay(order.qr.md5);
    const late = await verify(order.id);
    expect(late.json).toMatchObject({ status: 'PAID', flags: ['late_payment'] });
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.expired', 'order.paid']);
  });

  it('late payment while still PENDING: PAID after expires_at is flagged late', async () => {
    const order = await newOrder();
    await sandboxPay(order.qr.md5);
    await age(order.id, 14); // the service still says PAID (not expired) but our expires_at is behind us
    await t.db.query(`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = $1`, [order.id]);
    await t.db.query(`UPDATE transactions SET expires_at = now() - interval '1 minute' WHERE order_id = $1`, [order.id]);
    expect((await verify(order.id)).json).toMatchObject({ status: 'PAID', flags: ['late_payment'] });
  });

  it('every gateway fault on create answers 502/504 and leaves no order behind', async () => {
    const shop = await t.createMerchant('Faulty KHQR API Shop');
    await configureBakongapi(t, shop);
    for (const [mode, status, code] of [
      ['timeout', 504, 'provider_timeout'],
      ['http500', 502, 'provider_unavailable'],
      ['garbage', 502, 'provider_bad_response'],
      ['http429', 502, 'provider_rate_limited'],
    ] as const) {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'bakongapi', mode } });
      const res = await t.request('POST', '/v1/orders', { token: shop.apiKey, body: { provider: 'bakongapi', amount: '10.50', reference: `FAULT-${mode}` } });
      expect({ mode, status: res.status, code: res.json.code }).toEqual({ mode, status, code });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    await t.request('DELETE', '/sandbox/control/faults');
    // success: false (the sandbox knows no Bakong account named unknown…).
    await configureBakongapi(t, shop, { bakong_id: 'unknown_shop@devb' });
    const refused = await t.request('POST', '/v1/orders', { token: shop.apiKey, body: { provider: 'bakongapi', amount: '10.50', reference: 'FAULT-refused' } });
    expect(refused.status).toBe(502);
    expect(refused.json).toMatchObject({ code: 'provider_rejected', provider: 'bakongapi' });
    expect(refused.json.detail).toMatch(/Bakong account not found/);
    expect(await rowCounts(shop.id)).toEqual({ orders: 0, txns: 0 });
    // The same reference works once the gateway does: nothing was half-created.
    await configureBakongapi(t, shop);
    expect(
      (await t.request('POST', '/v1/orders', { token: shop.apiKey, body: { provider: 'bakongapi', amount: '10.50', reference: 'FAULT-timeout' } })).status,
    ).toBe(201);
  });

  it('gateway faults on verify: 502/504 and the order unchanged', async () => {
    const order = await newOrder();
    await sandboxPay(order.qr.md5);
    for (const [mode, status] of [
      ['http500', 502],
      ['garbage', 502],
      ['timeout', 504],
    ] as const) {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'bakongapi', mode } });
      expect({ mode, status: (await verify(order.id)).status }).toEqual({ mode, status });
    }
    expect(await eventsOf(order.id)).toEqual(['order.created']);
    await t.request('DELETE', '/sandbox/control/faults');
    expect((await verify(order.id)).json.status).toBe('PAID');
  });

  describe('answers the sandbox never gives (a fake service)', () => {
    let fake: FakeGateway;
    let shop: TestMerchant;
    let order: { id: string; qr: { md5: string } };
    beforeAll(async () => {
      fake = await startFakeGateway();
      shop = await t.createMerchant('Fake KHQR API Shop');
      // The order is created at the sandbox; then the account points at the fake for the checks.
      await configureBakongapi(t, shop);
      order = await newOrder({}, shop);
      await configureBakongapi(t, shop, { base_url: fake.url });
    });
    afterAll(async () => {
      await fake.close();
    });

    it('malformed amounts, unknown statuses, missing fields: errors, nothing PAID', async () => {
      const bakongId = bakongIdFor(shop);
      const cases: [unknown, string, RegExp][] = [
        [{ success: true, status: 'PAID', bakong_id: bakongId, amount: 'ten' }, 'provider_bad_response', /amount/],
        [{ success: true, status: 'PAID', bakong_id: bakongId, amount: 10.505 }, 'provider_bad_response', /amount/],
        [{ success: true, status: 'PAID', bakong_id: bakongId, amount: -10.5 }, 'provider_bad_response', /amount/],
        [{ success: true, status: 'PAID', bakong_id: bakongId }, 'provider_bad_response', /amount/],
        [{ success: true, status: 'PAID', amount: 10.5 }, 'provider_bad_response', /bakong_id/],
        [{ success: true, status: 'REFUNDED', bakong_id: bakongId }, 'provider_bad_response', /unknown status/],
        [{ status: 'PENDING' }, 'provider_bad_response', /success: true/],
        [{ success: false, message: 'Rate plan exceeded' }, 'provider_rejected', /Rate plan exceeded/],
      ];
      for (const [body, code, detail] of cases) {
        fake.answer = () => ({ status: 200, body });
        const res = await verify(order.id, shop);
        expect({ status: res.status, code: res.json.code }).toEqual({ status: 502, code });
        expect(res.json.detail).toMatch(detail);
      }
      expect(fake.calls.at(-1)).toMatchObject({ method: 'GET', url: `/api/khqr/check?md5=${order.qr.md5}&bakong_id=${encodeURIComponent(bakongId)}` });
      // An md5 the service does not know (as the sandbox answers it): an error with the service's words, never PENDING.
      fake.answer = () => ({ status: 404, body: { success: false, message: 'QR code not found' } });
      const unknown = await verify(order.id, shop);
      expect({ status: unknown.status, code: unknown.json.code }).toEqual({ status: 502, code: 'provider_rejected' });
      expect(unknown.json.detail).toMatch(/QR code not found/);
      const { rows } = await t.db.query(`SELECT status, last_error FROM transactions WHERE order_id = $1`, [order.id]);
      expect(rows[0]).toMatchObject({ status: 'PENDING', last_error: expect.stringMatching(/^rejected: .*QR code not found/) });
      expect((await t.request('GET', `/v1/orders/${order.id}`, { token: shop.apiKey })).json).toMatchObject({ status: 'PENDING', paid_at: null, flags: [] });
    });

    it('a create answer whose md5 is not the md5 of its KHQR, or a KHQR for another amount: 502, nothing created', async () => {
      const real = await httpRequest(
        `${t.url}/sandbox/bakongapi/api/khqr/create?bakong_id=${encodeURIComponent(bakongIdFor(shop))}&merchantname=My%20Store&amount=10.50`,
        'GET',
      );
      for (const body of [
        { ...real.json, md5: md5('something else') },
        { ...real.json, khqrString: real.json.khqrString.replace('10.50', '10.51'), md5: md5(real.json.khqrString.replace('10.50', '10.51')) },
      ]) {
        fake.answer = () => ({ status: 200, body });
        const res = await t.request('POST', '/v1/orders', {
          token: shop.apiKey,
          body: { provider: 'bakongapi', amount: '10.50', reference: `BAD-CREATE-${kit.nextReference()}` },
        });
        expect({ status: res.status, code: res.json.code }).toEqual({ status: 502, code: 'provider_bad_response' });
      }
      expect(fake.calls.at(-1)!.url).toBe(`/api/khqr/create?bakong_id=${encodeURIComponent(bakongIdFor(shop))}&merchantname=My%20Store&amount=10.50`);
      expect(await rowCounts(shop.id)).toEqual({ orders: 1, txns: 1 });
    });

    it('a create answer whose KHQR has no expiry tag (the document promises none): created, expiring 15 minutes later', async () => {
      const real = await httpRequest(
        `${t.url}/sandbox/bakongapi/api/khqr/create?bakong_id=${encodeURIComponent(bakongIdFor(shop))}&merchantname=My%20Store&amount=10.50`,
        'GET',
      );
      // Tag 99 (creation and expiration timestamps) cut out, the CRC recomputed with the SDK's own crc16.
      const withoutExpiry = real.json.khqrString.replace(/99\d\d0013\d{13}0113\d{13}(?=6304)/, '').slice(0, -4);
      expect(withoutExpiry).not.toContain('0113');
      const khqrString = withoutExpiry + sdkCrc16(withoutExpiry);
      expect(BakongKHQR.verify(khqrString).isValid).toBe(false); // what used to refuse it
      fake.answer = () => ({ status: 200, body: { bakong_qr: `${fake.url}/bakong-qr?md5=${md5(khqrString)}`, md5: md5(khqrString), khqrString } });
      const before = Date.now();
      const res = await t.request('POST', '/v1/orders', {
        token: shop.apiKey,
        body: { provider: 'bakongapi', amount: '10.50', reference: `NO-EXPIRY-${kit.nextReference()}`, expires_in: 3600 },
      });
      expect(res.status).toBe(201);
      expect(res.json.qr).toMatchObject({ payload: khqrString, md5: md5(khqrString) });
      expect(Date.parse(res.json.expires_at)).toBeGreaterThanOrEqual(before + FIFTEEN_MINUTES_MS - 1000);
      expect(Date.parse(res.json.expires_at)).toBeLessThanOrEqual(Date.now() + FIFTEEN_MINUTES_MS);
    });
  });

  it('the simulated service answers with the documented shapes', async () => {
    const id = bakongIdFor(m);
    const created = await httpRequest(
      `${t.url}/sandbox/bakongapi/api/khqr/create?bakong_id=${encodeURIComponent(id)}&merchantname=My%20Store&amount=10.50`,
      'GET',
    );
    expect(created.status).toBe(200);
    expect(Object.keys(created.json).sort()).toEqual(['bakong_qr', 'khqrString', 'md5']);
    expect(created.json.md5).toBe(md5(created.json.khqrString));
    const image = await fetch(created.json.bakong_qr);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
    // Known to the service although no order of ours uses it yet.
    const check = await httpRequest(`${t.url}/sandbox/bakongapi/api/khqr/check?md5=${created.json.md5}&bakong_id=${encodeURIComponent(id)}`, 'GET');
    expect(check.json).toEqual({ success: true, status: 'PENDING', bakong_id: id, amount: 10.5 });
    const unknownMd5 = await httpRequest(`${t.url}/sandbox/bakongapi/api/khqr/check?md5=${md5('never created')}&bakong_id=${encodeURIComponent(id)}`, 'GET');
    expect([unknownMd5.status, unknownMd5.json]).toEqual([404, { success: false, message: 'QR code not found' }]);
    const otherAccount = await httpRequest(`${t.url}/sandbox/bakongapi/api/khqr/check?md5=${created.json.md5}&bakong_id=other%40devb`, 'GET');
    expect(otherAccount.json).toMatchObject({ success: false });
    const badAmount = await httpRequest(`${t.url}/sandbox/bakongapi/api/khqr/create?bakong_id=${encodeURIComponent(id)}&merchantname=x&amount=1.234`, 'GET');
    expect(badAmount.json).toMatchObject({ success: false });
  });
});
