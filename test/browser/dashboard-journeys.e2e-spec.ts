import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { WebhookDispatcher } from '../../src/events/webhook-dispatcher.service';
import { launchBrowser, screenshot } from '../helpers/chromium';
import { closePage, signInPage } from '../helpers/dashboard';
import { configureRaksmeypay } from '../helpers/raksmeypay';
import { createUser, PASSWORD } from '../helpers/sessions';
import { startTestApp, TestApp, TestMerchant } from '../helpers/test-app';
import { ensureWebBundle } from '../helpers/web-bundle';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const DOCS_SCREENSHOTS = join(__dirname, '../../docs/screenshots');
const toDocs = async (page: Page, name: string) => {
  mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
  copyFileSync(await screenshot(page, name, true), join(DOCS_SCREENSHOTS, `${name}.png`));
};

/** A fetch made by the page itself (its cookie jar): what a script on the dashboard could do, whatever the UI hides. */
const pageFetch = (page: Page, method: string, path: string, csrf: boolean, body?: unknown) =>
  page.evaluate(
    async ({ method, path, csrf, body }) => {
      const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
      if (csrf) headers['x-csrf-token'] = ((await (await fetch('/auth/me')).json()) as { csrf_token: string }).csrf_token;
      const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json().catch(() => null)) as { code?: string } | null };
    },
    { method, path, csrf, body },
  );

/**
 * Issue 17's browser journeys against the real app and database: an owner's day (overview, find an
 * order, timeline, refund, cancel, replay a failed webhook, rotate a key, invite a viewer), the
 * viewer who sees but cannot change, another merchant's ids, the operator's console, CSRF, the
 * test/live switch, and the sign-in throttle (last: it locks the address out).
 */
