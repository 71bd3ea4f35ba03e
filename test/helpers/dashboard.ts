import type { Browser, Page } from 'playwright-core';

/** Opens the dashboard in a fresh browser context (its own cookie jar) and signs in through the sign-in form. */
export async function signInPage(
  browser: Browser,
  appUrl: string,
  email: string,
  password: string,
  opts: { locale?: string; viewport?: { width: number; height: number }; path?: string } = {},
): Promise<Page> {
  const context = await browser.newContext({ locale: opts.locale ?? 'en-US', viewport: opts.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${appUrl}/dashboard${opts.path ?? '/'}`);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

/** Closes the page and its context (the signed-in cookie jar). */
export async function closePage(page: Page): Promise<void> {
  await page.context().close();
}
