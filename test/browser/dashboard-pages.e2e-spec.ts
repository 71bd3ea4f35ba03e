import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { configureBakong } from '../helpers/bakong';
import { launchBrowser, screenshot } from '../helpers/chromium';
import { closePage, signInPage } from '../helpers/dashboard';
import { configureRaksmeypay } from '../helpers/raksmeypay';
import { createUser, PASSWORD } from '../helpers/sessions';
import { startTestApp, TestApp, TestMerchant } from '../helpers/test-app';
import { ensureWebBundle } from '../helpers/web-bundle';

const DOCS_SCREENSHOTS = join(__dirname, '../../docs/screenshots');

/** The dashboard's pages in Chromium, signed in as the merchant's owner or as an operator. */
describe('dashboard pages in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let m: TestMerchant;
  let paidOrder: { id: string; reference: string };
  let pendingOrder: { id: string; reference: string; transaction: { id: string } };

  const create = async (body: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
    return res.json;
  };
  const pay = async (o: { id: string; provider: string; transaction: { provider_reference: string } }) => {
    await t.request('POST', '/sandbox/control/pay', { body: { provider: o.provider, provider_reference: o.transaction.provider_reference } });
    expect((await t.request('POST', `/v1/orders/${o.id}/verify`, { token: m.apiKey })).json.status).toBe('PAID');
  };
  const OWNER = 'owner@sokha.test';
  const OPERATOR = 'ops@platform.test';
  const openAs = (email: string): Promise<Page> => signInPage(browser, t.url, email, PASSWORD);

  beforeAll(async () => {
    t = await startTestApp({ dashboardDir: await ensureWebBundle() });
    browser = await launchBrowser();
    m = await t.createMerchant('Sokha Coffee');
    await createUser(t, m.id, OWNER, 'owner');
    await createUser(t, null, OPERATOR);
    await configureRaksmeypay(t, m);
    await configureBakong(t, m);
    paidOrder = await create({ provider: 'raksmeypay', amount: '12.50', reference: 'INV-1001' });
    await pay(paidOrder as never);
    await pay(await create({ provider: 'raksmeypay', amount: '7.25', reference: 'INV-1002' }));
    await pay(await create({ provider: 'bakong', amount: '3.00', reference: 'INV-1003' }));
    await pay(await create({ provider: 'bakong', amount: '20000', currency: 'KHR', reference: 'INV-1004' }));
    pendingOrder = await create({ provider: 'raksmeypay', amount: '4.00', reference: 'INV-1005' });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('refuses a wrong password with the problem detail, and keeps the visitor signed out', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    await page.goto(`${t.url}/dashboard/`);
    await page.getByLabel('Email').fill(OWNER);
    await page.getByRole('textbox', { name: 'Password' }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('the email or the password is wrong');
    expect(await page.getByRole('heading', { name: 'Sign in to your dashboard' }).isVisible()).toBe(true);
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('khqr_session');
    await closePage(page);
  });

  it('overview: KPI cards for today and 7 days, a chart per gateway with a currency switch, in English and Khmer', async () => {
    const page = await openAs(OWNER);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const today = page.getByRole('group', { name: 'Collected' }).first();
    await today.waitFor();
    expect(await today.textContent()).toContain('22.75 USD');
    expect(await today.textContent()).toContain('20000 KHR');
    expect(await page.getByRole('group', { name: 'Orders' }).first().textContent()).toContain('5');
    expect(await page.getByRole('group', { name: 'Pending' }).first().textContent()).toContain('1');
    // The chart's table lists both USD gateways with today's paid amounts; KHR shows bakong alone.
    const table = page.getByRole('table', { name: 'Paid per day by gateway' });
    expect(await table.textContent()).toContain('19.75 (2/3)');
    expect(await page.locator('.recharts-surface').count()).toBeGreaterThan(0);
    await page.mouse.move(0, 0);
    await screenshot(page, 'dashboard-overview');
    copyFileSync(
      await screenshot(page, 'dashboard-overview', true),
      (mkdirSync(DOCS_SCREENSHOTS, { recursive: true }), join(DOCS_SCREENSHOTS, 'dashboard-overview.png')),
    );
    await page.getByRole('radiogroup', { name: 'Currency' }).getByText('KHR').click();
    await page.waitForFunction(() => document.querySelector('table[aria-label="Paid per day by gateway"]')?.textContent?.includes('20000 (1/1)'));
    expect(await table.textContent()).not.toContain('raksmeypay');
    await page.getByText('ខ្មែរ').click();
    await page.getByRole('heading', { name: 'ទិដ្ឋភាពទូទៅ' }).waitFor();
    await closePage(page);
  });

  it('order detail: the event timeline from GET /v1/events?order_id=, oldest first', async () => {
    const page = await openAs(OWNER);
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByRole('link', { name: 'INV-1001' }).click();
    await page.getByRole('heading', { name: 'Event timeline' }).waitFor();
    const items = page.locator('.mantine-Timeline-item');
    await items.nth(1).waitFor();
    expect(await items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toContain('order.created');
    expect(await items.nth(1).textContent()).toContain('order.paid');
    await screenshot(page, 'dashboard-order-detail');
    copyFileSync(await screenshot(page, 'dashboard-order-detail', true), join(DOCS_SCREENSHOTS, 'dashboard-order-detail.png'));
    await closePage(page);
  });

  it('gateways: a form per gateway from its credential fields; saving needs the secrets again, deleting refuses while orders are PENDING', async () => {
    const page = await openAs(OWNER);
    await page.getByRole('link', { name: 'Gateways' }).click();
    const rp = page.getByRole('region', { name: 'raksmeypay' });
    await rp.waitFor();
    expect(await page.getByRole('region', { name: 'ahnajak' }).getByText('Not configured').isVisible()).toBe(true);
    // Stored non-secret values are filled in; the secret is not (only its mask as a placeholder).
    expect(await rp.getByLabel('profile_id').inputValue()).toBe(`p-${m.id.slice(-8)}`);
    const secret = rp.getByLabel('profile_key');
    expect(await secret.inputValue()).toBe('');
    expect(await secret.getAttribute('placeholder')).toBe('••••0001');
    expect(await page.content()).not.toContain('test-profile-key-0001');
    // Saving without the secret is stopped by the form (the field is required), so nothing is sent.
    await rp.getByRole('button', { name: 'Save' }).click();
    expect(await secret.evaluate((el) => (el as HTMLInputElement).validity.valueMissing)).toBe(true);
    // A malformed base_url reaches the API, whose problem detail the form shows; nothing changes.
    await secret.fill('new-profile-key-7777');
    await rp.getByLabel('base_url').fill('ftp://example.com');
    await rp.getByRole('button', { name: 'Save' }).click();
    await rp.getByRole('alert').waitFor();
    expect(await rp.getByRole('alert').textContent()).toMatch(/base_url|invalid|Validation/i);
    expect((await t.request('GET', '/v1/provider-accounts', { token: m.apiKey })).text).toContain('••••0001');
    await rp.getByLabel('base_url').fill(`${t.url}/sandbox/raksmeypay`);
    await rp.getByRole('button', { name: 'Save' }).click();
    await rp.getByRole('status').waitFor();
    const accounts = await t.request('GET', '/v1/provider-accounts', { token: m.apiKey });
    expect(accounts.json.data.find((a: { provider: string }) => a.provider === 'raksmeypay').credentials.profile_key).toBe('••••7777');
    page.on('dialog', (d) => void d.accept());
    await rp.getByRole('button', { name: 'Delete account' }).click();
    await rp.getByRole('alert').waitFor();
    expect(await rp.getByRole('alert').textContent()).toContain('PENDING');
    await closePage(page);
  });

  it('operator console: merchants (create shows the key once), reconciliation run now, stuck transaction resolved with a reason, audit log', async () => {
    const page = await openAs(OPERATOR);
    await page.getByRole('heading', { name: 'Merchants' }).waitFor();
    // Every list is a table named after its page (DataTable's aria-label).
    await page.getByRole('table', { name: 'Merchants' }).getByRole('cell', { name: 'Sokha Coffee' }).waitFor();
    await page.getByLabel('Merchant name').fill('Dara Books');
    await page.getByRole('button', { name: 'Create merchant' }).click();
    const key = page.getByRole('status');
    await key.waitFor();
    expect(await key.textContent()).toMatch(/sk_[A-Za-z0-9_-]{20,}/);
    await page.getByRole('cell', { name: 'Dara Books' }).waitFor();

    await page.getByRole('link', { name: 'Reconciliation' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Stuck transactions' }).click();
    await page.getByRole('button', { name: 'Resolve INV-1005' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Customer paid at the counter (receipt 42)');
    await dialog.getByRole('button', { name: 'Resolve' }).click();
    await dialog.waitFor({ state: 'detached' });
    const order = await t.request('GET', `/v1/orders/${pendingOrder.id}`, { token: m.apiKey });
    expect(order.json.status).toBe('FAILED');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('table', { name: 'Audit log' }).getByRole('cell', { name: 'Customer paid at the counter (receipt 42)' }).waitFor();
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByText('Nothing here yet.').waitFor();
    await closePage(page);
  });
});
