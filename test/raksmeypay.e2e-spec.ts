import { createHash } from 'node:crypto';
import { startFakeGateway } from './helpers/bakong';
import { gatewayKit } from './helpers/gateway-kit';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { httpRequest, startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/** sha1 as the gateway's PHP computes it (written here independently of the provider code). */
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const PROFILE_KEY = 'rk-live-3b9f1c2d';

describe('RaksmeyPay end to end through the sandbox', () => {
  let t: TestApp;
  let m: TestMerchant;
  const kit = gatewayKit({
    provider: 'raksmeypay',
    app: () => t,
    merchant: () => m,
    referencePrefix: 'R',
    orderDefaults: { success_url: 'https://shop.example.com/thanks?o=1' },
  });
  const newOrder = (amount = '12.50', extra: Record<string, unknown> = {}) => kit.createOrder({ amount, ...extra });
  const getOrder = (id: string) => kit.getOrder(id);
  const getOrderOf = (merchant: TestMerchant, id: string) => kit.getOrder(id, merchant);
  const eventsOf = kit.eventsOf;
  const signedReturn = (
    order: { transaction: { provider_reference: string } },
    opts: { time?: number; amount?: string; key?: string; bakong?: string } = {},
  ) => {
    const txn = order.transaction.provider_reference;
    const time = String(opts.time ?? Math.floor(Date.now() / 1000));
    const amount = opts.amount ?? '12.5';
    const bakong = opts.bakong ?? 'b4k0n9';
    const hash = sha1((opts.key ?? PROFILE_KEY) + time + amount + bakong + txn);
    return `/callbacks/raksmeypay/${txn}/return?success_time=${time}&success_amount=${amount}&bakong_hash=${bakong}&success_hash=${hash}`;
  };

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Raksmey Shop');
    await configureRaksmeypay(t, m, PROFILE_KEY);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('a customer opens the link, pays on the gateway page and returns: PAID by signed return, redirected to success_url', async () => {
    const order = await newOrder();
    // 1. The browser opens checkout_url: the gateway checks our hash and shows its page.
    const page = await httpRequest(order.checkout_url, 'GET');
    expect(page.status).toBe(200);
    expect(page.text).toContain('$12.5');
    // 2. The customer presses Pay: the page's form posts its hidden fields.
    const action = /<form method="post" action="([^"]+)">/.exec(page.text)![1];
    const fields = [...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, k, v]) => [
      k,
      v.replace(/&amp;/g, '&').replace(/&quot;/g, '"'),
    ]);
    const paid = await httpRequest(t.url + action, 'POST', {
      rawBody: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(paid.status).toBe(302);
    const returnUrl = paid.headers.get('location')!;
    expect(returnUrl.startsWith(`${t.url}/callbacks/raksmeypay/${order.transaction.provider_reference}/return?`)).toBe(true);
    // 3. The gateway sends the browser to our return URL, which verifies and redirects to the merchant.
    const back = await httpRequest(returnUrl, 'GET');
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('https://shop.example.com/thanks?o=1');
    const after = await getOrder(order.id);
    expect(after).toMatchObject({ status: 'PAID', verification: 'signed_return', paid_amount: '12.50', flags: [] });
    expect(after.transaction.status).toBe('PAID');
    // The same return replayed changes nothing and still redirects.
    expect((await httpRequest(returnUrl, 'GET')).status).toBe(302);
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid']);
  });

  it('the gateway refuses a link whose hash was tampered with', async () => {
    const order = await newOrder();
    const res = await httpRequest(order.checkout_url.replace('amount=12.5', 'amount=0.01'), 'GET');
    expect(res.status).toBe(400);
    expect(res.text).toContain('Invalid hash');
  });

  it('verify: PENDING until paid, then PAID by provider_api; the verify API is form-encoded and sha1-signed', async () => {
    const order = await newOrder('10.00');
    const pending = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    expect(pending.status).toBe(200);
    expect(pending.json.status).toBe('PENDING');
    const checked = await t.db.query(`SELECT check_count, last_error FROM transactions WHERE order_id = $1`, [order.id]);
    expect(checked.rows[0]).toEqual({ check_count: 1, last_error: null });
    await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: order.transaction.provider_reference } });
    const res = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    expect(res.json).toMatchObject({ status: 'PAID', verification: 'provider_api', paid_amount: '10.00' });
    // Opening the link after paying goes straight back to us, signed.
    const page = await httpRequest(order.checkout_url, 'GET');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toContain('success_amount=10&');
  });

  it('a payment of another amount is flagged amount_mismatch, not PAID', async () => {
    const order = await newOrder('20.00');
    await t.request('POST', '/sandbox/control/pay', {
      body: { provider: 'raksmeypay', provider_reference: order.transaction.provider_reference, amount: '2.00' },
    });
    const res = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    expect(res.json).toMatchObject({ status: 'PENDING', flags: ['amount_mismatch'], verification: null });
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.flagged']);
    // Verifying again does not flag twice.
    await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    expect(await eventsOf(order.id)).toEqual(['order.created', 'order.flagged']);
  });

  it.each([
    ['http500', 502, 'provider_unavailable'],
    ['garbage', 502, 'provider_bad_response'],
    ['http429', 502, 'provider_rate_limited'],
    ['timeout', 504, 'provider_timeout'],
  ])('verify API %s -> %i problem, order unchanged, last_error recorded', async (mode, status, code) => {
    const order = await newOrder();
    await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: order.transaction.provider_reference } });
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', mode } });
    const res = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    expect(res.status).toBe(status);
    expect(res.json.code).toBe(code);
    expect(res.json.detail).toMatch(/^raksmeypay: /);
    const after = await getOrder(order.id);
    expect(after.status).toBe('PENDING');
    const txn = await t.db.query(`SELECT last_error FROM transactions WHERE order_id = $1`, [order.id]);
    expect(txn.rows[0].last_error).toBeTruthy();
    expect(await eventsOf(order.id)).toEqual(['order.created']);
  });

  it('success_url carries a query, so the gateway appending "&success_time=…" (as in the document\'s example) still reaches our return', async () => {
    const order = await newOrder();
    // success_url is urlencoded once, then http_build_query encodes it again.
    const successUrl = decodeURIComponent(
      decodeURIComponent(new URL(order.checkout_url).searchParams.get('success_url')!.replace(/\+/g, ' ')).replace(/\+/g, ' '),
    );
    expect(successUrl).toBe(`${t.url}/callbacks/raksmeypay/${order.transaction.provider_reference}/return?r=1`);
    const time = String(Math.floor(Date.now() / 1000));
    const hash = sha1(PROFILE_KEY + time + '12.5' + 'bh1' + order.transaction.provider_reference);
    // Appended blindly with "&", the way the document's example URL implies.
    const back = await httpRequest(`${successUrl}&success_time=${time}&success_amount=12.5&bakong_hash=bh1&success_hash=${hash}`, 'GET');
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('https://shop.example.com/thanks?o=1');
    expect(await getOrder(order.id)).toMatchObject({ status: 'PAID', verification: 'signed_return', paid_amount: '12.50' });
  });

  it("the verify call is multipart/form-data like the document's PHP curl; the simulated gateway reads urlencoded and multipart alike", async () => {
    const fake = await startFakeGateway();
    try {
      const shop = await t.createMerchant('Multipart Shop');
      await configureRaksmeypay(t, shop, PROFILE_KEY);
      const created = await t.request('POST', '/v1/orders', {
        token: shop.apiKey,
        body: { provider: 'raksmeypay', amount: '3.00', reference: `MP-${kit.nextReference()}` },
      });
      const txn = created.json.transaction.provider_reference;
      const profileId = `p-${shop.id.slice(-8)}`;
      await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
        token: shop.apiKey,
        body: { profile_id: profileId, profile_key: PROFILE_KEY, base_url: fake.url },
      });
      fake.answer = () => ({ status: 200, body: { status: 1, payment_amount: 3, payment_status: 'PENDING' } });
      expect((await t.request('POST', `/v1/orders/${created.json.id}/verify`, { token: shop.apiKey })).json.status).toBe('PENDING');
      const sent = fake.calls.at(-1)!;
      expect(sent).toMatchObject({ method: 'POST', url: `/api/payment/verify/${profileId}` });
      expect(sent.body).toContain(`Content-Disposition: form-data; name="transaction_id"\r\n\r\n${txn}\r\n`);
      expect(sent.body).toContain(`Content-Disposition: form-data; name="hash"\r\n\r\n${sha1(PROFILE_KEY + txn)}\r\n`);

      // The sandbox gateway, as PHP's $_POST: both encodings give the same answer.
      const verifyUrl = `${t.url}/sandbox/raksmeypay/api/payment/verify/${profileId}`;
      await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
        token: shop.apiKey,
        body: { profile_id: profileId, profile_key: PROFILE_KEY, base_url: `${t.url}/sandbox/raksmeypay` },
      });
      const fields = { transaction_id: txn, hash: sha1(PROFILE_KEY + txn) };
      const urlencoded = await fetch(verifyUrl, { method: 'POST', body: new URLSearchParams(fields) });
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const multipart = await fetch(verifyUrl, { method: 'POST', body: form });
      for (const res of [urlencoded, multipart]) expect(await res.json()).toEqual({ status: 1, payment_amount: 3, payment_status: 'PENDING' });
      // Multipart is for the simulated gateways only: the product API still refuses it.
      const api = await fetch(`${t.url}/v1/orders`, { method: 'POST', headers: { authorization: `Bearer ${shop.apiKey}` }, body: form });
      expect(api.status).toBe(415);
    } finally {
      await fake.close();
    }
  });

  it('base_url is needed where no production host is documented: an account without one is stored with a warning, takes no order and calls nobody', async () => {
    const shop = await t.createMerchant('No Host Shop');
    for (const [provider, body] of [
      ['raksmeypay', { profile_id: 'p-nohost', profile_key: PROFILE_KEY }],
      ['bakongapi', { bakong_id: 'nohost@devb', merchant_name: 'No Host' }],
    ] as const) {
      const res = await t.request('PUT', `/v1/provider-accounts/${provider}`, { token: shop.apiKey, body });
      expect(res.status).toBe(200);
      expect(res.json.warnings).toEqual([expect.stringMatching(/no base_url/)]);
    }

    // A pending order made while the account pointed at the sandbox, then the account saved without base_url.
    await configureRaksmeypay(t, shop, PROFILE_KEY);
    const order = (await t.request('POST', '/v1/orders', { token: shop.apiKey, body: { provider: 'raksmeypay', amount: '2.00', reference: 'NOHOST-1' } })).json;
    expect(
      (await t.request('PUT', '/v1/provider-accounts/raksmeypay', { token: shop.apiKey, body: { profile_id: 'p-nohost', profile_key: PROFILE_KEY } })).status,
    ).toBe(200);
    const before = await t.request('GET', '/sandbox/control/stats');
    const created = await t.request('POST', '/v1/orders', { token: shop.apiKey, body: { provider: 'raksmeypay', amount: '2.00', reference: 'NOHOST-2' } });
    expect({ status: created.status, code: created.json.code }).toEqual({ status: 422, code: 'provider_account_incomplete' });
    expect(created.json.detail).toMatch(/base_url/);
    const verified = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: shop.apiKey });
    expect({ status: verified.status, code: verified.json.code }).toEqual({ status: 422, code: 'provider_account_incomplete' });
    expect(await getOrderOf(shop, order.id)).toMatchObject({ status: 'PENDING' });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM orders WHERE merchant_id = $1`, [shop.id])).rows[0].n).toBe(1);
    // Nothing reached the gateway.
    expect((await t.request('GET', '/sandbox/control/stats')).json.calls.raksmeypay).toBe(before.json.calls.raksmeypay);
  });

  it('slow but within the deadline still works', async () => {
    const order = await newOrder();
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', latency_ms: 300 } });
    const res = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('PENDING');
  });

  describe('forged, tampered and stale returns change nothing', () => {
    const cases: [string, (o: { transaction: { provider_reference: string } }) => string, string][] = [
      ['a wrong hash', (o) => signedReturn(o).replace(/success_hash=[0-9a-f]+/, 'success_hash=' + 'a'.repeat(40)), 'invalid_signature'],
      ['a tampered amount', (o) => signedReturn(o).replace('success_amount=12.5', 'success_amount=125'), 'invalid_signature'],
      ['another key', (o) => signedReturn(o, { key: 'attacker-key' }), 'invalid_signature'],
      ['a stale one (200 s old)', (o) => signedReturn(o, { time: Math.floor(Date.now() / 1000) - 200 }), 'stale_return'],
      ['one from the future', (o) => signedReturn(o, { time: Math.floor(Date.now() / 1000) + 600 }), 'stale_return'],
      ['no hash', (o) => signedReturn(o).replace(/&success_hash=[0-9a-f]+/, ''), 'missing_parameters'],
    ];
    it.each(cases)('%s', async (_name, build, code) => {
      const order = await newOrder();
      const res = await t.request('GET', build(order));
      expect(res.status).toBe(400);
      expect(res.json.code).toBe(code);
      expect((await getOrder(order.id)).status).toBe('PENDING');
      expect(await eventsOf(order.id)).toEqual(['order.created']);
    });

    it('a return for a number that does not exist answers exactly as a forged one for a number that does', async () => {
      const order = await newOrder();
      const known = order.transaction.provider_reference;
      /** Everything in the answer that could tell one number from another (`instance` echoes the caller's own path; a stale return's age moves with the clock). */
      const shape = async (path: string) => {
        const res = await t.request('GET', path);
        const detail = typeof res.json.detail === 'string' ? res.json.detail.replace(/is \d+ s old/, 'is N s old') : res.json.detail;
        return {
          status: res.status,
          contentType: res.headers.get('content-type'),
          cacheControl: res.headers.get('cache-control'),
          body: { ...res.json, detail, instance: undefined },
        };
      };
      const unknownNumbers = ['999999999999', String(Number(known) + 1000000)];
      const forgeries = [
        (n: string) => signedReturn({ transaction: { provider_reference: n } }, { key: 'attacker-key' }),
        (n: string) => signedReturn({ transaction: { provider_reference: n } }, { key: '' }),
        (n: string) => `/callbacks/raksmeypay/${n}/return?success_time=1&success_amount=1&success_hash=x`,
        (n: string) => `/callbacks/raksmeypay/${n}/return`,
      ];
      for (const forge of forgeries) {
        const forKnown = await shape(forge(known));
        expect(forKnown.status).toBe(400);
        for (const n of unknownNumbers) expect(await shape(forge(n))).toEqual(forKnown);
      }
      expect((await getOrder(order.id)).status).toBe('PENDING');
      expect(await eventsOf(order.id)).toEqual(['order.created']);
    });

    it('a correctly signed return for another amount flags, never pays', async () => {
      const order = await newOrder();
      const res = await t.request('GET', signedReturn(order, { amount: '1.25' }));
      expect(res.status).toBe(302);
      const after = await getOrder(order.id);
      expect(after).toMatchObject({ status: 'PENDING', flags: ['amount_mismatch'] });
    });
  });
});
