import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';
import { WebhookDispatcher } from '../../src/events/webhook-dispatcher.service';
import { createUser, signIn } from '../helpers/sessions';
import { startTestApp, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TestApp, TestResponse } from '../helpers/test-app';
import { createTenant, Tenant, testModeIds } from './support/fixtures';
import { send, SendOptions, sent } from './support/http';
import { ahnajakWebhook, AppLike, createOrder, KITS, Merchant, OrderView, sandboxPay } from './support/providers';
import { Receiver } from './support/receiver';
import { newTally, writeTally } from './support/summary';

/**
 * Security: forged, tampered, replayed and stale callbacks change nothing; another merchant's
 * ids answer 404 and leak nothing; admin endpoints refuse missing or wrong tokens; outbound
 * calls (webhooks, provider base_url) never reach loopback, private or metadata addresses
 * with the sandbox off, not even through a redirect; no secret appears in any response or
 * log line; and every hash, signature and token comparison in src/ is constant-time.
 */
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
/** RaksmeyPay prints amounts as PHP floats: "4.50" -> "4.5". */
const headerText = (res: TestResponse) => {
  let out = '';
  res.headers.forEach((v, k) => (out += `${k}: ${v}\n`));
  return out;
};
const phpFloat = (decimal: string) => (decimal.includes('.') ? decimal.replace(/0+$/, '').replace(/\.$/, '') : decimal);

