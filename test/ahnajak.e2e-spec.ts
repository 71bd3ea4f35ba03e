import { createHash, createHmac } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import verdicts from '../src/providers/ahnajak/golden/webhook-verdicts.vectors.json';
import { configureAhnajak } from './helpers/ahnajak';
import { navigate, pressButton } from './helpers/browser';
import { gatewayKit } from './helpers/gateway-kit';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/** The gateway's formulas, written here from the document independently of the provider code. */
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string, body: string | Buffer) => createHmac('sha256', key).update(body).digest('hex');
const SECRET = 'aj-secret-7f3e9a';
const SHOP = 'https://shop.example.com';
/** The document's custom payload template, in the account's form (their field -> our variable). */
const TEMPLATE = { order_id: '{{transaction_id}}', paid_amount: '{{amount}}', payment_status: '{{status}}', signature: '{{hash}}' };

interface OrderJson {
  id: string;
  status: string;
  checkout_url: string;
  transaction: { provider_reference: string };
  [k: string]: unknown;
}

describe('Ahnajak end to end through the sandbox', () => {
  let t: TestApp;
  let m: TestMerchant;
  let other: TestMerchant;
  let profileId: string;
  const kit = gatewayKit({ provider: 'ahnajak', app: () => t, merchant: () => m, referencePrefix: 'AJ', orderDefaults: { success_url: `${SHOP}/thanks` } });

  const newOrder = (merchant = m, amount = '12.50', extra: Record<string, unknown> = {}): Promise<OrderJson> => kit.createOrder({ amount, ...extra }, merchant);
  /** Our return URL for an order: the success_url inside its signed checkout link. */
  const returnUrlOf = (order: OrderJson) => new URL(order.checkout_url).searchParams.get('success_url')!;
  const getOrder = (id: string, merchant = m) => kit.getOrder(id, merchant);
  const snapshot = async (orderId: string) => ({ order: await kit.orderRow(orderId), events: await kit.eventsOf(orderId) });
  const webhook = (merchantId: string, body: string, signature: string | null) =>
    t.request('POST', `/callbacks/ahnajak/${merchantId}`, {
      rawBody: body,
      headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-ahnajak-signature': signature }) },
    });
  const signedBody = (txn: string, amount: string, opts: { secret?: string; status?: string; hashSecret?: string } = {}) =>
    JSON.stringify({ transaction_id: txn, amount, status: opts.status ?? 'SUCCESS', hash: sha256(txn + amount + (opts.hashSecret ?? opts.secret ?? SECRET)) });

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_IP_PER_S: '10000' } });
    m = await t.createMerchant('ABA Shop');
    other = await t.createMerchant('Other Shop');
    ({ profileId } = await configureAhnajak(t, m, { secretKey: SECRET }));
    await configureAhnajak(t, other, { secretKey: 'other-merchant-secret' });
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('checkout_url is the signed requestv2 link: the amount as PHP prints it, the same string in the hash and the query', async () => {
    const order = await newOrder(m, '12.50');
    const url = new URL(order.checkout_url);
    const n = order.transaction.provider_reference;
    expect(`${url.origin}${url.pathname}`).toBe(`${t.url}/sandbox/ahnajak/api/payment/requestv2/${profileId}`);
    expect(url.searchParams.get('transaction_id')).toBe(n);
    expect(url.searchParams.get('amount')).toBe('12.5');
    // Our return URL carries a random token of this transaction (only its hash is stored), never the sequential number.
    const returnToken = new RegExp(`^${t.url}/callbacks/ahnajak/([A-Za-z0-9_-]{43})/return$`).exec(url.searchParams.get('success_url')!)![1];
    expect(returnToken).not.toContain(n);
    expect((await t.db.query(`SELECT return_token_hash FROM transactions WHERE order_id = $1`, [order.id])).rows[0].return_token_hash).toBe(
      sha256(returnToken),
    );
    expect(url.searchParams.get('hash')).toBe(sha256(profileId + n + '12.5' + SECRET));
    const ten = await newOrder(m, '10.00');
    expect(new URL(ten.checkout_url).searchParams.get('amount')).toBe('10');
  });

  it('a customer opens the link, pays on the KHQR page and comes back: PAID by the signed webhook, redirected to success_url', async () => {
    const order = await newOrder();
    // 1. The browser opens checkout_url: requestv2 checks the hash and redirects to the hosted checkout page.
    const opened = await navigate(t.url, order.checkout_url);
    expect(opened.hops[0].status).toBe(302);
    expect(opened.last.url).toMatch(new RegExp(`^${t.url}/sandbox/ahnajak/payment/khqrcc/[0-9a-f]{24}$`));
    expect(opened.last.status).toBe(200);
    expect(opened.last.text).toContain('$12.5');
    expect(opened.last.text).toContain('id="countdown"');
    expect(opened.last.text).toContain('aria-label="KHQR code"');
    // 2. The customer presses Pay: the gateway sends its signed webhook, then the browser goes to success_url and on to the merchant.
    const paid = await pressButton(t.url, opened.last, 'pay');
    const ourReturn = paid.hops.find((h) => h.url.startsWith(`${returnUrlOf(order)}?`));
    expect(ourReturn).toBeDefined();
    const params = new URL(ourReturn!.url).searchParams;
    expect(params.get('success_amount')).toBe('12.5');
    expect(params.get('success_time')).toMatch(/^\d{10}$/);
    expect(params.get('success_hash')).toMatch(/^[0-9a-f]{64}$/);
    expect(paid.leftTo).toBe(`${SHOP}/thanks`);
    const after = await getOrder(order.id);
    expect(after).toMatchObject({ status: 'PAID', verification: 'signed_webhook', paid_amount: '12.50', flags: [] });
    expect(after.transaction.status).toBe('PAID');
    expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.paid']);
    // Opening the link again after paying goes straight back to the merchant.
    expect((await navigate(t.url, order.checkout_url)).leftTo).toBe(`${SHOP}/thanks`);
  });

  it("the customer's return alone never marks PAID: it shows the order's status page", async () => {
    const order = await newOrder();
    const n = order.transaction.provider_reference;
    const time = Math.floor(Date.now() / 1000);
    const forged = await t.request(
      'GET',
      `${returnUrlOf(order).slice(t.url.length)}?success_hash=${sha256(n + time + '12.5' + SECRET)}&success_time=${time}&success_amount=12.5`,
    );
    expect(forged.status).toBe(302);
    expect(forged.headers.get('location')).toBe(`${t.url}/pay/${order.id}`);
    expect((await getOrder(order.id)).status).toBe('PENDING');
  });

  it('the return cannot be walked by transaction number: a number, known or not, and a wrong token get the same 404 and learn nothing', async () => {
    const order = await newOrder();
    const n = order.transaction.provider_reference;
    /** Everything in a 404 that could tell one case from another (`instance` echoes the caller's own path). */
    const shape = async (path: string) => {
      const res = await t.request('GET', path);
      expect(res.text).not.toContain(order.id);
      expect(res.text).not.toContain(SHOP);
      return {
        status: res.status,
        contentType: res.headers.get('content-type'),
        cacheControl: res.headers.get('cache-control'),
        location: res.headers.get('location'),
        body: { ...res.json, instance: undefined },
      };
    };
    const wrongToken = await shape(`/callbacks/ahnajak/${'Q'.repeat(43)}/return`);
    expect(wrongToken.status).toBe(404);
    expect(await shape(`/callbacks/ahnajak/${n}/return`)).toEqual(wrongToken);
    expect(await shape(`/callbacks/ahnajak/${Number(n) + 1}/return`)).toEqual(wrongToken);
    expect(await shape('/callbacks/ahnajak/999999999999/return')).toEqual(wrongToken);
    expect(await shape('/callbacks/ahnajak/not-a-number/return')).toEqual(wrongToken);
    // A token shaped like the real one but one character off.
    const real = returnUrlOf(order).split('/')[5];
    expect(await shape(`/callbacks/ahnajak/${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}/return`)).toEqual(wrongToken);
    // Each token leads to its own order only.
    const other = await newOrder();
    expect((await t.request('GET', returnUrlOf(other).slice(t.url.length))).headers.get('location')).toBe(`${t.url}/pay/${other.id}`);
    expect((await t.request('GET', returnUrlOf(order).slice(t.url.length))).headers.get('location')).toBe(`${t.url}/pay/${order.id}`);
  });

  it('/sandbox/control/pay sends the webhook; a duplicate answers 200 and changes nothing', async () => {
    const order = await newOrder(m, '7.25');
    const pay = await t.request('POST', '/sandbox/control/pay', { body: { provider: 'ahnajak', provider_reference: order.transaction.provider_reference } });
    expect(pay.status).toBe(200);
    expect(await getOrder(order.id)).toMatchObject({ status: 'PAID', verification: 'signed_webhook', paid_amount: '7.25' });
    const before = await snapshot(order.id);
    // The gateway retries (or someone replays the old webhook): same effect, nothing new.
    expect(
      (await t.request('POST', '/sandbox/control/pay', { body: { provider: 'ahnajak', provider_reference: order.transaction.provider_reference } })).status,
    ).toBe(200);
    const body = signedBody(order.transaction.provider_reference, '7.25');
    const replay = await webhook(m.id, body, hmac(SECRET, body));
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual({ received: true, outcome: 'duplicate' });
    expect(await snapshot(order.id)).toEqual(before);
  });

  it('racing deliveries of one webhook: all answered 200, one transition, one event', async () => {
    const order = await newOrder(m, '4.00');
    const body = signedBody(order.transaction.provider_reference, '4.00');
    const results = await Promise.all(Array.from({ length: 8 }, () => webhook(m.id, body, hmac(SECRET, body))));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(results.filter((r) => r.json.outcome === 'paid')).toHaveLength(1);
    expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.paid']);
  });

  it('accepts the amount string exactly as sent ("12.5" or "12.50") and answers {received: true}', async () => {
    const order = await newOrder(m, '12.50');
    const body = signedBody(order.transaction.provider_reference, '12.5');
    const res = await webhook(m.id, body, hmac(SECRET, body));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ received: true, outcome: 'paid' });
    expect((await getOrder(order.id)).status).toBe('PAID');
  });

  it('a paid amount that differs flags the order instead of paying it', async () => {
    const order = await newOrder(m, '20.00');
    expect(
      (
        await t.request('POST', '/sandbox/control/pay', {
          body: { provider: 'ahnajak', provider_reference: order.transaction.provider_reference, amount: '19.99' },
        })
      ).status,
    ).toBe(200);
    const after = await getOrder(order.id);
    expect(after).toMatchObject({ status: 'PENDING', flags: ['amount_mismatch'], verification: null });
    expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.flagged']);
  });

  it("a custom payload template: the sandbox sends the merchant's shape and the receiver maps it back", async () => {
    const custom = await t.createMerchant('Template Shop');
    await configureAhnajak(t, custom, { secretKey: 'template-secret', payloadTemplate: TEMPLATE });
    const order = await newOrder(custom, '3.00');
    expect(
      (await t.request('POST', '/sandbox/control/pay', { body: { provider: 'ahnajak', provider_reference: order.transaction.provider_reference } })).status,
    ).toBe(200);
    expect(await getOrder(order.id, custom)).toMatchObject({ status: 'PAID', verification: 'signed_webhook', paid_amount: '3.00' });
    // With a template set, a body in the default shape is not this merchant's format: refused, as the PHP would.
    const second = await newOrder(custom, '3.00');
    const body = signedBody(second.transaction.provider_reference, '3.00', { secret: 'template-secret' });
    const res = await webhook(custom.id, body, hmac('template-secret', body));
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('hash_mismatch');
    expect((await getOrder(second.id, custom)).status).toBe('PENDING');
  });

  it('refuses a template that does not carry the four variables', async () => {
    const res = await t.request('PUT', '/v1/provider-accounts/ahnajak', {
      token: other.apiKey,
      body: { profile_id: 'x1', secret_key: 's', payload_template: { order_id: 'transaction_id', paid_amount: 'amount' } },
    });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].field).toBe('payload_template');
  });

  describe('bad webhooks: 4xx and nothing changes', () => {
    let order: OrderJson;
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      order = await newOrder(m, '12.50');
      before = await snapshot(order.id);
    });
    afterEach(async () => {
      expect(await snapshot(order.id)).toEqual(before);
    });
    const n = () => order.transaction.provider_reference;

    it('a bad header signature', async () => {
      const body = signedBody(n(), '12.50');
      const res = await webhook(m.id, body, hmac('wrong-secret', body));
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('invalid_signature');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    });
    it('no header signature, or one in upper case', async () => {
      const body = signedBody(n(), '12.50');
      expect((await webhook(m.id, body, null)).status).toBe(403);
      expect((await webhook(m.id, body, hmac(SECRET, body).toUpperCase())).status).toBe(403);
    });
    it('a body tampered with after signing', async () => {
      const body = signedBody(n(), '0.01');
      const res = await webhook(m.id, body.replace('"SUCCESS"', '"SUCCESS" '), hmac(SECRET, body));
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('invalid_signature');
    });
    it('a good header but a bad payload hash', async () => {
      const body = signedBody(n(), '12.50', { hashSecret: 'wrong' });
      const res = await webhook(m.id, body, hmac(SECRET, body));
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('hash_mismatch');
    });
    it('a payload hash over another amount', async () => {
      const body = JSON.stringify({ transaction_id: n(), amount: '12.50', status: 'SUCCESS', hash: sha256(n() + '0.01' + SECRET) });
      expect((await webhook(m.id, body, hmac(SECRET, body))).json.code).toBe('hash_mismatch');
    });
    it("another merchant's secret, at its own URL or at ours", async () => {
      const body = signedBody(n(), '12.50', { secret: 'other-merchant-secret' });
      const atOurs = await webhook(m.id, body, hmac('other-merchant-secret', body));
      expect(atOurs.status).toBe(403);
      // Properly signed by the other merchant, but the transaction is not theirs.
      const atTheirs = await webhook(other.id, body, hmac('other-merchant-secret', body));
      expect(atTheirs.status).toBe(404);
    });
    it('a valid webhook for another order', async () => {
      const body = signedBody('999999999', '12.50');
      const res = await webhook(m.id, body, hmac(SECRET, body));
      expect(res.status).toBe(404);
    });
    it('an unknown merchant in the URL', async () => {
      const body = signedBody(n(), '12.50');
      expect((await webhook('mer_00000000000000000000000000', body, hmac(SECRET, body))).status).toBe(404);
      expect((await webhook('../../v1', body, hmac(SECRET, body))).status).toBe(404);
    });
    it('a status other than SUCCESS', async () => {
      const body = signedBody(n(), '12.50', { status: 'PENDING' });
      const res = await webhook(m.id, body, hmac(SECRET, body));
      expect(res.status).toBe(422);
      expect(res.json.code).toBe('unknown_status');
    });
    it('missing fields', async () => {
      const body = JSON.stringify({ transaction_id: n(), status: 'SUCCESS', hash: sha256(n() + '' + SECRET) });
      const res = await webhook(m.id, body, hmac(SECRET, body));
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('missing_fields');
      const noHash = JSON.stringify({ transaction_id: n(), amount: '12.50', status: 'SUCCESS' });
      expect((await webhook(m.id, noHash, hmac(SECRET, noHash))).status).toBe(403);
    });
    it('a non-JSON body', async () => {
      const body = `transaction_id=${n()}&amount=12.50&status=SUCCESS`;
      expect((await webhook(m.id, body, hmac(SECRET, body))).status).toBe(400);
      const res = await t.request('POST', `/callbacks/ahnajak/${m.id}`, {
        rawBody: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-ahnajak-signature': hmac(SECRET, body) },
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
    it('an oversized body', async () => {
      const big = JSON.stringify({ transaction_id: n(), amount: '12.50', status: 'SUCCESS', hash: sha256(n() + '12.50' + SECRET), pad: 'x'.repeat(20_000) });
      const res = await webhook(m.id, big, hmac(SECRET, big));
      expect(res.status).toBe(413);
      const huge = JSON.stringify({ pad: 'x'.repeat(1_100_000) });
      expect((await webhook(m.id, huge, hmac(SECRET, huge))).status).toBe(413);
    });
  });

  it('has no verify API: POST /verify answers 422 and the order is unchanged', async () => {
    const order = await newOrder();
    const res = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('verify_not_supported');
  });

  it('the sandbox refuses a tampered link, and its faults hit requestv2 (creating an order makes no gateway call)', async () => {
    const order = await newOrder();
    const tampered = await navigate(t.url, order.checkout_url.replace('amount=12.5', 'amount=0.01'));
    expect(tampered.last.status).toBe(403);
    expect(tampered.last.text).toContain('Invalid hash');
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'ahnajak', mode: 'http500' } });
    expect((await navigate(t.url, order.checkout_url)).last.status).toBe(500);
    // The link is built locally, so a broken gateway cannot fail order creation.
    await newOrder();
  });
});