describe('dashboard journeys in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let m: TestMerchant;
  let other: TestMerchant;
  let receiver: WebhookReceiver;
  let paid: { id: string; reference: string };
  let pending: { id: string; reference: string };
  let stuck: { id: string; reference: string };
  let foreign: { id: string };
  const OWNER = 'owner@sokha.test';
  const VIEWER = 'viewer@sokha.test';
  const OPERATOR = 'ops@platform.test';

  const create = async (merchant: TestMerchant, body: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/orders', { token: merchant.apiKey, body: { provider: 'raksmeypay', ...body } });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
    return res.json;
  };
  const order = async (id: string) => (await t.request('GET', `/v1/orders/${id}`, { token: m.apiKey })).json;

  beforeAll(async () => {
    t = await startTestApp({ dashboardDir: await ensureWebBundle() });
    browser = await launchBrowser();
    m = await t.createMerchant('Sokha Coffee');
    other = await t.createMerchant('Dara Books');
    await configureRaksmeypay(t, m);
    await configureRaksmeypay(t, other);
    await createUser(t, m.id, OWNER, 'owner');
    await createUser(t, null, OPERATOR);
    // The merchant's receiver fails the first delivery of each event, then accepts.
    receiver = await WebhookReceiver.start();
    receiver.reply = ({ count }) => ({ status: count === 1 ? 500 : 200 });
    const endpoint = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/khqr'), events: ['order.paid'] } });
    receiver.secrets.push(endpoint.json.secret);
    paid = await create(m, { amount: '12.50', reference: 'INV-2001' });
    await t.request('POST', '/sandbox/control/pay', {
      body: { provider: 'raksmeypay', provider_reference: (paid as never as { transaction: { provider_reference: string } }).transaction.provider_reference },
    });
    expect((await t.request('POST', `/v1/orders/${paid.id}/verify`, { token: m.apiKey })).json.status).toBe('PAID');
    pending = await create(m, { amount: '4.00', reference: 'INV-2002' });
    stuck = await create(m, { amount: '9.00', reference: 'INV-2003' });
    foreign = await create(other, { amount: '1.00', reference: 'OTHER-1' });
    // One dispatch pass: the order.paid delivery fails (500) and waits for its retry.
    await t.app.get(WebhookDispatcher).runOnce();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
  });

  it('owner: overview shows today, finds an order by reference, its timeline, refunds it (manual gateway), cancels a pending one', async () => {
    const page = await signInPage(browser, t.url, OWNER, PASSWORD);
    // Merchant users land on the overview.
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/overview');
    // Today's orders of this merchant (three; the other merchant's is not counted).
    const orders = page.getByRole('group', { name: 'Orders' }).first();
    await orders.waitFor();
    expect(await orders.textContent()).toMatch(/(^|\D)3(\D|$)/);

    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByLabel('Reference').fill('INV-2001');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await page.getByRole('link', { name: 'INV-2001' }).click();
    await page.getByRole('heading', { name: 'Event timeline' }).waitFor();
    await page.locator('.mantine-Timeline-item').nth(1).waitFor();
    expect(await page.locator('.mantine-Timeline-item').nth(1).textContent()).toContain('order.paid');

    // raksmeypay has no refund API (GET /v1/gateways): the form asks for the manual checkbox, required.
    const refund = page.getByRole('form', { name: 'Refund this order' });
    await refund.getByLabel('Amount (USD)').fill('2.50');
    await refund.getByLabel('Reason').fill('One latte was cold');
    await refund.getByRole('button', { name: 'Refund' }).click();
    const manual = refund.getByRole('checkbox', { name: /manual refund/ });
    expect(await manual.evaluate((el) => (el as HTMLInputElement).validity.valueMissing)).toBe(true);
    expect((await t.request('GET', `/v1/orders/${paid.id}/refunds`, { token: m.apiKey })).json.data).toHaveLength(0);
    await manual.check();
    await refund.getByRole('button', { name: 'Refund' }).click();
    const refunds = page.getByRole('table', { name: 'Refunds' });
    await refunds.getByText('SUCCEEDED').waitFor();
    expect(await refunds.textContent()).toContain('2.50 USD');
    expect(await refunds.textContent()).toContain('manual');
    await page.getByText('Refunded: 2.50 USD').waitFor();
    expect((await order(paid.id)).amount_refunded).toBe('2.50');
    // Past what is left: the API's problem is shown and nothing is written.
    await refund.getByLabel('Amount (USD)').fill('10.01');
    await refund.getByRole('checkbox', { name: /manual refund/ }).check();
    await refund.getByRole('button', { name: 'Refund' }).click();
    await refund.getByRole('alert').waitFor();
    expect((await order(paid.id)).amount_refunded).toBe('2.50');
    await page.mouse.move(0, 0);
    await toDocs(page, 'dashboard-order-refund');

    await page.goto(`${t.url}/dashboard/orders/${pending.id}`);
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByText('CANCELLED').first().waitFor();
    expect((await order(pending.id)).status).toBe('CANCELLED');
    // A PAID order offers no cancel; the list screenshot for the README.
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByRole('link', { name: 'INV-2003' }).waitFor();
    await toDocs(page, 'dashboard-orders');
    await closePage(page);
  });

  it('owner: replays a failed webhook delivery from the log; the receiver gets the same event again', async () => {
    const page = await signInPage(browser, t.url, OWNER, PASSWORD, { path: '/webhooks' });
    const log = page.getByRole('table', { name: 'Delivery log' });
    await log.getByText('failed').waitFor();
    const [delivery] = (await t.db.query(`SELECT id FROM webhook_deliveries WHERE merchant_id = $1 AND status = 'failed'`, [m.id])).rows;
    await page.getByRole('button', { name: new RegExp(`Retry order.paid ${delivery.id}`) }).click();
    await page.getByText('Queued again').waitFor();
    await t.app.get(WebhookDispatcher).runOnce();
    expect((await t.db.query(`SELECT status FROM webhook_deliveries WHERE id = $1`, [delivery.id])).rows[0].status).toBe('delivered');
    const got = receiver.received.filter((d) => d.verifiedWith !== null);
    expect(got).toHaveLength(2);
    expect(got[1].webhookId).toBe(got[0].webhookId);
    await page.reload();
    await log.getByText('delivered').waitFor();
    await closePage(page);
  });

  it('owner: rotates an API key: the new key is shown once and works; the old one keeps working for the overlap', async () => {
    const page = await signInPage(browser, t.url, OWNER, PASSWORD, { path: '/api-keys' });
    const oldLast4 = m.apiKey.slice(-4);
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('status').filter({ hasText: 'shown once' });
    await shown.waitFor();
    const newKey = (await shown.locator('code').textContent()) ?? '';
    expect(newKey).toMatch(/^sk_[A-Za-z0-9_-]{20,}$/);
    expect((await t.request('GET', '/v1/orders?limit=1', { token: newKey })).status).toBe(200);
    await page.getByRole('button', { name: `Revoke …${oldLast4}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('expiring').waitFor();
    expect((await t.request('GET', '/v1/orders?limit=1', { token: m.apiKey })).status).toBe(200);
    // Shown once: after a reload only the last four characters remain.
    await page.reload();
    await page.getByRole('table', { name: 'API keys' }).waitFor();
    expect(await page.content()).not.toContain(newKey);
    await closePage(page);
  });

  it('owner invites a viewer, who sees everything but no action, and whose direct writes the API refuses (403)', async () => {
    const owner = await signInPage(browser, t.url, OWNER, PASSWORD, { path: '/team' });
    const invite = owner.getByRole('form', { name: 'Add member' });
    await invite.getByLabel('Email').fill(VIEWER);
    await invite.getByRole('textbox', { name: /First password/ }).fill(PASSWORD);
    // The role defaults to Viewer.
    expect(await invite.getByLabel('Role').inputValue()).toBe('Viewer');
    await invite.getByRole('button', { name: 'Add member' }).click();
    await owner.getByRole('cell', { name: VIEWER, exact: true }).waitFor();
    const members = (
      await t.request('GET', '/v1/team', { headers: { cookie: (await owner.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } })
    ).json.data;
    expect(members.find((u: { email: string }) => u.email === VIEWER)?.role).toBe('viewer');
    await closePage(owner);

    const viewer = await signInPage(browser, t.url, VIEWER, PASSWORD, { path: `/orders/${paid.id}` });
    await viewer.getByRole('table', { name: 'Refunds' }).waitFor();
    expect(await viewer.getByRole('form', { name: 'Refund this order' }).count()).toBe(0);
    await viewer.goto(`${t.url}/dashboard/orders/${stuck.id}`);
    await viewer.getByRole('heading', { name: 'Event timeline' }).waitFor();
    await viewer.getByText('INV-2003').first().waitFor();
    expect(await viewer.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);
    await viewer.getByRole('link', { name: 'Team' }).click();
    await viewer.getByRole('cell', { name: OWNER, exact: true }).waitFor();
    expect(await viewer.getByRole('form', { name: 'Add member' }).count()).toBe(0);
    await viewer.getByRole('link', { name: 'API keys' }).click();
    await viewer.getByRole('table', { name: 'API keys' }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    // The API refuses anyway: a fetch from the page with the viewer's cookie and CSRF token.
    const cancel = await pageFetch(viewer, 'POST', `/v1/orders/${stuck.id}/cancel`, true);
    expect(cancel).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await order(stuck.id)).status).toBe('PENDING');
    const key = await pageFetch(viewer, 'POST', '/v1/api-keys', true, {});
    expect(key.status).toBe(403);
    // Another merchant's order: 404 to the API and an error on the page, never its data.
    expect((await pageFetch(viewer, 'GET', `/v1/orders/${foreign.id}`, false)).status).toBe(404);
    await viewer.goto(`${t.url}/dashboard/orders/${foreign.id}`);
    await viewer.getByRole('alert').waitFor();
    expect(await viewer.content()).not.toContain('OTHER-1');
    await closePage(viewer);
  });

  it('a request with the session cookie but without X-CSRF-Token is 403 and changes nothing', async () => {
    const page = await signInPage(browser, t.url, OWNER, PASSWORD);
    const res = await pageFetch(page, 'POST', `/v1/orders/${stuck.id}/cancel`, false);
    expect(res).toMatchObject({ status: 403, body: { code: 'csrf_failed' } });
    expect((await order(stuck.id)).status).toBe('PENDING');
    await closePage(page);
  });

  it('owner: payment links: create a fixed-amount link, copy its URL, show its QR, deactivate it', async () => {
    const page = await signInPage(browser, t.url, OWNER, PASSWORD, { path: '/payment-links' });
    const form = page.getByRole('form', { name: 'New payment link' });
    await form.getByLabel('Description').fill('Iced latte (large)');
    await form.getByRole('textbox', { name: 'Amount' }).fill('2.50');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'Iced latte (large)', exact: true }).waitFor();
    const link = (await t.request('GET', '/v1/payment-links', { token: m.apiKey })).json.data[0];
    expect(link).toMatchObject({ description: 'Iced latte (large)', amount: '2.50', active: true });
    expect(await page.getByRole('link', { name: link.url }).getAttribute('href')).toBe(link.url);
    await page.getByRole('button', { name: 'QR code Iced latte (large)' }).click();
    const qr = page.getByRole('dialog').getByRole('img', { name: `QR code: ${link.url}` });
    // The dialog's close button has a name (keyboard and screen-reader users).
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).waitFor();
    await qr.waitFor();
    await page.waitForFunction(() => ((document.querySelector('[role=dialog] img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
    expect(await qr.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(100);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await toDocs(page, 'dashboard-payment-links');
    await page.getByRole('button', { name: 'Deactivate Iced latte (large)' }).click();
    await page.getByText('inactive').waitFor();
    expect((await t.request('GET', `/v1/payment-links/${link.id}`, { token: m.apiKey })).json.active).toBe(false);
    await closePage(page);
  });

  it('test/live switch: on, every call carries X-Khqr-Mode: test and a TEST MODE banner shows; kept across a reload, per tab', async () => {
    const page = await signInPage(browser, t.url, OWNER, PASSWORD, { path: '/orders' });
    await page.getByRole('link', { name: 'INV-2001' }).waitFor();
    const modes: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/')) modes.push(r.headers()['x-khqr-mode']);
    });
    expect(await page.getByText('TEST MODE', { exact: true }).count()).toBe(0);
    await page.getByRole('switch', { name: 'Test mode' }).check();
    await page.getByText('TEST MODE', { exact: true }).waitFor();
    await page.waitForFunction(() => document.querySelector('tbody') !== null || document.body.textContent?.includes('Nothing here yet.'));
    await page.reload();
    await page.getByText('TEST MODE', { exact: true }).waitFor();
    expect(await page.getByRole('switch', { name: 'Test mode' }).isChecked()).toBe(true);
    await page.getByRole('link', { name: 'Gateways' }).click();
    await page.getByRole('heading', { name: 'Gateways' }).waitFor();
    expect(modes.length).toBeGreaterThan(1);
    expect(modes.every((m) => m === 'test')).toBe(true);
    // Another tab of the same browser is live until switched there.
    const tab = await page.context().newPage();
    await tab.goto(`${t.url}/dashboard/overview`);
    await tab.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await tab.getByRole('switch', { name: 'Test mode' }).isChecked()).toBe(false);
    expect(await tab.getByText('TEST MODE', { exact: true }).count()).toBe(0);
    await page.getByRole('switch', { name: 'Test mode' }).uncheck();
    await page.getByText('TEST MODE', { exact: true }).waitFor({ state: 'detached' });
    await closePage(page);
  });

  it('operator: lands on the console, resolves a stuck transaction; the audit log names the operator', async () => {
    const page = await signInPage(browser, t.url, OPERATOR, PASSWORD);
    await page.getByRole('heading', { name: 'Merchants' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/operator/merchants');
    expect(await page.getByRole('switch', { name: 'Test mode' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Stuck transactions' }).click();
    await page.getByRole('button', { name: 'Resolve INV-2003' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Paid at the counter, receipt 77');
    await dialog.getByRole('button', { name: 'Resolve' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await order(stuck.id)).status).toBe('FAILED');
    await page.getByRole('link', { name: 'Audit log' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Paid at the counter, receipt 77' });
    await row.waitFor();
    expect(await row.textContent()).toContain(OPERATOR);
    await toDocs(page, 'dashboard-operator-audit');
    await closePage(page);
  });

  it('a wrong password five times: the sixth attempt is throttled (429), even with the right password', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    await page.goto(`${t.url}/dashboard/`);
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/auth/login')) statuses.push(r.status());
    });
    await page.getByLabel('Email').fill(OWNER);
    const password = page.getByRole('textbox', { name: 'Password' });
    const attempt = async () => {
      await Promise.all([page.waitForResponse((r) => r.url().endsWith('/auth/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
    };
    for (let i = 1; i <= 5; i++) {
      await password.fill(`wrong-password-${i}`);
      await attempt();
    }
    await password.fill(PASSWORD);
    await attempt();
    await page.getByRole('alert').filter({ hasText: 'Too many attempts' }).waitFor();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('khqr_session');
    await page.close();
  });
});
