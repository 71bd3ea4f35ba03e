import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { FulfillmentWorker } from '../../src/fulfillment/fulfillment.worker';
import { configureKhqrProvider, configurePanel, createKhqrOrder, sandboxPay } from '../helpers/checkout';
import { launchBrowser, LocalSite, screenshot, startLocalSite } from '../helpers/chromium';
import { startTestApp, TestApp, TestMerchant } from '../helpers/test-app';

/**
 * The customer's side in a real browser (Debian's chromium through playwright-core): the pay
 * page, the embeddable modal on a merchant page served from another origin, and the SMM top-up
 * widget inside a panel's iframe. Payments are made at the sandbox gateway.
 */
describe('checkout in a browser', () => {
  let t: TestApp;
  let m: TestMerchant;
  let site: LocalSite;
  let browser: Browser;
  let context: BrowserContext;

  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Sokha Coffee');
    await configureKhqrProvider(t, m);
    await configurePanel(t, m, 'perfectpanel');
    site = await startLocalSite({
      '/thanks': (u) => `<!doctype html><title>Thanks</title><h1 id="thanks">Thank you for order ${esc(u.searchParams.get('o') ?? '')}</h1>`,
      // The merchant's checkout page: loads the modal script from the orchestrator and records every callback.
      '/shop': (u) => `<!doctype html><html><head><meta name="viewport" content="width=device-width,initial-scale=1"><title>Sokha Coffee — cart</title>
<script src="${esc(t.url)}/js/khqr-checkout.js"></script></head>
<body style="font-family:system-ui;margin:24px"><h1>Sokha Coffee</h1><p>2 × iced latte — $12.50</p>
<button id="pay" style="font-size:18px;padding:12px 24px">Pay with KHQR</button><pre id="log"></pre>
<script>
window.events = [];
function log(kind, data) { window.events.push({ kind: kind, data: data }); document.getElementById('log').textContent += kind + ' ' + JSON.stringify(data) + '\\n'; }
document.getElementById('pay').addEventListener('click', function () {
  KhqrCheckout.open({ orderId: ${JSON.stringify(u.searchParams.get('order') ?? '')},
    onSuccess: function (r) { log('success', r); }, onError: function (e) { log('error', e); }, onClose: function (c) { log('close', c); } });
});
</script></body></html>`,
      // An SMM panel's "Add funds" page with the widget, as the panel's embed code places it.
      '/panel': (u) => `<!doctype html><html><head><meta name="viewport" content="width=device-width,initial-scale=1"><title>Panel — add funds</title></head>
<body style="font-family:system-ui;margin:0;background:#eef"><div style="text-align:center;padding:8px">
<iframe id="topup" src="${esc(t.url)}/topup/${esc(u.searchParams.get('m') ?? '')}?amount=10&min=1&max=1000&u=panel_user&e=panel_user@example.com" width="370" height="640" style="border:0;background:#fff"></iframe>
</div></body></html>`,
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await t?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: 'en-US' });
  });
  afterEach(async () => {
    await context.close();
    await t.request('DELETE', '/sandbox/control/faults');
  });

  async function countdownSeconds(page: Page | Frame): Promise<number> {
    const text = (await page.locator('#countdown').textContent()) ?? '';
    const [mm, ss] = text.split(':').map(Number);
    return mm * 60 + ss;
  }

  it('the pay page shows the QR and a live countdown, turns paid when the customer pays, and redirects to success_url', async () => {
    const order = await createKhqrOrder(t, m, { success_url: `${site.url}/thanks?o=A-1001`, description: '2 × iced latte' });
    const page = await context.newPage();
    await page.goto(order.checkout_url);
    // success_url is not in the page before payment: the redirect below comes from the status poll.
    expect(await page.content()).not.toContain('A-1001');
    const qr = page.locator('img#qr');
    await qr.waitFor({ state: 'visible' });
    expect(await qr.getAttribute('src')).toBe(order.qr.image_url);
    // The image really loaded (it is served by the orchestrator, no CDN).
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(200);
    expect(await page.locator('#amount').textContent()).toBe('$12.50');
    expect(await page.locator('#status-text').textContent()).toBe('Waiting for your payment…');
    const first = await countdownSeconds(page);
    expect(first).toBeGreaterThan(14 * 60);
    await page.waitForFunction(
      (s) => {
        const [mm, ss] = (document.getElementById('countdown')!.textContent ?? '').split(':').map(Number);
        return mm * 60 + ss < s;
      },
      first,
      { timeout: 3000 },
    );
    await screenshot(page, 'pay-page-pending', true);

    await sandboxPay(t, 'bakongapi', order.transaction.provider_reference);
    const paidAt = Date.now();
    await page.waitForSelector('body[data-state="PAID"]', { timeout: 10_000 });
    // The page's own poll (one gateway check per 3 s at most) finds it within ~5 s; the bound leaves room for a loaded CI machine.
    expect(Date.now() - paidAt).toBeLessThan(8_000);
    expect(await page.locator('#status').getAttribute('aria-live')).toBe('polite');
    await screenshot(page, 'pay-page-paid');
    await page.waitForURL(`${site.url}/thanks?o=A-1001`, { timeout: 5_000 });
    expect(await page.locator('#thanks').textContent()).toBe('Thank you for order A-1001');
    expect((await t.db.query('SELECT status FROM orders WHERE id = $1', [order.id])).rows[0].status).toBe('PAID');
  });

  it('the pay page in Khmer shows the expired state when time runs out, with the way back to the merchant', async () => {
    const order = await createKhqrOrder(t, m, { expires_in: 60, cancel_url: `${site.url}/thanks?o=cancelled-7` });
    const page = await context.newPage();
    await page.goto(`${order.checkout_url}?lang=km`);
    await page.locator('img#qr').waitFor({ state: 'visible' });
    expect(await page.locator('html').getAttribute('lang')).toBe('km');
    // Time runs out (the clock is the order's own expires_at).
    await t.db.query(`UPDATE orders SET expires_at = now() + interval '2 seconds' WHERE id = $1`, [order.id]);
    await page.reload();
    expect(await page.content()).not.toContain('cancelled-7');
    await page.waitForSelector('body[data-state="EXPIRED"]', { timeout: 6_000 });
    expect(await page.locator('#status-text').textContent()).toBe('សំណើបង់ប្រាក់នេះបានផុតកំណត់។ មិនមានការកាត់ប្រាក់ទេ។');
    expect(await page.locator('img#qr').isVisible()).toBe(false);
    // The Back link gets cancel_url from the status poll once the order can no longer be paid.
    await page.locator('#back').waitFor({ state: 'visible', timeout: 6_000 });
    expect(await page.locator('#back').getAttribute('href')).toBe(`${site.url}/thanks?o=cancelled-7`);
    await screenshot(page, 'pay-page-expired-km');
  });

  it('a merchant page opens the modal, ignores forged messages, and receives onSuccess once', async () => {
    const order = await createKhqrOrder(t, m);
    const page = await context.newPage();
    await page.goto(`${site.url}/shop?order=${order.id}`);
    await page.click('#pay');
    const dialog = page.locator('[role="dialog"][aria-modal="true"]');
    await dialog.waitFor({ state: 'visible' });
    const frameHandle = await page.waitForSelector('iframe.khqrc-frame');
    expect(await frameHandle.getAttribute('src')).toBe(`${t.url}/pay/${order.id}?embed=1&origin=${encodeURIComponent(site.url)}`);
    const frame = (await frameHandle.contentFrame())!;
    await frame.locator('img#qr').waitFor({ state: 'visible' });
    expect(await frame.locator('body').getAttribute('class')).toBe('embed');
    await screenshot(page, 'modal-bottom-sheet');

    // A message that does not come from the orchestrator's origin is ignored.
    await page.evaluate((id) => window.postMessage({ source: 'khqr-checkout', type: 'paid', orderId: id }, '*'), order.id);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { events: unknown[] }).events)).toEqual([]);

    await sandboxPay(t, 'bakongapi', order.transaction.provider_reference);
    await page.waitForFunction(() => (window as unknown as { events: { kind: string }[] }).events.some((e) => e.kind === 'close'), null, { timeout: 12_000 });
    const events = await page.evaluate(() => (window as unknown as { events: unknown[] }).events);
    expect(events).toEqual([
      { kind: 'success', data: { orderId: order.id, status: 'PAID' } },
      { kind: 'close', data: { orderId: order.id, paid: true, reason: 'paid' } },
    ]);
    expect(await page.locator('.khqrc-overlay').count()).toBe(0);
  });

  it('the modal reports a customer closing it', async () => {
    const order = await createKhqrOrder(t, m);
    const page = await context.newPage();
    await page.goto(`${site.url}/shop?order=${order.id}`);
    await page.click('#pay');
    await page.locator('.khqrc-close').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => (window as unknown as { events: unknown[] }).events)).toEqual([
      { kind: 'close', data: { orderId: order.id, paid: false, reason: 'dismissed' } },
    ]);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pay');
  });

  it('the top-up widget in a panel iframe credits the simulated panel exactly once, though the panel fails the first call', async () => {
    const worker = t.app.get(FulfillmentWorker);
    const page = await context.newPage();
    await page.goto(`${site.url}/panel?m=${m.id}`);
    const widget = (await (await page.waitForSelector('iframe#topup')).contentFrame())!;
    await widget.locator('#account').waitFor();
    expect(await widget.locator('#account').textContent()).toBe('panel_user');
    expect(await widget.locator('#amount').inputValue()).toBe('10.00');
    await screenshot(page, 'topup-widget');
    // Out of range first: a clear message and no order.
    await widget.fill('#amount', '5000');
    await widget.click('#continue');
    await widget.locator('#amount-error').waitFor();
    expect(await widget.locator('#amount-error').textContent()).toBe('Enter an amount between $1.00 and $1,000.00.');
    const ordersBefore = Number(
      (await t.db.query(`SELECT count(*) FROM orders WHERE merchant_id = $1 AND metadata->>'source' = 'smm_topup'`, [m.id])).rows[0].count,
    );
    expect(ordersBefore).toBe(0);
    await screenshot(page, 'topup-widget-out-of-range');
    await widget.fill('#amount', '15');
    await widget.click('#continue');
    await widget.locator('img#qr').waitFor({ state: 'visible' });
    const orderId = /\/pay\/(ord_[0-9a-z]{26})/.exec(widget.url())![1];
    const ref = (await t.db.query('SELECT provider_reference FROM transactions WHERE order_id = $1', [orderId])).rows[0].provider_reference;

    // The panel will fail the first credit call.
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'perfectpanel', mode: 'http500' } });
    await sandboxPay(t, 'bakongapi', ref);
    await widget.waitForSelector('body[data-state="PAID"]', { timeout: 10_000 });
    expect(await widget.locator('#status-text').textContent()).toContain('Your panel balance is being credited');
    await screenshot(page, 'topup-paid');

    expect(await worker.runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
    await t.request('DELETE', '/sandbox/control/faults');
    await t.db.query(`UPDATE smm_credits SET next_attempt_at = now() WHERE order_id = $1`, [orderId]);
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, done: 1 });
    await t.db.query(`UPDATE smm_credits SET next_attempt_at = now() WHERE order_id = $1`, [orderId]);
    expect(await worker.runOnce()).toMatchObject({ claimed: 0 });

    const payments = (await t.db.query(`SELECT username, amount FROM sandbox_panel_payments WHERE merchant_id = $1 AND panel = 'perfectpanel'`, [m.id])).rows;
    expect(payments).toEqual([{ username: 'panel_user', amount: '15.00' }]);
    const user = (await t.db.query(`SELECT balance_minor FROM sandbox_panel_users WHERE merchant_id = $1 AND username = 'panel_user'`, [m.id])).rows[0];
    expect(user.balance_minor).toBe('1500');
  });
});