/**
 * The document's webhook_receiver.php was run with php-cli over 57 webhooks
 * (src/providers/ahnajak/golden): our receiver must refuse every one the PHP refuses and get
 * past verification on every one it accepts.
 */
describe('Ahnajak webhook receiver agrees with webhook_receiver.php over HTTP', () => {
  const PHP_SECRET = 'sk_test_ahnajak_secret_0001';
  let t: TestApp;
  let plain: TestMerchant;
  let custom: TestMerchant;
  let paidOrderId: string;

  beforeAll(async () => {
    // 57 webhooks back to back from one address: above the default per-IP limit for /callbacks.
    t = await startTestApp({ env: { RATE_LIMIT_PER_IP_PER_S: '10000' } });
    plain = await t.createMerchant('PHP default');
    custom = await t.createMerchant('PHP custom');
    await configureAhnajak(t, plain, { secretKey: PHP_SECRET });
    await configureAhnajak(t, custom, {
      secretKey: PHP_SECRET,
      payloadTemplate: { order_id: 'transaction_id', paid_amount: 'amount', payment_status: 'status', signature: 'hash' },
    });
    // The vectors name transaction 100000001 for 12.50: make it this merchant's first order.
    await t.db.query(`SELECT setval('transaction_number_seq', 100000000)`);
    const res = await t.request('POST', '/v1/orders', { token: plain.apiKey, body: { provider: 'ahnajak', amount: '12.50', reference: 'PHP-1' } });
    expect(res.json.transaction.provider_reference).toBe('100000001');
    paidOrderId = res.json.id;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(verdicts.map((v) => [v.verdict, v.name, v] as const))('PHP %s: %s', async (_, __, v) => {
    const merchant = v.receiver === 'custom' ? custom : plain;
    const res = await fetch(`${t.url}/callbacks/ahnajak/${merchant.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(v.signature === null ? {} : { 'x-ahnajak-signature': v.signature }) },
      body: Buffer.from(v.body_base64, 'base64'),
    });
    const problem = res.status >= 400 ? ((await res.json()) as { code: string }) : null;
    if (res.status < 400) await res.text();
    switch (v.verdict) {
      case 'invalid_signature':
        expect([res.status, problem?.code]).toEqual([403, 'invalid_signature']);
        break;
      case 'hash_mismatch':
        // 400 when the body is not JSON at all (refused before verification), else 403 like the PHP.
        if (res.status === 400) expect(problem?.code).toBe('malformed_json');
        else expect([res.status, problem?.code]).toEqual([403, 'hash_mismatch']);
        break;
      case 'error_500':
        expect([res.status, problem?.code]).toEqual([400, 'malformed_payload']);
        break;
      case 'fulfilled':
        // Verified like the PHP; then paid, or refused for what it says (not our transaction, an unusable amount).
        expect(['invalid_signature', 'hash_mismatch', 'malformed_payload']).not.toContain(problem?.code);
        expect([200, 400, 404]).toContain(res.status);
        break;
      case 'ignored':
        // Verified like the PHP, which then does nothing; we say why (422 unknown status, 400 no status).
        expect([res.status, problem?.code]).toEqual(res.status === 422 ? [422, 'unknown_status'] : [400, 'missing_fields']);
        break;
      default:
        throw new Error(`unexpected verdict ${v.verdict}`);
    }
  });

  it('the sandbox-shaped vector paid its order', async () => {
    const order = (await t.request('GET', `/v1/orders/${paidOrderId}`, { token: plain.apiKey })).json;
    expect(order).toMatchObject({ status: 'PAID', verification: 'signed_webhook', paid_amount: '12.50' });
  });
});

/**
 * The sandbox's webhooks are exactly the bytes webhook_receiver.php accepted: the app's
 * PUBLIC_BASE_URL points at a capture server, so the sandbox's POST lands there.
 */
describe('the sandbox sends the webhooks the document PHP accepted, byte for byte', () => {
  const PHP_SECRET = 'sk_test_ahnajak_secret_0001';
  let t: TestApp;
  let server: Server;
  const received: { url: string; signature: string | undefined; body: Buffer }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ url: req.url ?? '', signature: req.headers['x-ahnajak-signature'] as string | undefined, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    t = await startTestApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Gives the merchant an order of 12.50 whose transaction number is 100000001, as in the vectors, and has the sandbox pay it. */
  const payAs100000001 = async (merchant: TestMerchant) => {
    await t.db.query(`UPDATE transactions SET number = number + 800000000, provider_reference = (number + 800000000)::text WHERE number = 100000001`);
    await t.db.query(`SELECT setval('transaction_number_seq', 100000000)`);
    const order = await t.request('POST', '/v1/orders', {
      token: merchant.apiKey,
      body: { provider: 'ahnajak', amount: '12.50', reference: `SB-${merchant.id}` },
    });
    expect(order.json.transaction.provider_reference).toBe('100000001');
    received.length = 0;
    expect((await t.request('POST', '/sandbox/control/pay', { body: { provider: 'ahnajak', provider_reference: '100000001' } })).status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0].url).toBe(`/callbacks/ahnajak/${merchant.id}`);
    return received[0];
  };

  it.each([
    ['default', undefined],
    ['custom', { order_id: '{{transaction_id}}', paid_amount: '{{amount}}', payment_status: '{{status}}', signature: '{{hash}}' }],
  ] as const)('%s payload', async (receiver, payloadTemplate) => {
    const merchant = await t.createMerchant(`Sandbox ${receiver}`);
    // The sandbox acts only for accounts under PUBLIC_BASE_URL/sandbox/ (here the capture server's origin).
    const registered = await t.request('PUT', '/v1/provider-accounts/ahnajak', {
      token: merchant.apiKey,
      body: {
        profile_id: `aj-${merchant.id.slice(-10)}`,
        secret_key: PHP_SECRET,
        base_url: `${t.config.publicBaseUrl}/sandbox/ahnajak`,
        ...(payloadTemplate ? { payload_template: payloadTemplate } : {}),
      },
    });
    expect(registered.status).toBe(200);
    const sent = await payAs100000001(merchant);
    const vector = verdicts.find((v) => v.sandbox && v.receiver === receiver)!;
    expect(vector.verdict).toBe('fulfilled');
    expect(sent.body.toString('base64')).toBe(vector.body_base64);
    expect(sent.signature).toBe(vector.signature);
  });
});
