import { createHash } from 'node:crypto';
import { navigate, pressButton } from './helpers/browser';
import { gatewayKit } from './helpers/gateway-kit';
import { configureHostedCheckout } from './helpers/hosted-checkout';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const SHOP = 'https://shop.example.com';
const API_KEY = 'co_live_8d1f0e2a7b';

interface OrderJson {
  id: string;
  status: string;
  checkout_url: string;
  transaction: { provider_reference: string };
  [k: string]: unknown;
}

describe('hosted checkout end to end through the sandbox', () => {
  let t: TestApp;
  let m: TestMerchant;
  const kit = gatewayKit({
    provider: 'checkout',
    app: () => t,
    merchant: () => m,
    referencePrefix: 'CO',
    orderDefaults: { amount: '12.50', success_url: `${SHOP}/thanks`, cancel_url: `${SHOP}/cart` },
  });

  const newOrder = (merchant = m, extra: Record<string, unknown> = {}): Promise<OrderJson> => kit.createOrder(extra, merchant);
  const getOrder = (id: string, merchant = m) => kit.getOrder(id, merchant);
  const txnRow = async (orderId: string) =>
    (
      await t.db.query(`SELECT provider_proof, return_token_hash, return_token_used_at, cancel_token_hash, status FROM transactions WHERE order_id = $1`, [
        orderId,
      ])
    ).rows[0];
  const session = async (trxId: string) => (await t.db.query(`SELECT * FROM sandbox_checkout_sessions WHERE trx_id = $1`, [trxId])).rows[0];
  const snapshot = async (orderId: string) => ({ order: await kit.orderRow(orderId), txn: await txnRow(orderId), events: await kit.eventsOf(orderId) });
  /** Our return URL for an order, as the gateway holds it (its success_url). */
  const returnUrlOf = async (order: OrderJson) => String((await session(order.transaction.provider_reference)).success_url);
  /** Our cancel URL for an order, as the gateway holds it (its cancel_url). */
  const cancelUrlOf = async (order: OrderJson) => String((await session(order.transaction.provider_reference)).cancel_url);
  const ordersWithReference = async (reference: string) =>
    Number((await t.db.query(`SELECT count(*) FROM orders WHERE reference = $1`, [reference])).rows[0].count);

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_IP_PER_S: '10000' } });
    m = await t.createMerchant('Checkout Shop');
    await configureHostedCheckout(t, m, { apiKey: API_KEY });
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('creates the payment at the gateway: Bearer key, client_base_url, customer, our return and cancel URLs, meta_data with the order id', async () => {
    const order = await newOrder(m, { customer: { name: 'Sokha', email: 'sokha@example.com' } });
    const trxId = order.transaction.provider_reference;
    expect(order.checkout_url).toBe(`${t.url}/sandbox/checkout/checkout?trx_id=${trxId}`);
    const s = await session(trxId);
    expect(s).toMatchObject({ merchant_id: m.id, amount: '12.50', customer_name: 'Sokha', customer_email: 'sokha@example.com' });
    expect(JSON.parse(s.meta_data)).toMatchObject({ order_id: order.id });
    const token = new RegExp(`^${t.url}/callbacks/checkout/([A-Za-z0-9_-]{43})/return$`).exec(s.success_url)![1];
    const cancelToken = new RegExp(`^${t.url}/callbacks/checkout/([A-Za-z0-9_-]{43})/cancel$`).exec(s.cancel_url)![1];
    // Two independent tokens: the cancel URL never carries the one that pays.
    expect(cancelToken).not.toBe(token);
    // Only the tokens' hashes are stored.
    expect(await txnRow(order.id)).toMatchObject({ return_token_hash: sha256(token), cancel_token_hash: sha256(cancelToken) });
  });

  it('a customer pays on the gateway page: PAID by browser_return, transaction_id stored as proof, redirected to success_url', async () => {
    const order = await newOrder();
    const page = await navigate(t.url, order.checkout_url);
    expect(page.last.status).toBe(200);
    expect(page.last.text).toContain('$12.50');
    expect(page.last.text).toContain('id="cancel"');
    const paid = await pressButton(t.url, page.last, 'pay');
    const ourReturn = paid.hops.find((h) => h.url.includes('/callbacks/checkout/'))!;
    const proof = new URL(ourReturn.url).searchParams.get('transaction_id');
    expect(proof).toMatch(/^[0-9a-f]{32}$/);
    expect(paid.leftTo).toBe(`${SHOP}/thanks`);
    expect(await getOrder(order.id)).toMatchObject({ status: 'PAID', verification: 'browser_return', paid_amount: '12.50', flags: [] });
    const row = await txnRow(order.id);
    expect(row.provider_proof).toBe(proof);
    expect(row.return_token_used_at).not.toBeNull();
    expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.paid']);

    // The same return again: the token is single use.
    const before = await snapshot(order.id);
    const again = await t.request('GET', ourReturn.url.slice(t.url.length));
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('return_token_used');
    expect(await snapshot(order.id)).toEqual(before);
  });

  it('/sandbox/control/pay records the payment: opening payment_url later redirects through the return', async () => {
    const order = await newOrder();
    const pay = await t.request('POST', '/sandbox/control/pay', { body: { provider: 'checkout', provider_reference: order.transaction.provider_reference } });
    expect(pay.status).toBe(200);
    // Nothing is sent on payment: the order waits for the browser.
    expect((await getOrder(order.id)).status).toBe('PENDING');
    const visit = await navigate(t.url, order.checkout_url);
    expect(visit.hops.map((h) => h.status)).toEqual([302, 302]);
    expect(visit.leftTo).toBe(`${SHOP}/thanks`);
    expect((await txnRow(order.id)).provider_proof).toBe(pay.json.gateway_transaction_id);
    expect((await getOrder(order.id)).status).toBe('PAID');
  });

  it('cancel on the gateway page: CANCELLED, redirected to cancel_url', async () => {
    const order = await newOrder();
    const page = await navigate(t.url, order.checkout_url);
    const cancelled = await pressButton(t.url, page.last, 'cancel');
    expect(cancelled.hops.some((h) => /\/callbacks\/checkout\/[A-Za-z0-9_-]{43}\/cancel$/.test(h.url))).toBe(true);
    expect(cancelled.leftTo).toBe(`${SHOP}/cart`);
    expect(await getOrder(order.id)).toMatchObject({ status: 'CANCELLED' });
    expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.cancelled']);
    // The gateway remembers: its page sends the browser back to cancel, which changes nothing more.
    expect((await navigate(t.url, order.checkout_url)).leftTo).toBe(`${SHOP}/cart`);
    expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.cancelled']);
  });

  it("without success_url or cancel_url the customer lands on the order's status page", async () => {
    const order = await newOrder(m, { success_url: undefined, cancel_url: undefined });
    const page = await navigate(t.url, order.checkout_url);
    const paid = await pressButton(t.url, page.last, 'pay');
    expect(paid.last.url).toBe(`${t.url}/pay/${order.id}`);
    expect((await getOrder(order.id)).status).toBe('PAID');
  });

  describe('bad returns: 4xx and nothing changes', () => {
    let order: OrderJson;
    let returnUrl: string;
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      order = await newOrder();
      returnUrl = (await returnUrlOf(order)).slice(t.url.length);
      before = await snapshot(order.id);
    });
    afterEach(async () => {
      expect(await snapshot(order.id)).toEqual(before);
    });

    it('no token', async () => {
      expect((await t.request('GET', '/callbacks/checkout/return?transaction_id=CJH1D2Y4W1')).status).toBe(404);
      expect((await t.request('GET', '/callbacks/checkout//return?transaction_id=CJH1D2Y4W1')).status).toBe(404);
    });
    it('a wrong token', async () => {
      const res = await t.request('GET', `/callbacks/checkout/${'x'.repeat(43)}/return?transaction_id=CJH1D2Y4W1`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await t.request('GET', `/callbacks/checkout/short/return?transaction_id=CJH1D2Y4W1`)).status).toBe(404);
      expect((await t.request('GET', `/callbacks/checkout/${'x'.repeat(43)}/cancel`)).status).toBe(404);
    });
    it('no or a malformed transaction_id', async () => {
      const missing = await t.request('GET', returnUrl);
      expect(missing.status).toBe(400);
      expect(missing.json.code).toBe('missing_transaction_id');
      expect((await t.request('GET', `${returnUrl}?transaction_id=`)).status).toBe(400);
      expect((await t.request('GET', `${returnUrl}?transaction_id=%3Cscript%3E`)).status).toBe(400);
      expect((await t.request('GET', `${returnUrl}?transaction_id=AAAA1&transaction_id=BBBB2`)).status).toBe(400);
    });
    it('a transaction_id already used for another order; the token stays usable', async () => {
      const first = await newOrder();
      const firstReturn = (await returnUrlOf(first)).slice(t.url.length);
      expect((await t.request('GET', `${firstReturn}?transaction_id=PROOF00001`)).status).toBe(302);
      const reused = await t.request('GET', `${returnUrl}?transaction_id=PROOF00001`);
      expect(reused.status).toBe(409);
      expect(reused.json.code).toBe('transaction_id_reused');
      expect((await txnRow(order.id)).return_token_used_at).toBeNull();
    });
  });

  it('a used token cannot pay another order, and a fresh transaction_id still works after a refused reuse', async () => {
    const order = await newOrder();
    const url = (await returnUrlOf(order)).slice(t.url.length);
    const other = await newOrder();
    const otherUrl = (await returnUrlOf(other)).slice(t.url.length);
    expect((await t.request('GET', `${otherUrl}?transaction_id=PROOF00002`)).status).toBe(302);
    expect((await t.request('GET', `${url}?transaction_id=PROOF00002`)).status).toBe(409);
    expect((await t.request('GET', `${url}?transaction_id=PROOF00003`)).status).toBe(302);
    expect(await getOrder(order.id)).toMatchObject({ status: 'PAID', verification: 'browser_return' });
    expect((await txnRow(order.id)).provider_proof).toBe('PROOF00003');
  });

  it('racing returns with the same link: one pays, the others are refused, one event', async () => {
    const order = await newOrder();
    const url = (await returnUrlOf(order)).slice(t.url.length);
    const results = await Promise.all(Array.from({ length: 8 }, () => t.request('GET', `${url}?transaction_id=RACE000001`)));
    expect(results.map((r) => r.status).sort()).toEqual([302, 409, 409, 409, 409, 409, 409, 409]);
    expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.paid']);
  });

  it("another merchant's order is out of reach of this merchant's links", async () => {
    const second = await t.createMerchant('Second Shop');
    await configureHostedCheckout(t, second, { apiKey: 'co_live_second_merchant' });
    const theirs = await newOrder(second);
    const ours = await newOrder();
    // Each return link pays exactly the transaction it was made for.
    expect((await t.request('GET', `${(await returnUrlOf(ours)).slice(t.url.length)}?transaction_id=PROOF00004`)).status).toBe(302);
    expect((await getOrder(theirs.id, second)).status).toBe('PENDING');
    expect((await t.request('GET', `/v1/orders/${theirs.id}`, { token: m.apiKey })).status).toBe(404);
  });

  describe('a customer holding the URLs we hand out cannot pay by them (issue 20)', () => {
    const path = (url: string) => url.slice(t.url.length);
    const tokenOf = (url: string) => url.split('/')[5];
    /** The parts of a 404 that could tell one link from another. */
    const notFoundShape = (res: { status: number; json: Record<string, unknown>; headers: Headers }) => ({
      status: res.status,
      contentType: res.headers.get('content-type'),
      cacheControl: res.headers.get('cache-control'),
      body: { ...res.json, instance: undefined },
    });

    it('the cancel URL rewritten into a return is a 404, before and after cancelling, and the order stays CANCELLED', async () => {
      const order = await newOrder();
      const cancelUrl = await cancelUrlOf(order);
      const forged = path(cancelUrl).replace(/\/cancel$/, '/return?transaction_id=FORGED0001');
      const unknown = await t.request('GET', `/callbacks/checkout/${'Q'.repeat(43)}/return?transaction_id=FORGED0001`);
      const before = await t.request('GET', forged);
      expect(notFoundShape(before)).toEqual(notFoundShape(unknown));
      expect(before.status).toBe(404);
      // The customer presses Cancel on the gateway's page, then tries again.
      const cancelled = await pressButton(t.url, (await navigate(t.url, order.checkout_url)).last, 'cancel');
      expect(cancelled.leftTo).toBe(`${SHOP}/cart`);
      const after = await t.request('GET', forged);
      expect(notFoundShape(after)).toEqual(notFoundShape(unknown));
      expect(await getOrder(order.id)).toMatchObject({ status: 'CANCELLED', verification: null, flags: [] });
      expect((await snapshot(order.id)).events).toEqual(['order.created', 'order.cancelled']);
    });

    it('cancelling spends the return token: the genuine return link then changes nothing', async () => {
      const order = await newOrder();
      const returnUrl = path(await returnUrlOf(order));
      expect((await t.request('GET', path(await cancelUrlOf(order)))).headers.get('location')).toBe(`${SHOP}/cart`);
      const before = await snapshot(order.id);
      expect(before.txn.return_token_used_at).not.toBeNull();
      const res = await t.request('GET', `${returnUrl}?transaction_id=AFTERCANCEL1`);
      expect(res.status).toBe(409);
      expect(res.json.code).toBe('return_token_used');
      expect(await snapshot(order.id)).toEqual(before);
      // Cancelling again changes nothing more and still lands on the merchant's cancel_url.
      expect((await t.request('GET', path(await cancelUrlOf(order)))).headers.get('location')).toBe(`${SHOP}/cart`);
      expect(await snapshot(order.id)).toEqual(before);
    });

    it('each token works only on its own route and only for its own transaction', async () => {
      const order = await newOrder();
      const other = await newOrder();
      const before = await snapshot(order.id);
      const otherBefore = await snapshot(other.id);
      const unknownReturn = await t.request('GET', `/callbacks/checkout/${'Q'.repeat(43)}/return?transaction_id=SWAPPED001`);
      const unknownCancel = await t.request('GET', `/callbacks/checkout/${'Q'.repeat(43)}/cancel`);
      // The return token on the cancel route, the cancel token on the return route: both unknown there.
      const returnOnCancel = await t.request('GET', `/callbacks/checkout/${tokenOf(await returnUrlOf(order))}/cancel`);
      const cancelOnReturn = await t.request('GET', `/callbacks/checkout/${tokenOf(await cancelUrlOf(order))}/return?transaction_id=SWAPPED001`);
      expect(notFoundShape(returnOnCancel)).toEqual(notFoundShape(unknownCancel));
      expect(notFoundShape(cancelOnReturn)).toEqual(notFoundShape(unknownReturn));
      expect(unknownReturn.status).toBe(404);
      expect(unknownCancel.status).toBe(404);
      expect(await snapshot(order.id)).toEqual(before);
      // Another order's cancel link cancels that order only.
      await t.request('GET', path(await cancelUrlOf(other)));
      expect(await snapshot(order.id)).toEqual(before);
      expect((await getOrder(other.id)).status).toBe('CANCELLED');
      expect(otherBefore.order.status).toBe('PENDING');
    });

    it.each([
      [
        'CANCELLED by the merchant',
        async (o: OrderJson) => expect((await t.request('POST', `/v1/orders/${o.id}/cancel`, { token: m.apiKey })).status).toBe(200),
        'CANCELLED',
      ],
      [
        'EXPIRED by the sweeper',
        async (o: OrderJson) => {
          await t.db.query(`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = $1`, [o.id]);
          await t.db.query(`UPDATE transactions SET expires_at = now() - interval '1 minute', next_check_at = now() WHERE order_id = $1`, [o.id]);
          expect((await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN })).status).toBe(201);
          expect((await getOrder(o.id)).status).toBe('EXPIRED');
        },
        'EXPIRED',
      ],
      [
        'past expires_at, not yet swept',
        async (o: OrderJson) => {
          await t.db.query(`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = $1`, [o.id]);
        },
        'PENDING',
      ],
    ])('a return for an order %s is refused (409) and changes nothing, however often', async (_name, close, status) => {
      const order = await newOrder();
      const returnUrl = path(await returnUrlOf(order));
      await close(order);
      const before = await snapshot(order.id);
      for (let i = 0; i < 2; i++) {
        const res = await t.request('GET', `${returnUrl}?transaction_id=LATE0000${i}`);
        expect(res.status).toBe(409);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.json.code).toBe('order_not_payable');
        expect(await snapshot(order.id)).toEqual(before);
      }
      expect(before.order).toMatchObject({ status, verification: null });
      expect(before.txn).toMatchObject({ return_token_used_at: null, provider_proof: null });
    });

    it('a success return and a cancel racing: exactly one of them wins', async () => {
      const order = await newOrder();
      const [ret, cancel] = await Promise.all([
        t.request('GET', `${path(await returnUrlOf(order))}?transaction_id=RACECANCEL1`),
        t.request('GET', path(await cancelUrlOf(order))),
      ]);
      const { events, order: row } = await snapshot(order.id);
      expect(events).toHaveLength(2);
      if (row.status === 'PAID') {
        expect(ret.status).toBe(302);
        expect(events[1]).toBe('order.paid');
      } else {
        expect(row.status).toBe('CANCELLED');
        expect(ret.status).toBe(409);
        expect(events[1]).toBe('order.cancelled');
      }
      expect(cancel.status).toBe(302);
    });

    it('a transaction from before the cancel token (one token in both URLs): its cancel link still cancels, and spends the return token', async () => {
      const order = await newOrder();
      const returnUrl = await returnUrlOf(order);
      const legacyToken = tokenOf(returnUrl);
      // What the migration does for those rows: the cancel link's token is the return token.
      await t.db.query(`UPDATE transactions SET cancel_token_hash = return_token_hash WHERE order_id = $1`, [order.id]);
      expect((await t.request('GET', `/callbacks/checkout/${legacyToken}/cancel`)).headers.get('location')).toBe(`${SHOP}/cart`);
      const before = await snapshot(order.id);
      expect(before.order.status).toBe('CANCELLED');
      const res = await t.request('GET', `${path(returnUrl)}?transaction_id=LEGACY0001`);
      expect(res.status).toBe(409);
      expect(await snapshot(order.id)).toEqual(before);
    });
  });

  describe('gateway failures on create: 502/504 and no order', () => {
    const attempt = async (merchant = m) => {
      const reference = `CO-FAIL-${kit.nextReference()}`;
      const res = await t.request('POST', '/v1/orders', { token: merchant.apiKey, body: { provider: 'checkout', amount: '5.00', reference } });
      expect(await ordersWithReference(reference)).toBe(0);
      return res;
    };

    it("Domain mismatch: 502 carrying the gateway's message", async () => {
      // Someone registers the same gateway key with another Base URL: the gateway checks the one on file.
      const copycat = await t.createMerchant('Copycat');
      await configureHostedCheckout(t, copycat, { apiKey: API_KEY, clientBaseUrl: 'https://elsewhere.example/api' });
      const res = await attempt(copycat);
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.detail).toContain('Domain mismatch. দুঃখিত, সংযোগ স্থাপন করা যায়নি।');
    });
    it('the gateway down (HTTP 500)', async () => {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'checkout', mode: 'http500' } });
      expect((await attempt()).status).toBe(502);
    });
    it('the gateway answering garbage', async () => {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'checkout', mode: 'garbage' } });
      const res = await attempt();
      expect(res.status).toBe(502);
      expect(res.json.code).toBe('provider_bad_response');
    });
    it('the gateway rate limiting', async () => {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'checkout', mode: 'http429' } });
      expect((await attempt()).status).toBe(502);
    });
    it('the gateway too slow', async () => {
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'checkout', latency_ms: 2500 } });
      const res = await attempt();
      expect(res.status).toBe(504);
      expect(res.json.code).toBe('provider_timeout');
    });
  });

  describe('the sandbox gateway itself', () => {
    const create = (authorization: string | null, body: Record<string, unknown>) =>
      t.request('POST', '/sandbox/checkout/api/v1/checkout', { body, headers: authorization ? { authorization } : {} });
    const valid = { amount: 150.5, client_base_url: 'https://shop.example.com/api', success_url: 'https://a.example/s', cancel_url: 'https://a.example/c' };

    it('checks the Bearer key', async () => {
      expect((await create(null, valid)).json).toMatchObject({ status: 'error' });
      expect((await create('Bearer nope', valid)).status).toBe(401);
    });
    it('answers the documented Domain mismatch error for another client_base_url', async () => {
      const res = await create(`Bearer ${API_KEY}`, { ...valid, client_base_url: 'https://shop.example.com' });
      expect(res.json).toEqual({ status: 'error', message: 'Domain mismatch. দুঃখিত, সংযোগ স্থাপন করা যায়নি।' });
    });
    it('answers a payment_url for a valid request', async () => {
      const res = await create(`Bearer ${API_KEY}`, valid);
      expect(res.json.status).toBe('success');
      expect(res.json.payment_url).toMatch(/\/sandbox\/checkout\/checkout\?trx_id=[0-9a-f]{32}$/);
    });
  });
});
