import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { configureKhqrProvider, sandboxPay } from './helpers/checkout';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant, TestResponse } from './helpers/test-app';

/**
 * Payment links end to end against the real database and HTTP: the API, the public page and its
 * form post, max_payments under concurrent payers, exact counters under concurrent payments.
 */
describe('payment links', () => {
  let t: TestApp;
  let m: TestMerchant;

  beforeAll(async () => {
    // The per-merchant cap on link orders has its own test below, with its own app.
    t = await startTestApp({ env: { PAYMENT_LINK_ORDERS_PER_MERCHANT_PER_MIN: '100000' } });
    m = await t.createMerchant('Sokha Coffee');
    await configureKhqrProvider(t, m);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function createLink(body: Record<string, unknown>, merchant = m) {
    const res = await t.request('POST', '/v1/payment-links', { token: merchant.apiKey, body: { description: 'Iced latte', ...body } });
    if (res.status !== 201) throw new Error(`create link: ${res.status} ${res.text}`);
    return res.json;
  }
  const path = (link: { url: string }) => new URL(link.url).pathname;
  const post = (link: { url: string }, fields: Record<string, string> = {}): Promise<TestResponse> =>
    t.request('POST', path(link), { rawBody: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const getLink = async (id: string) => (await t.request('GET', `/v1/payment-links/${id}`, { token: m.apiKey })).json;
  const ordersOf = async (id: string) => (await t.request('GET', `/v1/orders?payment_link_id=${id}&limit=100`, { token: m.apiKey })).json.data;
  const orderIdFrom = (res: TestResponse) => /\/pay\/(ord_[0-9a-z]{26})$/.exec(res.headers.get('location') ?? '')?.[1];

  /** The customer pays at the sandbox; the merchant asks the gateway (verify), which applies PAID. */
  async function pay(orderId: string) {
    const order = (await t.request('GET', `/v1/orders/${orderId}`, { token: m.apiKey })).json;
    await sandboxPay(t, order.provider, order.transaction.provider_reference);
    const verified = await t.request('POST', `/v1/orders/${orderId}/verify`, { token: m.apiKey });
    expect(verified.json.status).toBe('PAID');
  }

  it('a fixed-amount link takes payments up to max_payments, then answers 410 and creates nothing', async () => {
    const link = await createLink({ amount: '2.50', max_payments: 2, metadata: { campaign: 'tg' } });
    expect(link).toMatchObject({
      object: 'payment_link',
      active: true,
      amount: '2.50',
      currency: 'USD',
      providers: ['bakongapi'],
      payments_count: 0,
      amount_collected: '0.00',
    });
    expect(link.id).toMatch(/^plink_[0-9a-z]{26}$/);
    expect(link.url).toMatch(new RegExp(`^${t.url}/l/[A-Za-z0-9_-]{16}$`));

    const page = await t.request('GET', path(link));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Iced latte');
    expect(page.text).toContain('$2.50');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

    for (let i = 1; i <= 2; i++) {
      // The amount of a fixed link is the link's, whatever the form says.
      const res = await post(link, { amount: '0.01' });
      expect(res.status).toBe(303);
      const orderId = orderIdFrom(res)!;
      const order = (await t.request('GET', `/v1/orders/${orderId}`, { token: m.apiKey })).json;
      expect(order).toMatchObject({ amount: '2.50', payment_link_id: link.id, description: 'Iced latte', metadata: { campaign: 'tg' }, cancel_url: link.url });
      await pay(orderId);
      expect(await getLink(link.id)).toMatchObject({ payments_count: i, amount_collected: (2.5 * i).toFixed(2) });
    }
    const gone = await t.request('GET', path(link));
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('already received all its payments');
    expect((await post(link)).status).toBe(410);
    expect(await ordersOf(link.id)).toHaveLength(2);
  });

  it('an open amount outside its bounds, or not a plain decimal, is refused and creates nothing', async () => {
    const link = await createLink({ amount_min: '1.00', amount_max: '50' });
    expect(link).toMatchObject({ amount: null, amount_min: '1.00', amount_max: '50.00' });
    for (const amount of ['0.99', '50.01', '1e2', '12.345', '-5', '0x10', '', '10,00', '9'.repeat(30)]) {
      const res = await post(link, { amount });
      expect([amount, res.status]).toEqual([amount, 400]);
    }
    expect(await ordersOf(link.id)).toHaveLength(0);
    const ok = await post(link, { amount: ' 12.3 ' });
    expect(ok.status).toBe(303);
    expect((await ordersOf(link.id))[0]).toMatchObject({ amount: '12.30', payment_link_id: link.id });
  });

  it('refuses bad links at creation', async () => {
    const bad = async (body: Record<string, unknown>) =>
      (await t.request('POST', '/v1/payment-links', { token: m.apiKey, body: { description: 'x', ...body } })).status;
    expect(await bad({ amount: '2.505' })).toBe(400);
    expect(await bad({ amount: '2', amount_min: '1' })).toBe(400);
    expect(await bad({ amount_min: '5', amount_max: '4' })).toBe(400);
    expect(await bad({ amount: '10.5', currency: 'KHR' })).toBe(400);
    expect(await bad({ providers: ['ahnajak'] })).toBe(400); // no account for it
    expect(await bad({ expires_at: '2001-01-01T00:00:00Z' })).toBe(400);
    expect(await bad({ max_payments: 0 })).toBe(400);
    expect(await bad({ description: '' })).toBe(400);
    const other = await t.createMerchant('No Gateways');
    const res = await t.request('POST', '/v1/payment-links', { token: other.apiKey, body: { description: 'x', amount: '1' } });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('no_gateway');
  });

  it('30 concurrent payers on a link with max_payments 5: exactly 5 orders, the rest 409 and nothing created', async () => {
    const link = await createLink({ amount: '1.00', max_payments: 5 });
    const answers = await Promise.all(Array.from({ length: 30 }, () => post(link)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(25);
    expect(await ordersOf(link.id)).toHaveLength(5);
    // A cancelled order frees its slot.
    const first = (await ordersOf(link.id))[0];
    expect((await t.request('POST', `/v1/orders/${first.id}/cancel`, { token: m.apiKey })).status).toBe(200);
    expect((await post(link)).status).toBe(303);
    expect((await post(link)).status).toBe(409);
  });

  it('30 concurrent payments on one link keep payments_count and amount_collected exact', async () => {
    const link = await createLink({ amount: '1.25', max_payments: 30 });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await post(link);
      expect(res.status).toBe(303);
      ids.push(orderIdFrom(res)!);
    }
    expect(new Set(ids).size).toBe(30);
    await Promise.all(ids.map((id) => pay(id)));
    expect(await getLink(link.id)).toMatchObject({ payments_count: 30, amount_collected: '37.50' });
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n, sum(paid_amount_minor)::int AS s FROM orders WHERE payment_link_id = $1 AND status = 'PAID'`,
      [link.id],
    );
    expect(rows[0]).toEqual({ n: 30, s: 3750 });
    expect((await t.request('GET', path(link))).status).toBe(410);
  });

  it('offers a choice among the link’s gateways and takes only those', async () => {
    const shop = await t.createMerchant('Two Gateways');
    await configureKhqrProvider(t, shop);
    await configureRaksmeypay(t, shop);
    const link = await createLink({ amount: '3.00' }, shop);
    expect([...link.providers].sort()).toEqual(['bakongapi', 'raksmeypay']);
    const page = await t.request('GET', path(link));
    expect(page.text).toMatch(/type="radio" name="provider" value="raksmeypay"/);
    expect(page.text).toMatch(/type="radio" name="provider" value="bakongapi"/);
    // The form may lead on to the hosted gateway's origin (a Pay is redirected there).
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${t.url}`);

    expect((await post(link, { provider: 'ahnajak' })).status).toBe(400);
    expect((await post(link, {})).status).toBe(400);
    const hosted = await post(link, { provider: 'raksmeypay' });
    expect(hosted.status).toBe(303);
    expect(hosted.headers.get('location')).toContain('/sandbox/raksmeypay/');
    const khqr = await post(link, { provider: 'bakongapi' });
    expect(khqr.headers.get('location')).toMatch(/\/pay\/ord_/);
    const orders = (await t.request('GET', `/v1/orders?payment_link_id=${link.id}`, { token: shop.apiKey })).json.data;
    expect(orders.map((o: { provider: string }) => o.provider).sort()).toEqual(['bakongapi', 'raksmeypay']);

    const one = await createLink({ amount: '3.00', providers: ['raksmeypay'] }, shop);
    const onePage = await t.request('GET', path(one));
    expect(onePage.text).not.toContain('type="radio"');
    expect((await post(one, { provider: 'bakongapi' })).status).toBe(400);
  });

  it('deactivate: 410 from then on, idempotent, and only for the link’s merchant', async () => {
    const link = await createLink({ amount: '5.00' });
    const other = await t.createMerchant('Other');
    expect((await t.request('GET', `/v1/payment-links/${link.id}`, { token: other.apiKey })).status).toBe(404);
    expect((await t.request('POST', `/v1/payment-links/${link.id}/deactivate`, { token: other.apiKey })).status).toBe(404);
    expect((await t.request('GET', path(link))).status).toBe(200);

    const off = await t.request('POST', `/v1/payment-links/${link.id}/deactivate`, { token: m.apiKey });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ active: false });
    expect(off.json.deactivated_at).toBeTruthy();
    const again = await t.request('POST', `/v1/payment-links/${link.id}/deactivate`, { token: m.apiKey });
    expect(again.json.deactivated_at).toBe(off.json.deactivated_at);
    const page = await t.request('GET', path(link));
    expect(page.status).toBe(410);
    expect(page.text).toContain('turned this payment link off');
    expect((await post(link)).status).toBe(410);
    expect(await ordersOf(link.id)).toHaveLength(0);
  });

  it('an expired link answers 410 and creates nothing', async () => {
    const link = await createLink({ amount: '5.00', expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    await t.db.query(`UPDATE payment_links SET expires_at = now() - interval '1 second' WHERE id = $1`, [link.id]);
    expect((await t.request('GET', path(link))).status).toBe(410);
    expect((await post(link)).status).toBe(410);
    expect(await ordersOf(link.id)).toHaveLength(0);
  });

  it('the page shows nothing beyond the link, and unknown slugs are 404', async () => {
    const secret = await createLink({ amount: '9.00', description: 'Other link secret text' });
    const link = await createLink({ amount: '1.00', description: 'Visible <b>tag</b>' });
    const page = await t.request('GET', `${path(link)}?lang=km`);
    expect(page.text).toContain('Visible &lt;b&gt;tag&lt;/b&gt;');
    expect(page.text).toContain('lang="km"');
    expect(page.text).toContain('បង់');
    for (const leak of [m.id, link.id, secret.id, 'Other link secret text', m.apiKey]) expect(page.text).not.toContain(leak);
    for (const slug of ['AAAAAAAAAAAAAAAA', 'short', '../../v1/orders', `${path(link).slice(3)}x`]) {
      const res = await t.request('GET', `/l/${encodeURIComponent(slug)}`);
      expect([slug, res.status]).toEqual([slug, 404]);
    }
    const list = await t.request('GET', '/v1/payment-links?limit=2', { token: m.apiKey });
    expect(list.json.data.map((l: { id: string }) => l.id)).toEqual([link.id, secret.id]);
    expect(list.json.has_more).toBe(true);
  });

  it('a QR code of the link for printing (PNG decodes to the url; SVG), only for its merchant', async () => {
    const link = await createLink({ amount: '1.00' });
    const res = await fetch(`${t.url}/v1/payment-links/${link.id}/qr.png`, { headers: { authorization: `Bearer ${m.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(link.url);
    const svg = await t.request('GET', `/v1/payment-links/${link.id}/qr.svg`, { token: m.apiKey });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(svg.text).toContain('<svg');
    const other = await t.createMerchant('Other QR');
    expect((await t.request('GET', `/v1/payment-links/${link.id}/qr.png`, { token: other.apiKey })).status).toBe(404);
    expect((await t.request('GET', `/v1/payment-links/${link.id}/qr.png`)).status).toBe(401);
  });

  it('caps new orders per merchant (PAYMENT_LINK_ORDERS_PER_MERCHANT_PER_MIN): 429 with Retry-After, nothing created', async () => {
    const small = await startTestApp({ env: { PAYMENT_LINK_ORDERS_PER_MERCHANT_PER_MIN: '2' } });
    try {
      const shop = await small.createMerchant('Capped');
      await configureKhqrProvider(small, shop);
      const res = await small.request('POST', '/v1/payment-links', { token: shop.apiKey, body: { description: 'x', amount: '1' } });
      const link = res.json;
      const form = { rawBody: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      expect((await small.request('POST', path(link), form)).status).toBe(303);
      expect((await small.request('POST', path(link), form)).status).toBe(303);
      const capped = await small.request('POST', path(link), form);
      expect(capped.status).toBe(429);
      expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
      const orders = await small.request('GET', `/v1/orders?payment_link_id=${link.id}`, { token: shop.apiKey });
      expect(orders.json.data).toHaveLength(2);
    } finally {
      await small.close();
    }
  });
});