describe('reliability: security', () => {
  jest.setTimeout(180_000);
  const tally = newTally();
  const receiver = new Receiver();
  const logLines: string[] = [];
  const responses: { where: string; res: TestResponse }[] = [];
  let t: TestApp;
  let app: AppLike;
  let a: Tenant;
  let b: Tenant;
  let doc: { paths: Record<string, Record<string, { security?: Record<string, unknown>[]; parameters?: { name: string; in: string }[] }>> };

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      env: { LOG_LEVEL: 'trace', RATE_LIMIT_PER_KEY_PER_S: '100000', RATE_LIMIT_PER_IP_PER_S: '100000' },
      logStream: { write: (line: string) => void logLines.push(line) },
    });
    // Every answer this spec receives is kept for the secret scan at the end.
    app = {
      url: t.url,
      request: async (method: string, path: string, opts?: SendOptions) => {
        const res = await send(t.url + path, method, opts);
        responses.push({ where: `${method} ${path}`, res });
        return res;
      },
    };
    a = await createTenant(app, t.db, 'sec-a', receiver.url);
    b = await createTenant(app, t.db, 'sec-b', receiver.url);
    doc = (await app.request('GET', '/docs-json')).json;
  });

  afterAll(async () => {
    tally.requests = sent.count;
    writeTally('security', tally);
    await t?.close();
    await receiver.close();
  });

  const eventsOf = async (orderId: string) =>
    (await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [orderId])).rows.map((r) => r.type);
  const statusOf = async (orderId: string) => (await t.db.query(`SELECT status FROM orders WHERE id = $1`, [orderId])).rows[0].status;
  const pendingOf = (tenant: Tenant, provider: string) => tenant.orders.find((o) => o.reference === `${tenant.name}-${provider}-pending`)!;
  const paidOf = (tenant: Tenant, provider: string) => tenant.paid.find((o) => o.reference === `${tenant.name}-${provider}-paid`)!;
  /** Fires a forged callback and checks it was refused and changed nothing. */
  async function refused(order: OrderView, fire: () => Promise<TestResponse>, status: number | number[], code?: string) {
    const before = { status: await statusOf(order.id), events: await eventsOf(order.id) };
    const res = await fire();
    tally.cases++;
    if (![status].flat().includes(res.status)) throw new Error(`expected ${String(status)}, got ${res.status}: ${res.text.slice(0, 300)}`);
    if (code) expect(res.json?.code).toBe(code);
    expect({ status: await statusOf(order.id), events: await eventsOf(order.id) }).toEqual(before);
  }

  describe('forged, tampered, replayed and stale callbacks change nothing', () => {
    it('RaksmeyPay signed return', async () => {
      const order = pendingOf(a, 'raksmeypay');
      const txn = order.transaction.provider_reference;
      const key = a.providerSecrets.raksmeypay;
      const now = Math.floor(Date.now() / 1000);
      const ret = (o: { txn?: string; time?: number; amount?: string; key?: string; bakong?: string; hash?: string } = {}) => {
        const time = String(o.time ?? now);
        const amount = o.amount ?? phpFloat(order.amount);
        const bakong = o.bakong ?? 'b4k0n9' + txn;
        const hash = o.hash ?? sha1((o.key ?? key) + time + amount + bakong + (o.txn ?? txn));
        return () =>
          app.request('GET', `/callbacks/raksmeypay/${txn}/return?success_time=${time}&success_amount=${amount}&bakong_hash=${bakong}&success_hash=${hash}`);
      };
      await refused(order, ret({ hash: 'f'.repeat(40) }), 400, 'invalid_signature');
      // Tampered: signed over the real amount, presented with another.
      await refused(order, ret({ hash: sha1(key + now + phpFloat(order.amount) + 'b4k0n9' + txn + txn), amount: '0.01' }), 400, 'invalid_signature');
      await refused(order, ret({ key: b.providerSecrets.raksmeypay }), 400, 'invalid_signature');
      // Signed for another transaction, presented for this one.
      await refused(order, ret({ txn: paidOf(a, 'raksmeypay').transaction.provider_reference }), 400, 'invalid_signature');
      await refused(order, ret({ time: now - 181 - 5 }), 400, 'stale_return');
      await refused(order, ret({ time: now + 3600 }), 400, 'stale_return');
      // The genuine return pays once; replayed, it changes nothing.
      const fresh = await createOrder(app, a, 'raksmeypay', 'sec-rk-genuine', '4.50');
      await sandboxPay(app, fresh, 'raksmeypay');
      const genuine = await KITS.raksmeypay.capture!(app, fresh, a);
      expect((await genuine()).status).toBe(302);
      expect(await eventsOf(fresh.id)).toEqual(['order.created', 'order.paid']);
      await refused(fresh, genuine, 302);
      await refused(fresh, genuine, 302);
    });

    it('Ahnajak signed webhook', async () => {
      const order = pendingOf(a, 'ahnajak');
      const ref = order.transaction.provider_reference;
      const secretA = a.providerSecrets.ahnajak;
      const hook = ahnajakWebhook(a, ref, order.amount, secretA);
      const post = (h: { path: string; rawBody: string; headers: Record<string, string> }) => () =>
        app.request('POST', h.path, { rawBody: h.rawBody, headers: h.headers });
      await refused(order, post({ ...hook, headers: { ...hook.headers, 'x-ahnajak-signature': 'a'.repeat(64) } }), 403, 'invalid_signature');
      await refused(order, post({ ...hook, headers: { 'content-type': 'application/json' } }), 403, 'invalid_signature');
      // Tampered after signing: the header no longer matches the body.
      await refused(order, post({ ...hook, rawBody: hook.rawBody.replace(`"amount":"${order.amount}"`, '"amount":"0.01"') }), 403, 'invalid_signature');
      // Signed with another merchant's secret, or a valid header over a payload whose inner hash is wrong.
      await refused(order, post(ahnajakWebhook(a, ref, order.amount, b.providerSecrets.ahnajak)), 403, 'invalid_signature');
      const wrongInner = JSON.stringify({ ...JSON.parse(hook.rawBody), hash: 'b'.repeat(64) });
      await refused(
        order,
        post({
          ...hook,
          rawBody: wrongInner,
          headers: { ...hook.headers, 'x-ahnajak-signature': createHmac('sha256', secretA).update(wrongInner).digest('hex') },
        }),
        403,
        'hash_mismatch',
      );
      // Merchant A's valid signature over merchant B's transaction: not A's, so not found.
      const foreign = pendingOf(b, 'ahnajak');
      await refused(foreign, post(ahnajakWebhook(a, foreign.transaction.provider_reference, foreign.amount, secretA)), 404);
      // B's genuine webhook sent to A's URL: verified with A's secret, it fails.
      await refused(
        foreign,
        post({ ...ahnajakWebhook(b, foreign.transaction.provider_reference, foreign.amount, b.providerSecrets.ahnajak), path: `/callbacks/ahnajak/${a.id}` }),
        403,
        'invalid_signature',
      );
      // The genuine webhook pays once; replayed (Ahnajak signs no timestamp, so a replay is the only staleness), it changes nothing.
      expect((await post(hook)()).status).toBe(200);
      expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid']);
      await refused(order, post(hook), 200);
      await refused(order, post(hook), 200);
    });

    it('hosted checkout browser return', async () => {
      const order = await createOrder(app, a, 'checkout', 'sec-ck-return', '4.50');
      await sandboxPay(app, order, 'checkout');
      const page = await send(order.checkout_url, 'GET');
      const url = new URL(page.headers.get('location')!);
      const path = url.pathname;
      const proof = url.searchParams.get('transaction_id')!;
      const at = (p: string, q: string) => () => app.request('GET', `${p}${q}`);
      await refused(order, at(`/callbacks/checkout/${randomBytes(32).toString('base64url')}/return`, `?transaction_id=${proof}`), 404);
      await refused(order, at(path.replace(/\/[^/]+\/return$/, `/${'A'.repeat(43)}/return`), `?transaction_id=${proof}`), 404);
      await refused(order, at(path, ''), 400);
      await refused(order, at(path, '?transaction_id=%3Cscript%3E'), 400);
      // A transaction_id that is already the proof of another payment is refused.
      const otherProof = (await t.db.query(`SELECT provider_proof FROM transactions WHERE id = $1`, [paidOf(a, 'checkout').transaction.id])).rows[0]
        .provider_proof;
      await refused(order, at(path, `?transaction_id=${otherProof}`), 409, 'transaction_id_reused');
      // The genuine return pays once; replayed (the token is single-use), it is refused and changes nothing.
      expect((await at(path, url.search)()).status).toBe(302);
      expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid']);
      await refused(order, at(path, url.search), 409, 'return_token_used');
      // The return token is not a cancel token; the genuine cancel link after the payment changes nothing.
      await refused(order, at(`/callbacks/checkout/${path.split('/')[3]}/cancel`, ''), 404);
      const cancelUrl = new URL(
        (await t.db.query(`SELECT cancel_url FROM sandbox_checkout_sessions WHERE trx_id = $1`, [order.transaction.provider_reference])).rows[0].cancel_url,
      );
      await refused(order, at(cancelUrl.pathname, ''), 302);
    });
  });

  describe('tenant isolation', () => {
    /** B's first API key and owner; A's owner signed in (the dashboard's way in: cookie + CSRF header). */
    let bKeyId: string;
    let bUserId: string;
    let aSession: { cookie: string; csrf: string };
    beforeAll(async () => {
      bKeyId = (await t.db.query(`SELECT id FROM api_keys WHERE merchant_id = $1 AND livemode`, [b.id])).rows[0].id;
      bUserId = (await createUser(t, b.id, 'owner@sec-b.test')).id;
      await createUser(t, a.id, 'owner@sec-a.test');
      aSession = await signIn(t, 'owner@sec-a.test');
    });
    /** What a crossing aims at: B's live objects or B's test-mode ones. */
    type Target = 'live' | 'test';
    /** Merchant B's id (of the target mode) of the kind a path parameter takes. */
    function foreignId(path: string, param: string, target: Target = 'live'): string | null {
      const test = target === 'test' ? b.test : null;
      if (path.startsWith('/v1/orders/')) return test ? test.orderId : pendingOf(b, 'raksmeypay').id;
      if (path.startsWith('/v1/events/')) return test ? test.eventIds[0] : b.eventIds[0];
      if (path.startsWith('/v1/refunds/')) return test ? test.refundIds[0] : b.refundIds[0];
      if (path.startsWith('/v1/webhook-endpoints/')) return test ? test.webhookEndpointId : b.webhookEndpointId;
      if (path.startsWith('/v1/api-keys/')) return test ? test.apiKeyId : bKeyId;
      if (path.startsWith('/v1/webhook-deliveries/')) return test ? test.deliveryIds[0] : b.deliveryIds[0];
      if (path.startsWith('/v1/payment-links/')) return test ? test.paymentLinkId : b.paymentLinkIds[0];
      if (path.startsWith('/v1/team/')) return bUserId;
      if (param === 'provider') return null;
      throw new Error(`no foreign id for ${path} {${param}}: extend the tenant isolation test`);
    }
    /**
     * Every crossing of merchants and modes (docs/test-mode.md): another merchant's objects in either mode, and the same
     * merchant's objects of the other mode. Same-merchant crossings leave out the merchant's own id and its users.
     */
    const crossings = (): { who: string; token: string; target: Target; sameMerchant: boolean }[] => [
      { who: 'A live key → B live', token: a.apiKey, target: 'live', sameMerchant: false },
      { who: 'A test key → B live', token: a.testApiKey, target: 'live', sameMerchant: false },
      { who: 'A test key → B test', token: a.testApiKey, target: 'test', sameMerchant: false },
      { who: 'A live key → B test', token: a.apiKey, target: 'test', sameMerchant: false },
      { who: 'B test key → B live', token: b.testApiKey, target: 'live', sameMerchant: true },
      { who: 'B live key → B test', token: b.apiKey, target: 'test', sameMerchant: true },
    ];
    /** The ids a crossing must never reach or see. */
    const targetIds = (target: Target, sameMerchant: boolean): string[] => {
      // A live key lists its merchant's test keys too (it manages both modes' keys): the one id left out of a same-merchant crossing.
      if (target === 'test') return sameMerchant ? testModeIds(b.test).filter((id) => id !== b.test.apiKeyId) : [...testModeIds(b.test), b.id];
      return sameMerchant ? bIds().filter((id) => ![b.id, bUserId, 'owner@sec-b.test'].includes(id)) : bIds();
    };
    const leakedOf = (ids: string[], res: TestResponse, url = '') => ids.find((id) => !url.includes(id) && res.text.includes(id));
    const bIds = () => [
      b.id,
      ...b.orders.flatMap((o) => [o.id, o.transaction.id, o.reference]),
      ...b.eventIds,
      ...b.paymentLinkIds,
      b.webhookEndpointId,
      ...b.deliveryIds,
      ...b.refundIds,
      bKeyId,
      bUserId,
      'owner@sec-b.test',
      'sec-b private',
    ];
    /** One of B's ids in an answer, other than those the caller itself put in the URL (a 404 problem names its `instance`). */
    const leaked = (res: TestResponse, url = '') => bIds().find((id) => !url.includes(id) && res.text.includes(id));

    it("every merchant endpoint with another merchant's id, by API key or by an owner's session: 404, nothing leaked, nothing changed", async () => {
      const checked: string[] = [];
      const before = await t.db.query(`SELECT id, status, updated_at FROM orders WHERE merchant_id = $1 ORDER BY id`, [b.id]);
      const keysBefore = await t.db.query(`SELECT id, expires_at, revoked_at FROM api_keys WHERE merchant_id = $1 ORDER BY id`, [b.id]);
      const deliveriesBefore = await t.db.query(`SELECT id, status, next_attempt_at FROM webhook_deliveries WHERE merchant_id = $1 ORDER BY id`, [b.id]);
      const usersBefore = await t.db.query(`SELECT id, role FROM users WHERE merchant_id = $1 ORDER BY id`, [b.id]);
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const byKey = op.security?.some((s) => 'api_key' in s) ?? false;
          const bySession = (op.security?.some((s) => 'session' in s) ?? false) && path.startsWith('/v1/');
          if (!byKey && !bySession) continue;
          const params = (op.parameters ?? []).filter((p) => p.in === 'path');
          if (!params.length) continue;
          const urlFor = (target: Target): string | null => {
            let url = path;
            for (const p of params) {
              const id = foreignId(path, p.name, target);
              if (id === null) return null;
              url = url.replace(`{${p.name}}`, id);
            }
            return url;
          };
          const body = method === 'get' || method === 'delete' ? undefined : path.startsWith('/v1/team/') ? { role: 'viewer' } : {};
          const session = { cookie: aSession.cookie, 'x-csrf-token': aSession.csrf };
          const callers: { who: string; token?: string; headers: Record<string, string>; target: Target; sameMerchant: boolean }[] = [
            ...(byKey ? crossings().map((c) => ({ ...c, headers: {} })) : []),
            ...(bySession
              ? [
                  { who: 'A session → B live', headers: session, target: 'live' as const, sameMerchant: false },
                  { who: 'A test-mode session → B test', headers: { ...session, 'x-khqr-mode': 'test' }, target: 'test' as const, sameMerchant: false },
                ]
              : []),
          ];
          for (const caller of callers) {
            const url = urlFor(caller.target);
            // The one deliberate crossing: a live key manages its merchant's keys of both modes (as the dashboard does).
            if (url === null || (caller.sameMerchant && caller.target === 'test' && path.startsWith('/v1/api-keys/'))) continue;
            const res = await app.request(method.toUpperCase(), url, { token: caller.token, headers: caller.headers, body });
            const leak = leakedOf(targetIds(caller.target, caller.sameMerchant), res, url);
            checked.push(`${caller.who}: ${method.toUpperCase()} ${path} → ${res.status}`);
            if (res.status !== 404 || leak) tally.cross_tenant_leaks++;
            expect({ who: caller.who, url, status: res.status, leak }).toEqual({ who: caller.who, url, status: 404, leak: undefined });
          }
        }
      }
      expect(checked.filter((c) => c.startsWith('A session ')).length).toBeGreaterThanOrEqual(10);
      for (const c of crossings()) expect(checked.filter((line) => line.startsWith(`${c.who}:`)).length).toBeGreaterThanOrEqual(7);
      expect((await t.db.query(`SELECT id, expires_at, revoked_at FROM api_keys WHERE merchant_id = $1 ORDER BY id`, [b.id])).rows).toEqual(keysBefore.rows);
      expect((await t.db.query(`SELECT id, status, next_attempt_at FROM webhook_deliveries WHERE merchant_id = $1 ORDER BY id`, [b.id])).rows).toEqual(
        deliveriesBefore.rows,
      );
      expect((await t.db.query(`SELECT id, role FROM users WHERE merchant_id = $1 ORDER BY id`, [b.id])).rows).toEqual(usersBefore.rows);
      expect(checked.length).toBeGreaterThanOrEqual(7);
      tally.cases += checked.length;
      const after = await t.db.query(`SELECT id, status, updated_at FROM orders WHERE merchant_id = $1 ORDER BY id`, [b.id]);
      expect(after.rows).toEqual(before.rows);
      const endpoint = await t.db.query(`SELECT deleted_at FROM webhook_endpoints WHERE id = $1`, [b.webhookEndpointId]);
      expect(endpoint.rows[0].deleted_at).toBeNull();
    });

    it('lists and filters show only the caller’s own rows, whatever ids they are given', async () => {
      const bOrder = pendingOf(b, 'raksmeypay');
      const probes = [
        '/v1/orders',
        '/v1/orders?limit=100',
        `/v1/orders?starting_after=${bOrder.id}`,
        `/v1/orders?reference=${bOrder.reference}`,
        '/v1/events?limit=100',
        `/v1/events?starting_after=${b.eventIds[0]}`,
        '/v1/webhook-endpoints',
        `/v1/webhook-endpoints?starting_after=${b.webhookEndpointId}`,
        '/v1/provider-accounts',
        '/v1/smm-panel',
        `/v1/orders/${paidOf(a, 'bakong').id}/refunds?starting_after=${b.refundIds[0]}`,
        `/v1/orders/${paidOf(a, 'bakong').id}/refunds?limit=100`,
        '/v1/api-keys',
        '/v1/webhook-deliveries?limit=100',
        `/v1/webhook-deliveries?starting_after=${b.deliveryIds[0]}`,
        `/v1/webhook-deliveries?event_id=${b.eventIds[0]}`,
        `/v1/webhook-deliveries?endpoint_id=${b.webhookEndpointId}`,
        // Test-mode objects of B's (lists per mode: a live key never lists them, nor a test key another merchant's).
        `/v1/orders?reference=${b.name}-test-paid`,
        `/v1/orders?starting_after=${b.test.orderId}`,
        `/v1/orders?payment_link_id=${b.test.paymentLinkId}`,
        '/v1/payment-links?limit=100',
        `/v1/payment-links?starting_after=${b.test.paymentLinkId}`,
        `/v1/webhook-deliveries?endpoint_id=${b.test.webhookEndpointId}`,
        '/v1/notification-channels',
        '/v1/reports/summary',
      ];
      for (const c of crossings()) {
        for (const path of probes) {
          const res = await app.request('GET', path, { token: c.token });
          const leak = leakedOf(targetIds(c.target, c.sameMerchant), res, path);
          tally.cases++;
          if (leak) tally.cross_tenant_leaks++;
          expect({ who: c.who, path, status: res.status, leak }).toEqual({ who: c.who, path, status: res.status === 404 ? 404 : 200, leak: undefined });
        }
      }
      for (const path of [...probes, '/v1/team']) {
        const res = await app.request('GET', path, { headers: { cookie: aSession.cookie } });
        tally.cases++;
        if (leaked(res, path)) tally.cross_tenant_leaks++;
        expect({ path, status: res.status, leak: leaked(res, path) }).toEqual({ path, status: 200, leak: undefined });
      }
      // A real filter still works for the owner (so the probes above could have found something).
      const own = await app.request('GET', `/v1/orders?reference=${pendingOf(a, 'raksmeypay').reference}`, { token: a.apiKey });
      expect(own.json.data).toHaveLength(1);
    });
  });

  describe('admin endpoints', () => {
    it('refuse a missing, wrong or merchant token with 401, on every admin operation', async () => {
      let n = 0;
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          if (!op.security?.some((s) => 'admin' in s)) continue;
          const url = path.replace(/\{id\}/g, b.id).replace(/\{[^}]+\}/g, 'x_00000000000000000000000000');
          for (const auth of [undefined, 'adm_wrong_token_0000000000000000', a.apiKey, TEST_ADMIN_TOKEN + 'x', TEST_ADMIN_TOKEN.slice(0, -1)]) {
            const res = await app.request(method.toUpperCase(), url, { token: auth, body: method === 'get' || method === 'delete' ? undefined : {} });
            expect({ url, auth: auth?.slice(0, 8), status: res.status }).toEqual({ url, auth: auth?.slice(0, 8), status: 401 });
            expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
            n++;
          }
          const basic = await app.request(method.toUpperCase(), url, {
            headers: { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` },
          });
          expect(basic.status).toBe(401);
        }
      }
      expect(n).toBeGreaterThanOrEqual(5 * 15);
      tally.cases += n;
      // Nothing an unauthenticated caller sent was done.
      expect((await t.db.query(`SELECT status FROM merchants WHERE id = $1`, [b.id])).rows[0].status).toBe('active');
    });

    it('merchant endpoints refuse the admin token, a revoked key and garbage', async () => {
      for (const token of [TEST_ADMIN_TOKEN, 'sk_live_00000000000000000000000000000000', `${a.apiKey}x`, a.apiKey.slice(0, -1)]) {
        const res = await app.request('GET', '/v1/orders', { token });
        expect(res.status).toBe(401);
        tally.cases++;
      }
      const victim: Merchant = await t.createMerchant('sec-revoked');
      const rotated = await app.request('POST', `/admin/merchants/${victim.id}/api-keys/rotate`, {
        token: TEST_ADMIN_TOKEN,
        body: { overlap_seconds: 0, reason: 'security test' },
      });
      expect(rotated.status).toBeLessThan(300);
      expect((await app.request('GET', '/v1/orders', { token: victim.apiKey })).status).toBe(401);
    });
  });

  describe('SSRF with the sandbox off', () => {
    let off: TestApp;
    let redirector: Server;
    let redirectorHits = 0;
    let m: Merchant;

    beforeAll(async () => {
      // A server on 127.0.0.2 (allow-listed, standing for a public host) that redirects to the loopback receiver.
      redirector = createServer((req, res) => {
        redirectorHits++;
        res.writeHead(302, { location: `${receiver.url}/via-redirect` }).end();
      });
      await new Promise<void>((r) => redirector.listen(0, '127.0.0.2', r));
      off = await startTestApp({
        env: { SANDBOX: 'false', OUTBOUND_ALLOWLIST: '127.0.0.2', WEBHOOK_RETRY_SCHEDULE_MS: '10', PROVIDER_TIMEOUT_MS: '1500' },
        logStream: { write: (line: string) => void logLines.push(line) },
      });
      m = await off.createMerchant('ssrf');
    });
    afterAll(async () => {
      await off?.close();
      redirector.closeAllConnections();
      await new Promise<void>((r) => redirector.close(() => r()));
    });

    const targets = () => {
      const port = Number(new URL(receiver.url).port);
      const rport = (redirector.address() as AddressInfo).port;
      return [
        `http://127.0.0.1:${port}/ssrf`,
        'http://10.0.0.1/ssrf',
        'http://169.254.169.254/latest/meta-data/',
        `http://[::1]:${port}/ssrf`,
        `http://localhost:${port}/ssrf`,
        `http://2130706433:${port}/ssrf`,
        `http://[::ffff:127.0.0.1]:${port}/ssrf`,
        `http://127.0.0.2:${rport}/redirect-to-loopback`,
      ];
    };

    it('webhook endpoints: refused at creation or at send time; nothing reaches loopback', async () => {
      const hitsBefore = receiver.hits;
      const outcomes: string[] = [];
      for (const url of targets()) {
        const created = await off.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url } });
        if (created.status === 400) {
          outcomes.push(`${url}: refused at creation (${created.json.code})`);
          continue;
        }
        expect(created.status).toBe(201);
        // Accepted only for names resolved at send time and the allow-listed redirector: make an event and deliver it.
        await off.request('PUT', '/v1/provider-accounts/raksmeypay', {
          token: m.apiKey,
          body: { profile_id: 'p-ssrf', profile_key: 'k-ssrf-000000000001', base_url: 'https://www.uat.raksmeypay.com' },
        });
        expect(
          (await off.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '1.00', reference: `ssrf-${outcomes.length}` } }))
            .status,
        ).toBe(201);
        await off.app.get(WebhookDispatcher).runOnce();
        const rows = (await off.db.query(`SELECT status, last_status, last_error FROM webhook_deliveries WHERE endpoint_id = $1`, [created.json.id])).rows;
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(row.status).not.toBe('delivered');
        outcomes.push(`${url}: refused at send time (${rows[0].last_status ?? rows[0].last_error})`);
        await off.request('DELETE', `/v1/webhook-endpoints/${created.json.id}`, { token: m.apiKey });
      }
      expect(receiver.hits).toBe(hitsBefore);
      expect(redirectorHits).toBeGreaterThan(0); // the allowed hop was made; its redirect was not followed
      tally.cases += outcomes.length;
      tally.notes.push(`SSRF webhooks: ${outcomes.join('; ')}`);
    });

    it('provider base_url: refused when saved or when called; nothing reaches loopback; clear errors, no hang', async () => {
      const hitsBefore = receiver.hits;
      const outcomes: string[] = [];
      for (const url of targets()) {
        // RaksmeyPay calls its base_url to verify; the Bakong KHQR API service to create.
        const put = await off.request('PUT', '/v1/provider-accounts/raksmeypay', {
          token: m.apiKey,
          body: { profile_id: 'p-ssrf', profile_key: 'k-ssrf-000000000001', base_url: url },
        });
        const put2 = await off.request('PUT', '/v1/provider-accounts/bakongapi', {
          token: m.apiKey,
          body: { bakong_id: 'ssrf@devb', merchant_name: 'SSRF', base_url: url },
        });
        if (put.status === 400 && put2.status === 400) {
          outcomes.push(`${url}: refused when saved`);
          continue;
        }
        const started = Date.now();
        if (put.status === 200) {
          const order = await off.request('POST', '/v1/orders', {
            token: m.apiKey,
            body: { provider: 'raksmeypay', amount: '1.00', reference: `ssrf-p-${randomBytes(4).toString('hex')}` },
          });
          const verify = await off.request('POST', `/v1/orders/${order.json.id}/verify`, { token: m.apiKey });
          expect([502, 504]).toContain(verify.status);
          expect(verify.json.code).toMatch(/^provider_/);
          expect((await off.db.query(`SELECT status FROM orders WHERE id = $1`, [order.json.id])).rows[0].status).toBe('PENDING');
        }
        if (put2.status === 200) {
          const create = await off.request('POST', '/v1/orders', {
            token: m.apiKey,
            body: { provider: 'bakongapi', amount: '1.00', reference: `ssrf-b-${randomBytes(4).toString('hex')}` },
          });
          expect([502, 504]).toContain(create.status);
          expect(create.json.code).toMatch(/^provider_/);
        }
        expect(Date.now() - started).toBeLessThan(10_000);
        outcomes.push(`${url}: refused when called`);
      }
      expect(receiver.hits).toBe(hitsBefore);
      tally.cases += outcomes.length;
    });
  });

  describe('secrets', () => {
    it('no secret appears in any response or captured log line', async () => {
      // Exercise the paths that handle secrets most: reading accounts, rotating a webhook secret, listing keys.
      await app.request('GET', '/v1/provider-accounts', { token: a.apiKey });
      await app.request('GET', '/v1/smm-panel', { token: a.apiKey });
      const rotated = await app.request('POST', `/v1/webhook-endpoints/${a.webhookEndpointId}/rotate-secret`, {
        token: a.apiKey,
        body: { grace_period_seconds: 0 },
      });
      await app.request('GET', `/admin/merchants/${a.id}/api-keys`, { token: TEST_ADMIN_TOKEN });
      await app.request('GET', `/admin/webhook-deliveries?limit=100`, { token: TEST_ADMIN_TOKEN });
      await app.request('POST', '/v1/orders', {
        token: a.apiKey,
        body: { provider: 'raksmeypay', amount: '1.00', reference: 'sec-log' },
        headers: { 'x-api-key': a.apiKey },
      });
      const secrets = [...a.secrets, ...b.secrets, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY];
      // Secrets shown once on purpose: a merchant's first key and each webhook secret in their creating response; excluded from the response scan only there.
      const shownOnce = (where: string) =>
        where === 'POST /admin/merchants' || where === 'POST /v1/webhook-endpoints' || where.endsWith('/rotate-secret') || where.endsWith('/api-keys/rotate');
      const inResponses = responses.flatMap(({ where, res }) =>
        shownOnce(where) ? [] : secrets.filter((s) => res.text.includes(s) || headerText(res).includes(s)).map((s) => `${where}: ${s.slice(0, 6)}…`),
      );
      expect(inResponses).toEqual([]);
      expect(rotated.status).toBe(200);
      const all = [...secrets, rotated.json.secret];
      expect(logLines.length).toBeGreaterThan(100);
      const inLogs = logLines.flatMap((line) => all.filter((s) => line.includes(s)).map((s) => `${s.slice(0, 6)}…: ${line.slice(0, 160)}`));
      expect(inLogs).toEqual([]);
      tally.cases += responses.length + logLines.length;
      tally.notes.push(`${responses.length} responses and ${logLines.length} log lines (LOG_LEVEL=trace) scanned for ${all.length} secrets`);
    });
  });

  describe('timing-safe comparisons (static check of src/)', () => {
    const ROOT = resolve(__dirname, '../../src');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) =>
        statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : /\.ts$/.test(n) && !/\.(spec|d)\.ts$/.test(n) ? [join(dir, n)] : [],
      );
    /** Names of values that are secrets or proofs: comparing them with === leaks timing. */
    const SENSITIVE = /(hash|signature|sig|token|secret|hmac|digest|mac|password|api_?key|profile_?key)$/i;

    function operandName(node: ts.Expression): string | null {
      while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node)) node = node.expression;
      if (ts.isIdentifier(node)) return node.text;
      if (ts.isPropertyAccessExpression(node)) return node.name.text;
      if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) return node.argumentExpression.text;
      if (ts.isCallExpression(node)) return operandName(node.expression);
      return null;
    }
    /** Comparing to a literal, a type or a length is not comparing secrets. */
    const harmless = (node: ts.Expression) =>
      ts.isLiteralExpression(node) ||
      node.kind === ts.SyntaxKind.NullKeyword ||
      node.kind === ts.SyntaxKind.TrueKeyword ||
      node.kind === ts.SyntaxKind.FalseKeyword ||
      (ts.isIdentifier(node) && node.text === 'undefined') ||
      ts.isTypeOfExpression(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      (ts.isPropertyAccessExpression(node) && /^(length|size|kind|status|code|type)$/.test(node.name.text));

    it('no === / !== on hash, signature, token or secret values outside constantTimeEqual', () => {
      const offenders: string[] = [];
      let comparisons = 0;
      for (const file of files(ROOT)) {
        const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
        const visit = (node: ts.Node) => {
          if (
            ts.isBinaryExpression(node) &&
            [
              ts.SyntaxKind.EqualsEqualsEqualsToken,
              ts.SyntaxKind.ExclamationEqualsEqualsToken,
              ts.SyntaxKind.EqualsEqualsToken,
              ts.SyntaxKind.ExclamationEqualsToken,
            ].includes(node.operatorToken.kind)
          ) {
            comparisons++;
            const names = [operandName(node.left), operandName(node.right)];
            if (names.some((n) => n && SENSITIVE.test(n)) && !harmless(node.left) && !harmless(node.right)) {
              const { line } = source.getLineAndCharacterOfPosition(node.getStart());
              offenders.push(`${relative(ROOT, file)}:${line + 1}: ${node.getText().slice(0, 120)}`);
            }
          }
          ts.forEachChild(node, visit);
        };
        visit(source);
      }
      expect(comparisons).toBeGreaterThan(200);
      expect(offenders).toEqual([]);
      tally.cases++;
    });

    it('every callback verifier compares in constant time', () => {
      for (const provider of ['raksmeypay', 'ahnajak']) {
        const text = readFileSync(join(ROOT, 'providers', provider, `${provider}.transformers.ts`), 'utf8');
        expect(text).toMatch(/constantTimeEqual\(/);
      }
      // The hosted checkout's return token is looked up by its sha256, never compared in JavaScript.
      // The hosted checkout's return and cancel tokens, and Ahnajak's return token, likewise.
      // Each gateway names the link its token belongs to; the one inbound service looks every link token up by its sha256.
      expect(readFileSync(join(ROOT, 'providers', 'checkout', 'checkout.inbound.ts'), 'utf8')).toMatch(/by: 'return_token', token: params\.token/);
      expect(readFileSync(join(ROOT, 'providers', 'checkout', 'checkout.inbound.ts'), 'utf8')).toMatch(/by: 'cancel_token', token: params\.token/);
      expect(readFileSync(join(ROOT, 'providers', 'ahnajak', 'ahnajak.inbound.ts'), 'utf8')).toMatch(/by: 'return_token', token: params\.token/);
      const inbound = readFileSync(join(ROOT, 'orders', 'inbound-callbacks.service.ts'), 'utf8');
      expect(inbound).toMatch(/findByReturnTokenHash\(callback\.provider, sha256Hex\(lookup\.token\)\)/);
      expect(inbound).toMatch(/findByCancelTokenHash\(callback\.provider, sha256Hex\(lookup\.token\)\)/);
      const transactions = readFileSync(join(ROOT, 'orders', 'transactions.repository.ts'), 'utf8');
      expect(transactions).toMatch(/returnTokenHash: tokenHash/);
      expect(transactions).toMatch(/cancelTokenHash: tokenHash/);
      expect(readFileSync(join(ROOT, 'merchants', 'auth.ts'), 'utf8')).toMatch(/constantTimeEqual\(token, this\.config\.adminToken\)/);
      tally.cases++;
    });
  });
});
