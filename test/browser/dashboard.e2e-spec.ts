import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/chromium';
import { startTestApp, TestApp } from '../helpers/test-app';
import { ensureWebBundle } from '../helpers/web-bundle';

/** The dashboard in Chromium: signed out, it shows the sign-in page, in English and in Khmer. */
describe('dashboard in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp({ dashboardDir: await ensureWebBundle() });
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the sign-in form with labelled fields, switches to Khmer, and runs under its CSP without violations', async () => {
    const page = await browser.newPage({ locale: 'en-US', viewport: { width: 390, height: 800 } });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${t.url}/dashboard/orders`);
    await page.getByRole('heading', { name: 'Sign in to your dashboard' }).waitFor();
    await page.getByLabel('Email').fill('demo@example.com');
    await page.getByRole('textbox', { name: 'Password' }).fill('not-the-password');
    await screenshot(page, 'dashboard-sign-in-en');
    // The language switch (a labelled radio group).
    await page.getByText('ខ្មែរ').click();
    await page.getByRole('heading', { name: 'ចូលទៅផ្ទាំងគ្រប់គ្រងរបស់អ្នក' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('km');
    expect(await page.getByLabel('អ៊ីមែល').inputValue()).toBe('demo@example.com');
    await screenshot(page, 'dashboard-sign-in-km');
    // Kept across a reload.
    await page.reload();
    await page.getByRole('button', { name: 'ចូល' }).waitFor();
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows the problem detail when signing in fails', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    await page.goto(`${t.url}/dashboard`);
    await page.getByLabel('Email').fill('demo@example.com');
    await page.getByRole('textbox', { name: 'Password' }).fill('wrong-password-123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The 401 problem's detail is what the page shows; no session cookie is set.
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('the email or the password is wrong');
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('khqr_session');
    await page.close();
  });
});
