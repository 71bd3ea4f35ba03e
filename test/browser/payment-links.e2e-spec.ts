import type { Browser, BrowserContext } from 'playwright-core';
import { configureKhqrProvider, sandboxPay } from '../helpers/checkout';
import { launchBrowser, screenshot } from '../helpers/chromium';
import { configureRaksmeypay } from '../helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant } from '../helpers/test-app';

/** The customer's side of a payment link in Chromium with a phone viewport: choose, Pay, land on the order's checkout; a used-up link's 410 page. */
describe('payment links in a browser', () => {
  let t: TestApp;
  let m: TestMerchant;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Sokha Coffee');
    await configureKhqrProvider(t, m);
    await configureRaksmeypay(t, m);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: 'en-US', isMobile: true, hasTouch: true });
  });
  afterEach(async () => {
    await context.close();
  });

  async function createLink(body: Record<string, unknown>) {
    const res = await t.request('POST', '/v1/payment-links', { token: m.apiKey, body: { description: 'Coffee beans 1 kg', ...body } });
    if (res.status !== 201) throw new Error(`create link: ${res.status} ${res.text}`);
    return res.json;
  }

  it('an open-amount link: a wrong amount is flagged, then amount and gateway chosen, Pay lands on the order’s checkout page', async () => {
    const link = await createLink({ amount_min: '5.00', amount_max: '100.00' });
    const page = await context.newPage();
    await page.goto(link.url);
    expect(await page.locator('#description').textContent()).toBe('Coffee beans 1 kg');
    expect(await page.locator('#merchant').textContent()).toBe('Sokha Coffee');
    // Mobile first: nothing wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'payment-link-open', true);

    await page.fill('#amount-input', '500');
    await page.check('input[name="provider"][value="bakongapi"]');
    await Promise.all([page.waitForURL(link.url), page.click('#pay')]);
    expect(await page.locator('#amount-error').textContent()).toContain('between $5.00 and $100.00');
    expect(await page.inputValue('#amount-input')).toBe('500');

    await page.fill('#amount-input', '12.50');
    await page.check('input[name="provider"][value="bakongapi"]');
    await Promise.all([page.waitForURL(/\/pay\/ord_[0-9a-z]{26}$/), page.click('#pay')]);
    await page.locator('img#qr').waitFor({ state: 'visible' });
    const orderId = new URL(page.url()).pathname.split('/').pop()!;
    const order = (await t.request('GET', `/v1/orders/${orderId}`, { token: m.apiKey })).json;
    expect(order).toMatchObject({ amount: '12.50', provider: 'bakongapi', payment_link_id: link.id });
    expect(await page.locator('body').textContent()).toContain('$12.50');
  });

  it('the gateway choice is honoured: a hosted gateway’s page opens', async () => {
    const link = await createLink({ amount: '3.00' });
    const page = await context.newPage();
    await page.goto(link.url);
    expect(await page.locator('#amount').textContent()).toContain('$3.00');
    await page.check('input[name="provider"][value="raksmeypay"]');
    await Promise.all([page.waitForURL(/\/sandbox\/raksmeypay\//), page.click('#pay')]);
    const orders = (await t.request('GET', `/v1/orders?payment_link_id=${link.id}`, { token: m.apiKey })).json.data;
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ provider: 'raksmeypay', amount: '3.00' });
  });

  it('Khmer, and a used-up link answers its 410 page', async () => {
    const link = await createLink({ amount: '2.00', max_payments: 1, providers: ['bakongapi'] });
    const page = await context.newPage();
    await page.goto(`${link.url}?lang=km`);
    expect(await page.getAttribute('html', 'lang')).toBe('km');
    expect(await page.locator('#pay').textContent()).toContain('បង់');
    await Promise.all([page.waitForURL(/\/pay\/ord_/), page.click('#pay')]);
    const orderId = new URL(page.url()).pathname.split('/').pop()!;
    const order = (await t.request('GET', `/v1/orders/${orderId}`, { token: m.apiKey })).json;
    await sandboxPay(t, 'bakongapi', order.transaction.provider_reference);
    await t.request('POST', `/v1/orders/${orderId}/verify`, { token: m.apiKey });

    const response = await page.goto(link.url);
    expect(response?.status()).toBe(410);
    expect(await page.locator('#notice').textContent()).toContain('already received all its payments');
    expect(await page.locator('#pay').count()).toBe(0);
    await screenshot(page, 'payment-link-used-up');
  });
});
