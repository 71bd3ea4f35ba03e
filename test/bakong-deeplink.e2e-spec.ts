import { createServer, Server } from 'node:http';
import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { bakongIdFor, configureBakong, expiredJwt } from './helpers/bakong';
import { launchBrowser, screenshot } from './helpers/chromium';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/** A JWT-shaped token (as Bakong issues) whose exp is `days` from now; the signature is not checked by anyone. */
function jwtExpiringIn(days: number): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + Math.round(days * 86_400);
  return `${part({ typ: 'JWT', alg: 'HS256' })}.${part({ iat: exp - 7_776_000, exp, data: { id: 'soon' } })}.c2lnbmF0dXJl`;
}

/** A tiny HTTP proxy on loopback (CONNECT tunnels, as a relay in Cambodia would be): records every tunnel it opened. */
async function startProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('bakong: bank-app deeplinks, the token expiry warning and a relay', () => {
  let t: TestApp;
  let m: TestMerchant;
  let browser: Browser;
  const order = (merchant: TestMerchant, reference: string) =>
    t.request('POST', '/v1/orders', { token: merchant.apiKey, body: { provider: 'bakong', amount: '4.25', reference } });

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Deeplink Shop');
    await configureBakong(t, m);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('a bakong order has the deeplink Bakong gave, and /pay shows "Open in bank app" with it on a phone', async () => {
    const res = await order(m, 'DL-1');
    expect(res.status).toBe(201);
    expect(res.json.deeplink).toBe(`${t.url}/sandbox/bakong/link/${res.json.qr.md5}`);
    expect((await t.request('GET', `/v1/orders/${res.json.id}`, { token: m.apiKey })).json.deeplink).toBe(res.json.deeplink);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(`${t.url}/pay/${res.json.id}?lang=en`);
      const link = page.locator('#deeplink');
      await link.waitFor({ state: 'visible' });
      expect(await link.textContent()).toBe('Open in bank app');
      expect(await link.getAttribute('href')).toBe(res.json.deeplink);
      await screenshot(page, 'pay-bakong-deeplink-phone');
      await page.goto(`${t.url}/pay/${res.json.id}?lang=km`);
      expect(await page.locator('#deeplink').textContent()).toBe('បើកក្នុងកម្មវិធីធនាគារ');
    } finally {
      await context.close();
    }
  });

  it('a failing deeplink call still creates the order, with deeplink null and no button', async () => {
    for (const mode of ['http500', 'garbage'] as const) {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'bakong', mode } });
      const res = await order(m, `DL-FAIL-${mode}`);
      expect({ mode, status: res.status, deeplink: res.json.deeplink, qr: typeof res.json.qr?.payload }).toEqual({
        mode,
        status: 201,
        deeplink: null,
        qr: 'string',
      });
      const page = await t.request('GET', `/pay/${res.json.id}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('id="deeplink"');
    }
  });

  it('PUT checks the account with check_bakong_account: an unknown account or an expired token is refused and nothing is stored', async () => {
    const shop = await t.createMerchant('Refused Shop');
    const base = { merchant_name: 'Shop', merchant_city: 'Phnom Penh', base_url: `${t.url}/sandbox/bakong` };
    const unknown = await t.request('PUT', '/v1/provider-accounts/bakong', { token: shop.apiKey, body: { ...base, account_id: 'ghost@none', token: 'tok-x' } });
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ code: 'provider_account_rejected', provider: 'bakong' });
    expect(unknown.json.detail).toMatch(/errorCode 11/);
    const expired = await t.request('PUT', '/v1/provider-accounts/bakong', {
      token: shop.apiKey,
      body: { ...base, account_id: bakongIdFor(shop), token: expiredJwt() },
    });
    expect(expired.status).toBe(422);
    expect(expired.json.code).toBe('provider_account_rejected');
    expect(expired.text).not.toContain(expiredJwt().split('.')[1]);
    expect((await t.request('GET', '/v1/provider-accounts', { token: shop.apiKey })).json.data).toEqual([]);
  });

  it('a token expiring within 14 days: token_expires_at and a warning on GET, the metric and /health/ready (still 200)', async () => {
    const shop = await t.createMerchant('Expiring Token Shop');
    const token = jwtExpiringIn(5);
    await configureBakong(t, shop, { token });
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;
    const account = (await t.request('GET', '/v1/provider-accounts', { token: shop.apiKey })).json.data[0];
    expect(account.token_expires_at).toBe(new Date(exp * 1000).toISOString());
    expect(account.warnings).toEqual([expect.stringMatching(/^the bakong token expires at .* \(in 5 days\)/)]);
    expect(account.credentials.token).toMatch(/^••••/);

    // The demo-free test merchant m has a non-JWT token: no expiry, no warning.
    const mine = (await t.request('GET', '/v1/provider-accounts', { token: m.apiKey })).json.data[0];
    expect(mine).toMatchObject({ token_expires_at: null, warnings: [] });

    const metrics = (await t.request('GET', '/metrics', { token: t.config.adminToken })).text;
    expect(metrics).toMatch(/khqr_provider_credentials_expiring\{provider="bakong",state="expiring"\} 1\b/);
    const ready = await t.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json.details.provider_credentials).toEqual({
      status: 'up',
      warnings: ['bakong: 1 account token(s) expire within 14 days'],
    });

    // A renewed token (90 days) clears the warning.
    await configureBakong(t, shop, { token: jwtExpiringIn(90) });
    expect((await t.request('GET', '/v1/provider-accounts', { token: shop.apiKey })).json.data[0].warnings).toEqual([]);
    expect((await t.request('GET', '/health/ready')).json.details.provider_credentials.warnings).toEqual([]);
  });

  it("the account's proxy_url (a relay) carries every Bakong call: the account check, the deeplink and the verify", async () => {
    const proxy = await startProxy();
    try {
      const shop = await t.createMerchant('Relay Shop');
      const put = await t.request('PUT', '/v1/provider-accounts/bakong', {
        token: shop.apiKey,
        body: {
          account_id: bakongIdFor(shop),
          merchant_name: 'Relay Shop',
          merchant_city: 'Phnom Penh',
          token: `tok-${shop.id}`,
          base_url: `${t.url}/sandbox/bakong`,
          proxy_url: proxy.url,
        },
      });
      expect(put.status).toBe(200);
      expect(put.json.credentials.proxy_url).toMatch(/^••••/);
      const host = new URL(t.url).host;
      expect(proxy.tunnels).toEqual([host]);
      const created = await order(shop, 'RELAY-1');
      expect(created.json.deeplink).toMatch(/\/sandbox\/bakong\/link\//);
      const verified = await t.request('POST', `/v1/orders/${created.json.id}/verify`, { token: shop.apiKey });
      expect(verified.json.status).toBe('PENDING');
      // Keep-alive may reuse a tunnel; at least one was opened, and every one went to the Open API's host.
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(new Set(proxy.tunnels)).toEqual(new Set([host]));
      const before = proxy.tunnels.length;
      await proxy.close();
      // With the relay gone, the calls fail rather than silently going direct.
      const noRelay = await order(shop, 'RELAY-2');
      expect({ status: noRelay.status, deeplink: noRelay.json.deeplink }).toEqual({ status: 201, deeplink: null });
      expect((await t.request('POST', `/v1/orders/${created.json.id}/verify`, { token: shop.apiKey })).status).toBe(502);
      expect(proxy.tunnels.length).toBe(before);
    } finally {
      await proxy.close().catch(() => undefined);
    }
  });
});
