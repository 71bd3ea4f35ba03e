import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/chromium';
import { configurePayway } from '../helpers/payway';
import { startTestApp, TestApp, TestMerchant } from '../helpers/test-app';

/** A PayWay order's /pay page in a real browser: the KHQR, the "Open in bank app" ABA deeplink, and PAID once PayWay's pushback is confirmed. */
describe('payway pay page in a browser', () => {
  let t: TestApp;
  let m: TestMerchant;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Angkor Books');
    await configurePayway(t, m);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it.each([
    ['USD', '12.50', '$12.50'],
    ['KHR', '20000', '៛'],
  ])('%s: the QR and the ABA deeplink, then PAID when the customer pays', async (currency, amount, shown) => {
    const res = await t.request('POST', '/v1/orders', {
      token: m.apiKey,
      body: { provider: 'payway', amount, currency, reference: `PWB-${currency}-${Date.now()}` },
    });
    expect(res.status).toBe(201);
    const order = res.json;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(order.checkout_url);
      const qr = page.locator('img#qr');
      await qr.waitFor({ state: 'visible' });
      expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(200);
      expect(await page.locator('#amount').textContent()).toContain(shown);
      const link = page.locator('a#deeplink');
      expect(await link.getAttribute('href')).toBe(order.deeplink);
      expect(order.deeplink).toMatch(/^abamobilebank:\/\/ababank\.com\?type=payway&qrcode=000201/);
      await screenshot(page, `payway-pay-page-${currency.toLowerCase()}`, true);
      expect(
        (await t.request('POST', '/sandbox/control/pay', { body: { provider: 'payway', provider_reference: order.transaction.provider_reference } })).status,
      ).toBe(200);
      await page.waitForSelector('body[data-state="PAID"]', { timeout: 10_000 });
    } finally {
      await context.close();
    }
  });
});
