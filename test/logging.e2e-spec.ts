import { Logger } from '@nestjs/common';
import { httpRequest, startTestApp, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TestApp } from './helpers/test-app';

/**
 * Every line the app logs during a full flow, at the most verbose level, captured through the
 * injectable log stream: JSON, carrying the request id, and free of every secret involved.
 */
describe('structured logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  const stream = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) };
  const PROFILE_KEY = 'pk-super-secret-7f3a9c1e5b';

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'trace' }, logStream: stream });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a full flow logs JSON with request ids and no secret', async () => {
    const secrets: string[] = [TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, PROFILE_KEY];

    const created = await t.request('POST', '/admin/merchants', {
      token: TEST_ADMIN_TOKEN,
      body: { name: 'Log Shop' },
      headers: { 'x-request-id': 'log-flow-merchant' },
    });
    expect(created.status).toBe(201);
    const apiKey: string = created.json.api_key;
    secrets.push(apiKey);

    const account = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
      token: apiKey,
      body: { profile_id: 'log-profile', profile_key: PROFILE_KEY, base_url: `${t.url}/sandbox/raksmeypay` },
      headers: { cookie: 'session=cookie-secret-0123456789' },
    });
    expect(account.status).toBe(200);
    secrets.push('cookie-secret-0123456789');

    const hook = await t.request('POST', '/v1/webhook-endpoints', { token: apiKey, body: { url: `${t.url}/health/live` } });
    expect(hook.status).toBe(201);
    expect(hook.json.secret).toMatch(/^whsec_/);
    secrets.push(hook.json.secret, hook.json.secret.slice('whsec_'.length));

    const order = await t.request('POST', '/v1/orders', {
      token: apiKey,
      body: { provider: 'raksmeypay', amount: '9.90', reference: 'LOG-1' },
      headers: { 'x-request-id': 'log-flow-order' },
    });
    expect(order.status).toBe(201);

    // The customer pays on the gateway page and comes back through the signed return.
    const page = await httpRequest(order.json.checkout_url, 'GET');
    expect(page.status).toBe(200);
    const action = /<form method="post" action="([^"]+)">/.exec(page.text)![1];
    const fields = [...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, k, v]) => [
      k,
      v.replace(/&amp;/g, '&').replace(/&quot;/g, '"'),
    ]);
    const paid = await httpRequest(t.url + action, 'POST', {
      rawBody: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(paid.status).toBe(302);
    const back = await httpRequest(paid.headers.get('location')!, 'GET', { headers: { 'x-request-id': 'log-flow-return' } });
    expect(back.status).toBe(302);
    expect((await t.request('GET', `/v1/orders/${order.json.id}`, { token: apiKey })).json.status).toBe('PAID');

    // A rotation (the new key is a secret too) and a rejected credential.
    const rotated = await t.request('POST', `/admin/merchants/${created.json.id}/api-keys/rotate`, { token: TEST_ADMIN_TOKEN, body: { overlap_seconds: 60 } });
    expect(rotated.status).toBe(201);
    secrets.push(rotated.json.api_key);
    expect((await t.request('GET', '/v1/orders', { token: 'sk_not_a_real_key_but_looks_like_one_0000' })).status).toBe(401);
    secrets.push('sk_not_a_real_key_but_looks_like_one_0000');

    // A developer's careless log call goes through the same scrubbing.
    new Logger('Careless').warn({ credentials: { profile_key: PROFILE_KEY }, api_key: apiKey, note: `key was ${apiKey}` }, `retrying with Bearer ${apiKey}`);

    await new Promise((r) => setTimeout(r, 100));
    expect(lines.length).toBeGreaterThan(20);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of parsed) {
      expect(typeof entry.level).toBe('string');
      expect(typeof entry.time).toBe('number');
    }
    // Request lines carry the caller's X-Request-Id, including the transition logged deep inside the return.
    const forReturn = parsed.filter((e) => e.request_id === 'log-flow-return');
    expect(forReturn.some((e) => e.msg === 'order transition')).toBe(true);
    expect(forReturn.some((e) => e.msg === 'request completed')).toBe(true);
    expect(
      parsed.some((e) => e.request_id === 'log-flow-order' && e.msg === 'request completed' && (e.res as { status_code: number }).status_code === 201),
    ).toBe(true);
    const completed = parsed.filter((e) => e.msg === 'request completed');
    expect(completed.length).toBeGreaterThanOrEqual(8);
    expect(completed.every((e) => typeof e.request_id === 'string' && (e.request_id as string).length > 0)).toBe(true);

    const careless = parsed.find((e) => e.context === 'Careless')!;
    expect(careless).toMatchObject({ credentials: '[REDACTED]', api_key: '[REDACTED]' });
    expect(careless.msg).toMatch(/Bearer (sk_)?\[REDACTED\]/);

    const all = lines.join('\n');
    for (const secret of secrets) expect([secret.slice(0, 12), all.includes(secret)]).toEqual([secret.slice(0, 12), false]);
    expect(all).not.toMatch(/authorization/i);
    expect(all).not.toMatch(/\bsk_[A-Za-z0-9_-]{20,}/);
    expect(all).not.toMatch(/whsec_[A-Za-z0-9+/=]{10,}/);
  });

  it('access lines never carry the capabilities in public URLs (return tokens, QR tokens, pay-page order ids, signed-return hashes)', async () => {
    lines.length = 0;
    const merchant = await t.request('POST', '/admin/merchants', { token: TEST_ADMIN_TOKEN, body: { name: 'Capability Shop' } });
    const order = await t.request('POST', '/v1/orders', { token: merchant.json.api_key, body: { provider: 'bakongapi', amount: '1.00', reference: 'CAP-1' } });
    const orderId: string = order.json?.id ?? 'ord_01jd0000000000000000000001';
    const returnToken = 'Rt0k3n_CapabilityReturnToken_0123456789abcd';
    const qrToken = 'Qr0k3nCapabilityQrToken012345678';
    const successHash = 'c0ffee0123456789c0ffee0123456789c0ffee01';
    const visits: [string, string][] = [
      [`/callbacks/checkout/${returnToken}/return?transaction_id=CJH1D2Y4W1`, '/callbacks/checkout/:token/return?transaction_id=[REDACTED]'],
      [`/callbacks/checkout/${returnToken}/cancel`, '/callbacks/checkout/:token/cancel'],
      [`/qr/${qrToken}?format=svg`, '/qr/:token?format=[REDACTED]'],
      [`/pay/${orderId}?embed=1&origin=https%3A%2F%2Fshop.example.com`, '/pay/:orderId?embed=[REDACTED]&origin=[REDACTED]'],
      [`/pay/${orderId}/status`, '/pay/:orderId/status'],
      [
        `/callbacks/raksmeypay/100000001/return?success_hash=${successHash}&success_time=1`,
        '/callbacks/raksmeypay/:transactionNumber/return?success_hash=[REDACTED]&success_time=[REDACTED]',
      ],
      // No route matches: nothing past the first segment is kept.
      [`/pay/${orderId}/nope/${qrToken}`, '/pay/[REDACTED]'],
    ];
    for (const [path] of visits) await t.request('GET', path);
    await new Promise((r) => setTimeout(r, 100));
    const logged = lines.map((line) => JSON.parse(line) as { msg?: string; req?: { url: string } }).filter((e) => e.msg?.startsWith('request ') && e.req);
    for (const [, expected] of visits) expect([expected, logged.some((e) => e.req!.url === expected)]).toEqual([expected, true]);
    const all = lines.join('\n');
    for (const capability of [returnToken, qrToken, orderId, successHash]) expect([capability, all.includes(capability)]).toEqual([capability, false]);
    // Authenticated API paths keep their ids: they are not capabilities there.
    expect(logged.some((e) => e.req!.url === '/v1/orders')).toBe(true);
  });
});
