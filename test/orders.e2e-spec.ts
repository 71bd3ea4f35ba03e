import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

describe('orders API (foundation)', () => {
  let t: TestApp;
  let m: TestMerchant;
  let other: TestMerchant;
  let seq = 0;
  const ref = () => `REF-${Date.now()}-${++seq}`;
  const countOrders = async () => Number((await t.db.query('SELECT count(*) FROM orders')).rows[0].count);
  const create = (body: Record<string, unknown>, token = m.apiKey, headers: Record<string, string> = {}) =>
    t.request('POST', '/v1/orders', { token, body: { provider: 'raksmeypay', amount: '12.50', reference: ref(), ...body }, headers });

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Sokha Coffee');
    other = await t.createMerchant('Other Shop');
    await configureRaksmeypay(t, m);
    await configureRaksmeypay(t, other, 'other-profile-key-9999');
  });
  afterAll(async () => {
    await t.close();
  });

  describe('auth', () => {
    it('refuses admin endpoints without or with a wrong token', async () => {
      expect((await t.request('GET', '/admin/merchants')).status).toBe(401);
      const wrong = await t.request('GET', '/admin/merchants', { token: 'adm_wrong_wrong_wrong_wrong' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('content-type')).toContain('application/problem+json');
      expect((await t.request('GET', '/admin/merchants', { token: m.apiKey })).status).toBe(401);
    });

    it('issues sk_ keys with at least 32 random bytes, stored hashed', async () => {
      expect(m.apiKey).toMatch(/^sk_[A-Za-z0-9_-]{43,}$/);
      const rows = await t.db.query('SELECT key_hash FROM api_keys WHERE merchant_id = $1', [m.id]);
      expect(rows.rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows.rows)).not.toContain(m.apiKey);
      const list = await t.request('GET', '/admin/merchants', { token: TEST_ADMIN_TOKEN });
      expect(list.json.data.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([m.id, other.id]));
      expect(list.text).not.toContain('sk_');
    });

    it('refuses merchant endpoints without a valid key', async () => {
      expect((await t.request('GET', '/v1/orders')).status).toBe(401);
      expect((await t.request('GET', '/v1/orders', { token: 'sk_' + 'x'.repeat(43) })).status).toBe(401);
      expect((await t.request('GET', '/v1/orders', { token: TEST_ADMIN_TOKEN })).status).toBe(401);
    });
  });

  describe('provider accounts', () => {
    it('masks secrets on read and encrypts them at rest', async () => {
      const res = await t.request('GET', '/v1/provider-accounts', { token: m.apiKey });
      expect(res.status).toBe(200);
      const account = res.json.data.find((a: { provider: string }) => a.provider === 'raksmeypay');
      expect(account.credentials.profile_key).toBe('••••0001');
      expect(res.text).not.toContain('test-profile-key-0001');
      const stored = await t.db.query(`SELECT credentials_sealed FROM provider_accounts WHERE merchant_id = $1`, [m.id]);
      expect(stored.rows[0].credentials_sealed).toMatch(/^v1\./);
      expect(stored.rows[0].credentials_sealed).not.toContain('test-profile-key');
    });

    it('validates per provider: missing, unknown and malformed fields; unknown provider', async () => {
      const missing = await t.request('PUT', '/v1/provider-accounts/raksmeypay', { token: m.apiKey, body: { profile_id: 'x' } });
      expect(missing.status).toBe(400);
      expect(missing.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'profile_key' })]));
      const unknown = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
        token: m.apiKey,
        body: { profile_id: 'x', profile_key: 'y', colour: 'red' },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'colour' })]));
      const badUrl = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
        token: m.apiKey,
        body: { profile_id: 'x', profile_key: 'y', base_url: 'ftp://nope' },
      });
      expect(badUrl.status).toBe(400);
      expect((await t.request('PUT', '/v1/provider-accounts/paypal', { token: m.apiKey, body: {} })).status).toBe(404);
      // Nothing above changed the stored account.
      const res = await t.request('GET', '/v1/provider-accounts', { token: m.apiKey });
      expect(res.json.data.find((a: { provider: string }) => a.provider === 'raksmeypay').credentials.profile_id).toBe(`p-${m.id.slice(-8)}`);
    });
  });

  describe('create', () => {
    it('creates a PENDING order with the signed RaksmeyPay link and an order.created event', async () => {
      const reference = ref();
      const res = await t.request('POST', '/v1/orders', {
        token: m.apiKey,
        body: {
          provider: 'raksmeypay',
          amount: '12.50',
          reference,
          description: 'Two lattes',
          customer: { name: 'Dara', email: 'dara@example.com' },
          metadata: { cart: 42 },
          success_url: 'https://shop.example.com/thanks',
        },
      });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({
        status: 'PENDING',
        amount: '12.50',
        currency: 'USD',
        provider: 'raksmeypay',
        reference,
        verification: null,
        flags: [],
        qr: null,
      });
      expect(res.json.id).toMatch(/^ord_/);
      expect(res.json.checkout_url).toContain(`${t.url}/sandbox/raksmeypay/payment/request/`);
      expect(res.json.checkout_url).toContain('amount=12.5&');
      expect(res.json.transaction.provider_reference).toMatch(/^\d+$/);
      const events = await t.db.query(`SELECT type, sequence FROM events WHERE order_id = $1`, [res.json.id]);
      expect(events.rows).toEqual([{ type: 'order.created', sequence: 1 }]);
      const row = await t.db.query(`SELECT amount_minor FROM orders WHERE id = $1`, [res.json.id]);
      expect(row.rows[0].amount_minor).toBe('1250');
    });

    it('accepts a JSON number amount as its decimal', async () => {
      const res = await create({ amount: 7.5 });
      expect(res.status).toBe(201);
      expect(res.json.amount).toBe('7.50');
    });

    const bad: [string, () => Promise<{ status: number; json: { code: string } }>, number, string][] = [
      [
        'malformed JSON',
        () => t.request('POST', '/v1/orders', { token: m.apiKey, rawBody: '{"provider": "raksmeypay",', headers: { 'content-type': 'application/json' } }),
        400,
        'malformed_json',
      ],
      ['wrong type', () => create({ amount: true }), 400, 'validation_failed'],
      ['unknown field', () => create({ colour: 'red' }), 400, 'validation_failed'],
      ['too many decimals', () => create({ amount: '12.505' }), 400, 'validation_failed'],
      ['zero', () => create({ amount: '0' }), 400, 'validation_failed'],
      ['negative', () => create({ amount: '-5.00' }), 400, 'validation_failed'],
      ['huge', () => create({ amount: '100000000.00' }), 400, 'validation_failed'],
      ['exponent string', () => create({ amount: '1e3' }), 400, 'validation_failed'],
      ['exponent number', () => create({ amount: 1e21 }), 400, 'validation_failed'],
      ['hex', () => create({ amount: '0x10' }), 400, 'validation_failed'],
      ['unknown provider', () => create({ provider: 'paypal' }), 400, 'validation_failed'],
      ['unsupported currency for the provider', () => create({ currency: 'KHR', amount: '5000' }), 400, 'validation_failed'],
      ['unknown currency', () => create({ currency: 'EUR' }), 400, 'validation_failed'],
      ['bad success_url', () => create({ success_url: 'javascript:alert(1)' }), 400, 'validation_failed'],
      ['bad email', () => create({ customer: { email: 'not-an-email' } }), 400, 'validation_failed'],
      ['description too long', () => create({ description: 'x'.repeat(1001) }), 400, 'validation_failed'],
      ['expires_in too short', () => create({ expires_in: 10 }), 400, 'validation_failed'],
      ['array body', () => t.request('POST', '/v1/orders', { token: m.apiKey, body: [1, 2] }), 400, 'validation_failed'],
      [
        'missing provider account',
        () =>
          create({ provider: 'raksmeypay' }, m.apiKey).then(async () =>
            t.request('POST', '/v1/orders', {
              token: (await t.createMerchant('No accounts')).apiKey,
              body: { provider: 'raksmeypay', amount: '1.00', reference: ref() },
            }),
          ),
        422,
        'provider_account_missing',
      ],
      ['oversized body', () => create({ description: 'x'.repeat(1024 * 1024 + 10) }), 413, 'body_too_large'],
    ];

    it.each(bad)('refuses %s with a problem and writes nothing', async (_name, send, status, code) => {
      const before = await countOrders();
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.json.code).toBe(code);
      if (!_name.startsWith('missing provider account')) expect(await countOrders()).toBe(before);
      else expect(await countOrders()).toBe(before + 1); // only the valid order created by the setup step
    });

    it('lists field-level errors for validation problems, with no stack or SQL', async () => {
      const res = await create({ amount: '1.234', customer: { email: 'x' }, colour: 1 });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['customer.email', 'colour']));
      expect(res.text).not.toMatch(/at \w+ \(|SELECT|INSERT/);
    });

    it('refuses a duplicate reference with 409', async () => {
      const reference = ref();
      expect((await create({ reference })).status).toBe(201);
      const before = await countOrders();
      const dup = await create({ reference });
      expect(dup.status).toBe(409);
      expect(dup.json.code).toBe('duplicate_reference');
      expect(await countOrders()).toBe(before);
      // The same reference is free for another merchant.
      expect((await create({ reference }, other.apiKey)).status).toBe(201);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body', async () => {
      const body = { provider: 'raksmeypay', amount: '3.00', reference: ref() };
      const first = await t.request('POST', '/v1/orders', { token: m.apiKey, body, headers: { 'idempotency-key': `k-${seq}` } });
      const again = await t.request('POST', '/v1/orders', { token: m.apiKey, body, headers: { 'idempotency-key': `k-${seq}` } });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.json).toEqual(first.json);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    });

    it('answers 422 for the same key with another body', async () => {
      const key = `k2-${seq}`;
      expect(
        (
          await t.request('POST', '/v1/orders', {
            token: m.apiKey,
            body: { provider: 'raksmeypay', amount: '3.00', reference: ref() },
            headers: { 'idempotency-key': key },
          })
        ).status,
      ).toBe(201);
      const before = await countOrders();
      const res = await t.request('POST', '/v1/orders', {
        token: m.apiKey,
        body: { provider: 'raksmeypay', amount: '4.00', reference: ref() },
        headers: { 'idempotency-key': key },
      });
      expect(res.status).toBe(422);
      expect(res.json.code).toBe('idempotency_key_reused');
      expect(await countOrders()).toBe(before);
    });

    it('keys are per merchant', async () => {
      const key = `shared-${seq}`;
      const a = await t.request('POST', '/v1/orders', {
        token: m.apiKey,
        body: { provider: 'raksmeypay', amount: '3.00', reference: ref() },
        headers: { 'idempotency-key': key },
      });
      const b = await t.request('POST', '/v1/orders', {
        token: other.apiKey,
        body: { provider: 'raksmeypay', amount: '3.00', reference: ref() },
        headers: { 'idempotency-key': key },
      });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.json.id).not.toBe(b.json.id);
    });

    it('20 concurrent requests with one key create exactly one order', async () => {
      const key = `race-${Date.now()}`;
      const body = { provider: 'raksmeypay', amount: '9.99', reference: ref() };
      const before = await countOrders();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => t.request('POST', '/v1/orders', { token: m.apiKey, body, headers: { 'idempotency-key': key } })),
      );
      expect(await countOrders()).toBe(before + 1);
      const created = results.filter((r) => r.status === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((r) => r.json.id)).size).toBe(1);
      for (const r of results) expect([201, 409]).toContain(r.status);
      // Once finished, the key replays.
      const later = await t.request('POST', '/v1/orders', { token: m.apiKey, body, headers: { 'idempotency-key': key } });
      expect(later.status).toBe(201);
      expect(later.json.id).toBe(created[0].json.id);
    });

    it('remembers a deterministic refusal and replays it', async () => {
      const key = `bad-${seq}`;
      const body = { provider: 'raksmeypay', amount: '1.001', reference: ref() };
      const first = await t.request('POST', '/v1/orders', { token: m.apiKey, body, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(400);
    });
  });

  describe('read, list, scope', () => {
    it("answers 404 for another merchant's order everywhere", async () => {
      const mine = await create({});
      for (const [method, path] of [
        ['GET', `/v1/orders/${mine.json.id}`],
        ['POST', `/v1/orders/${mine.json.id}/cancel`],
        ['POST', `/v1/orders/${mine.json.id}/verify`],
      ] as const) {
        const res = await t.request(method, path, { token: other.apiKey });
        expect(res.status).toBe(404);
        expect(res.text).not.toContain(mine.json.reference);
      }
      const list = await t.request('GET', `/v1/orders?reference=${encodeURIComponent(mine.json.reference)}`, { token: other.apiKey });
      expect(list.json.data).toEqual([]);
      expect((await t.request('GET', `/v1/orders/${mine.json.id}`, { token: m.apiKey })).status).toBe(200);
    });

    it('paginates newest first with starting_after and filters', async () => {
      const shop = await t.createMerchant('Pager');
      await configureRaksmeypay(t, shop);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await create({}, shop.apiKey)).json.id);
      const page1 = await t.request('GET', '/v1/orders?limit=2', { token: shop.apiKey });
      expect(page1.json.data.map((o: { id: string }) => o.id)).toEqual([ids[4], ids[3]]);
      expect(page1.json.has_more).toBe(true);
      const page3 = await t.request('GET', `/v1/orders?limit=2&starting_after=${ids[1]}`, { token: shop.apiKey });
      expect(page3.json.data.map((o: { id: string }) => o.id)).toEqual([ids[0]]);
      expect(page3.json.has_more).toBe(false);
      await t.request('POST', `/v1/orders/${ids[2]}/cancel`, { token: shop.apiKey });
      const cancelled = await t.request('GET', '/v1/orders?status=CANCELLED', { token: shop.apiKey });
      expect(cancelled.json.data.map((o: { id: string }) => o.id)).toEqual([ids[2]]);
      expect((await t.request('GET', '/v1/orders?limit=0', { token: shop.apiKey })).status).toBe(400);
      expect((await t.request('GET', '/v1/orders?status=LOST', { token: shop.apiKey })).status).toBe(400);
      expect((await t.request('GET', '/v1/orders?starting_after=x', { token: shop.apiKey })).status).toBe(400);
    });

    it('answers 404 problems for unknown orders and routes, echoing X-Request-Id', async () => {
      const res = await t.request('GET', '/v1/orders/ord_00000000000000000000000000', { token: m.apiKey, headers: { 'x-request-id': 'req-abc-123' } });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-request-id')).toBe('req-abc-123');
      const route = await t.request('GET', '/v1/nothing-here');
      expect(route.status).toBe(404);
      expect(route.json.code).toBe('not_found');
      expect(route.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('cancel', () => {
    it('cancels PENDING once, idempotently, and refuses to cancel a paid order', async () => {
      const order = (await create({})).json;
      const res = await t.request('POST', `/v1/orders/${order.id}/cancel`, { token: m.apiKey });
      expect(res.status).toBe(200);
      expect(res.json.status).toBe('CANCELLED');
      expect((await t.request('POST', `/v1/orders/${order.id}/cancel`, { token: m.apiKey })).json.status).toBe('CANCELLED');
      const events = await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [order.id]);
      expect(events.rows.map((r) => r.type)).toEqual(['order.created', 'order.cancelled']);

      const paid = (await create({})).json;
      await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: paid.transaction.provider_reference } });
      expect((await t.request('POST', `/v1/orders/${paid.id}/verify`, { token: m.apiKey })).json.status).toBe('PAID');
      const refused = await t.request('POST', `/v1/orders/${paid.id}/cancel`, { token: m.apiKey });
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('invalid_transition');
    });
  });
});
