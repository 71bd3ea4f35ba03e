import { configureKhqrProvider, createKhqrOrder, sandboxPay } from './helpers/checkout';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/** The hosted pay page, its status endpoint and the modal script, over real HTTP against the sandbox. */
describe('checkout pages', () => {
  let t: TestApp;
  let m: TestMerchant;

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Sokha Coffee');
    await configureKhqrProvider(t, m);
    await configureRaksmeypay(t, m, 'raksmeypay-profile-key-secret-1');
  });
  afterAll(async () => {
    await t.close();
  });

  const config = (html: string) => JSON.parse(/<script type="application\/json" id="pay-config">([^<]*)<\/script>/.exec(html)![1]);

  it('renders a KHQR order: merchant, amount, the QR image, a countdown, no-store and a strict CSP', async () => {
    const order = await createKhqrOrder(t, m, { success_url: 'https://shop.example.com/thanks?o=1' });
    expect(order.checkout_url).toBe(`${t.url}/pay/${order.id}`);
    const res = await t.request('GET', `/pay/${order.id}`, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).toContain('Sokha Coffee');
    expect(res.text).toContain('$12.50');
    expect(res.text).toContain(`<img id="qr" src="${order.qr.image_url}"`);
    expect(res.text).toMatch(/<time id="countdown" role="timer"[^>]*datetime="[^"]+">(14|15):\d\d<\/time>/);
    expect(res.text).toContain('role="status" aria-live="polite"');
    expect(res.text).toContain('<html lang="en">');
    // Nothing secret and nothing loaded from elsewhere.
    expect(res.text).not.toContain('raksmeypay-profile-key-secret-1');
    expect(res.text).not.toMatch(/<script[^>]+src=/);
    expect(res.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|shop\.example\.com)[a-z]/);
    const cfg = config(res.text);
    expect(cfg).toMatchObject({ orderId: order.id, status: 'PENDING', embed: false, parentOrigin: null, statusUrl: `/pay/${order.id}/status` });
    // The QR image it points at is served by us.
    const img = await fetch(order.qr.image_url);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
  });

  it('speaks Khmer by lang parameter or Accept-Language', async () => {
    const order = await createKhqrOrder(t, m);
    const byHeader = await t.request('GET', `/pay/${order.id}`, { headers: { 'accept-language': 'km-KH,km;q=0.9,en;q=0.5' } });
    expect(byHeader.text).toContain('<html lang="km">');
    expect(byHeader.text).toContain('បង់ប្រាក់តាម KHQR');
    const byParam = await t.request('GET', `/pay/${order.id}?lang=en`, { headers: { 'accept-language': 'km' } });
    expect(byParam.text).toContain('<html lang="en">');
    expect(byParam.text).toContain('Pay with KHQR');
    expect(byParam.text).toContain(`href="/pay/${order.id}?lang=km"`);
  });

  it('in embed mode lets only the declared origin frame it and posts only to that origin', async () => {
    const order = await createKhqrOrder(t, m);
    const res = await t.request('GET', `/pay/${order.id}?embed=1&origin=${encodeURIComponent('https://shop.example.com')}`);
    expect(res.headers.get('content-security-policy')).toContain('frame-ancestors https://shop.example.com');
    expect(config(res.text)).toMatchObject({ embed: true, parentOrigin: 'https://shop.example.com' });
    for (const bad of ['*', 'javascript:alert(1)', 'https://shop.example.com/path', 'shop.example.com']) {
      const r = await t.request('GET', `/pay/${order.id}?embed=1&origin=${encodeURIComponent(bad)}`);
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(config(r.text).parentOrigin).toBeNull();
    }
  });

  it('answers an unknown or malformed id with a 404 page and a 404 problem', async () => {
    const page = await t.request('GET', '/pay/ord_00000000000000000000000000');
    expect(page.status).toBe(404);
    expect(page.text).toContain('Payment not found');
    expect((await t.request('GET', '/pay/not-an-id')).status).toBe(404);
    const status = await t.request('GET', '/pay/ord_00000000000000000000000000/status');
    expect(status.status).toBe(404);
    expect(status.headers.get('content-type')).toContain('application/problem+json');
  });

  it('status: PENDING, then PAID with the success_url once the customer pays, asking the gateway at most once per 3 s', async () => {
    const order = await createKhqrOrder(t, m, { success_url: 'https://shop.example.com/thanks' });
    const first = await t.request('GET', `/pay/${order.id}/status`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.json).toEqual({
      object: 'pay_status',
      order_id: order.id,
      status: 'PENDING',
      paid: false,
      expires_at: order.expires_at,
      redirect_url: null,
      cancel_url: null,
    });
    const checks = async () => (await t.db.query('SELECT check_count FROM transactions WHERE order_id = $1', [order.id])).rows[0].check_count as number;
    expect(await checks()).toBe(1);
    // Polls within the window do not reach the gateway, from any number of callers.
    await Promise.all([1, 2, 3, 4, 5].map(() => t.request('GET', `/pay/${order.id}/status`)));
    expect(await checks()).toBe(1);

    await sandboxPay(t, 'bakongapi', order.transaction.provider_reference);
    await t.db.query(`UPDATE transactions SET last_checked_at = now() - interval '4 seconds' WHERE order_id = $1`, [order.id]);
    const paid = await t.request('GET', `/pay/${order.id}/status`);
    expect(paid.json).toMatchObject({ status: 'PAID', paid: true, redirect_url: 'https://shop.example.com/thanks' });
    expect(await checks()).toBe(2);
    const row = (await t.db.query('SELECT status, verification FROM orders WHERE id = $1', [order.id])).rows[0];
    expect(row).toEqual({ status: 'PAID', verification: 'provider_api' });
    // A paid order's page starts in the paid state.
    const page = await t.request('GET', `/pay/${order.id}`);
    expect(page.text).toContain('data-state="PAID"');
    expect(config(page.text)).toMatchObject({ status: 'PAID', redirectUrl: 'https://shop.example.com/thanks' });
  });

  it('the HTML carries neither success_url nor cancel_url before they apply; the status poll reveals each at its moment', async () => {
    const success = 'https://shop.example.com/thanks?token=fulfil-me-1';
    const cancel = 'https://shop.example.com/cart?token=back-2';
    const order = await createKhqrOrder(t, m, { success_url: success, cancel_url: cancel });
    const has = (text: string, url: string) =>
      text.includes(url) ||
      text.includes(url.replace(/&/g, '&amp;')) ||
      text.includes(JSON.stringify(url).slice(1, -1)) ||
      text.includes('fulfil-me-1') ||
      text.includes('back-2');
    for (const path of [`/pay/${order.id}`, `/pay/${order.id}?lang=km`, `/pay/${order.id}?embed=1&origin=${encodeURIComponent('https://shop.example.com')}`]) {
      const page = await t.request('GET', path);
      expect(page.status).toBe(200);
      expect(has(page.text, success)).toBe(false);
      expect(has(page.text, cancel)).toBe(false);
      expect(config(page.text)).toMatchObject({ redirectUrl: null, cancelUrl: null });
    }
    // The Back link is there, hidden and without a target, waiting for the poll.
    expect((await t.request('GET', `/pay/${order.id}`)).text).toContain('<a class="btn" id="back" href="#" hidden>');
    expect((await t.request('GET', `/pay/${order.id}/status`)).json).toMatchObject({ status: 'PENDING', redirect_url: null, cancel_url: null });

    // Once the order can no longer be paid, the poll and the page give the way back to the merchant, never success_url.
    expect((await t.request('POST', `/v1/orders/${order.id}/cancel`, { token: m.apiKey })).status).toBe(200);
    expect((await t.request('GET', `/pay/${order.id}/status`)).json).toMatchObject({ status: 'CANCELLED', redirect_url: null, cancel_url: cancel });
    const closed = await t.request('GET', `/pay/${order.id}`);
    expect(closed.text).toContain(`id="back" href="${cancel.replace(/&/g, '&amp;')}"`);
    expect(config(closed.text)).toMatchObject({ status: 'CANCELLED', redirectUrl: null, cancelUrl: cancel });
    expect(closed.text).not.toContain('fulfil-me-1');

    // PENDING past expires_at (before the sweeper expires it): the page shows expired, so the way back is revealed too.
    const lapsed = await createKhqrOrder(t, m, { success_url: success, cancel_url: cancel });
    await t.db.query(`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1`, [lapsed.id]);
    expect((await t.request('GET', `/pay/${lapsed.id}/status`)).json).toMatchObject({ redirect_url: null, cancel_url: cancel });
  });

  it('a gateway failure during a poll leaves the order PENDING and the poll answers 200', async () => {
    const order = await createKhqrOrder(t, m);
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'bakongapi', mode: 'http500' } });
    try {
      const res = await t.request('GET', `/pay/${order.id}/status`);
      expect(res.status).toBe(200);
      expect(res.json.status).toBe('PENDING');
      const txn = (await t.db.query('SELECT last_error FROM transactions WHERE order_id = $1', [order.id])).rows[0];
      expect(txn.last_error).toMatch(/unavailable/);
    } finally {
      await t.request('DELETE', '/sandbox/control/faults');
    }
  });

  it('for a gateway with its own hosted page, shows the status and links to its checkout_url', async () => {
    const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '5.00', reference: 'hosted-1' } });
    expect(res.status).toBe(201);
    const page = await t.request('GET', `/pay/${res.json.id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<img id="qr"');
    expect(page.text).toContain(`id="hosted" href="${res.json.checkout_url.replace(/&/g, '&amp;')}"`);
    expect(page.text).toContain('$5.00');
  });

  it('serves the modal script to any origin', async () => {
    const res = await t.request('GET', '/js/khqr-checkout.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/javascript');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.text).toContain('w.KhqrCheckout = { open: open');
    expect(res.text).toContain('event.origin !== BASE');
    expect(res.text).not.toContain("'*'");
  });
});

/** The status poll is public: its gateway checks are budgeted per merchant, across all of the merchant's orders and every instance. */
describe('checkout pages: per-merchant gateway-check budget', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PAGE_CHECKS_PER_MERCHANT_PER_S: '2' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const checks = async (orderIds: string[]) =>
    Number((await t.db.query('SELECT coalesce(sum(check_count), 0) AS n FROM transactions WHERE order_id = ANY($1)', [orderIds])).rows[0].n);

  it('polls beyond N per merchant per second answer the stored status without asking the gateway; other merchants keep their own budget', async () => {
    const busy = await t.createMerchant('Busy Shop');
    const quiet = await t.createMerchant('Quiet Shop');
    await configureKhqrProvider(t, busy);
    await configureKhqrProvider(t, quiet);
    const orders: string[] = [];
    for (let i = 0; i < 6; i++) orders.push((await createKhqrOrder(t, busy)).id);
    const quietOrder = (await createKhqrOrder(t, quiet)).id;

    const started = Date.now();
    const polls = await Promise.all(orders.map((id) => t.request('GET', `/pay/${id}/status`)));
    const windows = 1 + Math.floor((Date.now() - started) / 1000);
    for (const p of polls) expect(p.json).toMatchObject({ status: 'PENDING', paid: false });
    // Six different orders, each due for its own 3-second check, yet only the budget reached the gateway
    // (2 per window; the polls normally all fall in one second, and any second window is accounted for).
    const made = await checks(orders);
    expect(made).toBeGreaterThanOrEqual(2);
    expect(made).toBeLessThanOrEqual(2 * windows);
    // The busy merchant spent its budget; the quiet one still has its own.
    expect((await t.request('GET', `/pay/${quietOrder}/status`)).status).toBe(200);
    expect(await checks([quietOrder])).toBe(1);

    // A payment on an order whose poll was over the budget shows once the next window opens (moved back here rather than waited for).
    const unchecked = (await t.db.query('SELECT order_id, provider_reference FROM transactions WHERE order_id = ANY($1) AND check_count = 0 LIMIT 1', [orders]))
      .rows[0];
    await sandboxPay(t, 'bakongapi', unchecked.provider_reference);
    await t.db.query(`UPDATE merchant_rate_windows SET window_start = now() - interval '2 seconds' WHERE merchant_id = $1 AND bucket = 'page_check'`, [
      busy.id,
    ]);
    await t.db.query(`UPDATE transactions SET last_checked_at = now() - interval '4 seconds' WHERE order_id = $1`, [unchecked.order_id]);
    expect((await t.request('GET', `/pay/${unchecked.order_id}/status`)).json).toMatchObject({ status: 'PAID', paid: true });
  });
});
