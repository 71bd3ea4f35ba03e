import { createHash } from 'node:crypto';
import { configurePanel } from './helpers/checkout';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { httpRequest, startTestApp, TestApp, TestMerchant } from './helpers/test-app';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * The sandbox runs beside real merchants when SANDBOX=true is given with a real database: its
 * simulators must act only for accounts whose base_url points at it. For a merchant registered
 * with a real gateway (or any URL that merely looks like the sandbox), every simulator and
 * /sandbox/control/pay treat the account and its payments as unknown and change nothing.
 */
describe('sandbox: never acts for accounts that do not point at it', () => {
  let t: TestApp;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function merchantWith(provider: string, account: Record<string, unknown>): Promise<TestMerchant> {
    const m = await t.createMerchant(`real-${provider}-${++seq}`);
    const res = await t.request('PUT', `/v1/provider-accounts/${provider}`, { token: m.apiKey, body: account });
    expect(res.status).toBe(200);
    return m;
  }

  async function order(m: TestMerchant, provider: string) {
    const res = await t.request('POST', '/v1/orders', {
      token: m.apiKey,
      body: { provider, amount: '12.50', reference: `real-${Date.now()}-${++seq}`, success_url: 'https://shop.example.com/thanks' },
    });
    expect(res.status).toBe(201);
    return res.json;
  }

  /** Nothing happened to the order: still PENDING, no event but its creation, nothing in the sandbox's ledger. */
  async function untouched(m: TestMerchant, o: { id: string; transaction: { provider_reference: string } }, provider: string) {
    expect((await t.request('GET', `/v1/orders/${o.id}`, { token: m.apiKey })).json.status).toBe('PENDING');
    expect((await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [o.id])).rows.map((r) => r.type)).toEqual(['order.created']);
    expect(
      (
        await t.db.query(`SELECT count(*)::int AS n FROM sandbox_payments WHERE provider = $1 AND provider_reference = $2`, [
          provider,
          o.transaction.provider_reference,
        ])
      ).rows[0].n,
    ).toBe(0);
  }

  describe.each([
    ['the real host, given', () => 'https://www.raksmeypay.com'],
    ['another host with a /sandbox/ path', () => 'https://evil.example/sandbox/raksmeypay'],
    ['PUBLIC_BASE_URL/sandboxX', () => `${t.url}/sandboxX/raksmeypay`],
    ['a dot segment out of /sandbox/', () => `${t.url}/sandbox/../raksmeypay`],
  ])('raksmeypay account at %s', (_name, baseUrl) => {
    const key = 'real-profile-key-0001';
    let m: TestMerchant;
    beforeAll(async () => {
      const url = baseUrl();
      m = await merchantWith('raksmeypay', { profile_id: `p-real-${seq}`, profile_key: key, ...(url ? { base_url: url } : {}) });
    });

    it('POST /sandbox/control/pay answers 404 and the order stays PENDING', async () => {
      const o = await order(m, 'raksmeypay');
      const res = await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: o.transaction.provider_reference } });
      expect(res.status).toBe(404);
      await untouched(m, o, 'raksmeypay');
    });

    it("the sandbox's page, Pay button and verify API refuse to sign for the real payment link", async () => {
      const o = await order(m, 'raksmeypay');
      // The real link's query (its hash is genuine) replayed against the sandbox's page.
      const link = new URL(o.checkout_url);
      const profileId = link.pathname.split('/').pop()!;
      const page = await httpRequest(`${t.url}/sandbox/raksmeypay/payment/request/${profileId}${link.search}`, 'GET');
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      const pay = await httpRequest(`${t.url}/sandbox/raksmeypay/payment/request/${profileId}/pay`, 'POST', {
        rawBody: link.searchParams.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(pay.status).toBe(400);
      expect(pay.headers.get('location')).toBeNull();
      const txn = o.transaction.provider_reference;
      const verify = await httpRequest(`${t.url}/sandbox/raksmeypay/api/payment/verify/${profileId}`, 'POST', {
        rawBody: new URLSearchParams({ transaction_id: txn, hash: sha1(key + txn) }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(verify.json).toEqual({ status: 0, err_msg: 'Payment not found' });
      await untouched(m, o, 'raksmeypay');
    });
  });

  it('a sandbox account still works (the same flows, base_url under PUBLIC_BASE_URL/sandbox/)', async () => {
    const m = await t.createMerchant('sandboxed');
    await configureRaksmeypay(t, m, 'sandbox-profile-key');
    const o = await order(m, 'raksmeypay');
    expect((await httpRequest(o.checkout_url, 'GET')).status).toBe(200);
    expect(
      (await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: o.transaction.provider_reference } })).status,
    ).toBe(200);
  });

  it('ahnajak (real host): control/pay answers 404, no webhook marks the order PAID, and the sandbox does not know the profile', async () => {
    const secret = 'real-ahnajak-secret-0001';
    const m = await merchantWith('ahnajak', { profile_id: 'aj-real-1', secret_key: secret });
    const o = await order(m, 'ahnajak');
    const res = await t.request('POST', '/sandbox/control/pay', { body: { provider: 'ahnajak', provider_reference: o.transaction.provider_reference } });
    expect(res.status).toBe(404);
    const link = new URL(o.checkout_url);
    const opened = await httpRequest(`${t.url}/sandbox/ahnajak${link.pathname}${link.search}`, 'GET');
    expect(opened.status).toBe(404);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM sandbox_ahnajak_sessions WHERE merchant_id = $1`, [m.id])).rows[0].n).toBe(0);
    await untouched(m, o, 'ahnajak');
  });

  it('bakong (real Open API host): control/pay answers 404 and the check API does not accept the real token', async () => {
    const token = 'real-bakong-open-api-token';
    const m = await merchantWith('bakong', { account_id: 'real_shop@devb', merchant_name: 'Real Shop', merchant_city: 'Phnom Penh', token });
    const o = await order(m, 'bakong');
    expect(
      (await t.request('POST', '/sandbox/control/pay', { body: { provider: 'bakong', provider_reference: o.transaction.provider_reference } })).status,
    ).toBe(404);
    const check = await t.request('POST', '/sandbox/bakong/v1/check_transaction_by_md5', {
      body: { md5: o.transaction.provider_reference },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(check.status).toBe(401);
    await untouched(m, o, 'bakong');
  });

  it('hosted checkout (a real gateway host): the sandbox does not accept the real API key', async () => {
    await merchantWith('checkout', { api_key: 'real-checkout-key-0001', client_base_url: 'https://shop.example.com/api', base_url: 'https://pay.example.com' });
    const res = await t.request('POST', '/sandbox/checkout/api/v1/checkout', {
      headers: { authorization: 'Bearer real-checkout-key-0001' },
      body: {
        amount: '12.50',
        client_base_url: 'https://shop.example.com/api',
        success_url: 'https://shop.example.com/ok',
        cancel_url: 'https://shop.example.com/no',
      },
    });
    expect(res.status).toBe(401);
    expect(
      (await t.db.query(`SELECT count(*)::int AS n FROM sandbox_checkout_sessions WHERE amount = '12.50' AND success_url = 'https://shop.example.com/ok'`))
        .rows[0].n,
    ).toBe(0);
  });

  it('an SMM panel at a real host: the simulated panel does not accept its key', async () => {
    const m = await t.createMerchant('real-panel');
    const apiKey = await configurePanel(t, m, 'perfectpanel', { api_url: 'https://panel.example.com/adminapi/v2' });
    const res = await t.request('POST', '/sandbox/perfectpanel/adminapi/v2/payments/add', {
      headers: { 'x-api-key': apiKey },
      body: { username: 'alice', amount: '5.00' },
    });
    expect(res.status).toBe(401);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM sandbox_panel_payments WHERE merchant_id = $1`, [m.id])).rows[0].n).toBe(0);
  });
});
