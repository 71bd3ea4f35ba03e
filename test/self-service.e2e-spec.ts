import { ApiKeysService } from '../src/merchants/api-keys.service';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { createUser, Session, signIn } from './helpers/sessions';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

describe('merchant self-service: API keys and webhook deliveries', () => {
  let t: TestApp;
  let a: TestMerchant;
  let b: TestMerchant;
  let owner: Session;
  let viewer: Session;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createMerchant('Alpha Mart');
    b = await t.createMerchant('Beta Books');
    await configureRaksmeypay(t, a);
    await configureRaksmeypay(t, b);
    await createUser(t, a.id, 'owner@alpha.test', 'owner');
    await createUser(t, a.id, 'viewer@alpha.test', 'viewer');
    owner = await signIn(t, 'owner@alpha.test');
    viewer = await signIn(t, 'viewer@alpha.test');
  });
  afterAll(async () => {
    await t.close();
  });

  describe('API keys', () => {
    it('creates a key shown once, lists keys by their last four characters only', async () => {
      const created = await owner.request('POST', '/v1/api-keys', { body: {} });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ object: 'api_key', status: 'active', expires_at: null, revoked_at: null });
      expect(created.json.api_key).toMatch(/^sk_/);
      expect(created.json.last4).toBe(created.json.api_key.slice(-4));
      expect((await t.request('GET', '/v1/orders', { token: created.json.api_key })).status).toBe(200);
      const list = await viewer.request('GET', '/v1/api-keys');
      expect(list.status).toBe(200);
      expect(list.json.data.map((k: { id: string }) => k.id)).toContain(created.json.id);
      expect(list.text).not.toContain(created.json.api_key);
      expect(list.text).not.toContain(a.apiKey);
      const audit = await t.request('GET', `/admin/audit-log?subject_id=${created.json.id}`, { token: TEST_ADMIN_TOKEN });
      expect(audit.json.data[0]).toMatchObject({ action: 'api_key.create', actor: `user:${owner.user.id} owner@alpha.test` });
    });

    it('a key with expires_in stops at its expiry; out-of-range values are 400', async () => {
      const res = await t.request('POST', '/v1/api-keys', { token: a.apiKey, body: { expires_in: 3600 } });
      expect(res.status).toBe(201);
      expect(res.json.status).toBe('expiring');
      const left = new Date(res.json.expires_at).getTime() - Date.now();
      expect(left).toBeGreaterThan(3500_000);
      expect(left).toBeLessThanOrEqual(3600_000);
      for (const expires_in of [0, 59, 400 * 86400, '60'])
        expect((await t.request('POST', '/v1/api-keys', { token: a.apiKey, body: { expires_in } })).status).toBe(400);
    });

    it('rotation: the old key keeps working through the overlap window, then a revoke stops it at once', async () => {
      const old = (await t.request('POST', '/v1/api-keys', { token: a.apiKey, body: {} })).json;
      const overlap = await t.request('DELETE', `/v1/api-keys/${old.id}?expires_in=7200`, { token: a.apiKey });
      expect(overlap.status).toBe(200);
      expect(overlap.json.status).toBe('expiring');
      expect(overlap.json.revoked_at).toBeNull();
      expect((await t.request('GET', '/v1/orders', { token: old.api_key })).status).toBe(200);
      const { rows } = await t.db.query(
        `SELECT expires_at > now() + interval '7100 seconds' AND expires_at <= now() + interval '7200 seconds' AS ok FROM api_keys WHERE id = $1`,
        [old.id],
      );
      expect(rows[0].ok).toBe(true);
      // Past the window (moved into the past here), the key no longer authenticates.
      await t.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [old.id]);
      t.app.get(ApiKeysService).invalidate();
      expect((await t.request('GET', '/v1/orders', { token: old.api_key })).status).toBe(401);

      const other = (await t.request('POST', '/v1/api-keys', { token: a.apiKey, body: {} })).json;
      expect((await t.request('GET', '/v1/orders', { token: other.api_key })).status).toBe(200);
      const revoked = await owner.request('DELETE', `/v1/api-keys/${other.id}`);
      expect(revoked.json.status).toBe('revoked');
      expect((await t.request('GET', '/v1/orders', { token: other.api_key })).status).toBe(401);
      expect((await owner.request('DELETE', `/v1/api-keys/${other.id}`)).json.status).toBe('revoked');
      expect((await t.request('DELETE', `/v1/api-keys/${other.id}?expires_in=0`, { token: a.apiKey })).status).toBe(400);
    });

    it('never revokes the last key without an expiry unless force=true', async () => {
      const m = await t.createMerchant('Solo');
      // Every merchant has a live and a test key; the test key does not count as a spare for the live one.
      const all = (await t.request('GET', '/v1/api-keys', { token: m.apiKey })).json.data;
      expect(all.map((k: { livemode: boolean }) => k.livemode).sort()).toEqual([false, true]);
      const keys = all.filter((k: { livemode: boolean }) => k.livemode);
      const refused = await t.request('DELETE', `/v1/api-keys/${keys[0].id}`, { token: m.apiKey });
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('last_api_key');
      expect((await t.request('DELETE', `/v1/api-keys/${keys[0].id}?expires_in=60`, { token: m.apiKey })).status).toBe(409);
      expect((await t.request('GET', '/v1/orders', { token: m.apiKey })).status).toBe(200);
      const forced = await t.request('DELETE', `/v1/api-keys/${keys[0].id}?force=true`, { token: m.apiKey });
      expect(forced.json.status).toBe('revoked');
      expect((await t.request('GET', '/v1/orders', { token: m.apiKey })).status).toBe(401);
    });

    it('another merchant’s key answers 404 and stays alive; a viewer may not create or revoke', async () => {
      const key = (await t.request('POST', '/v1/api-keys', { token: a.apiKey, body: {} })).json;
      const foreign = await t.request('DELETE', `/v1/api-keys/${key.id}?force=true`, { token: b.apiKey });
      expect(foreign.status).toBe(404);
      expect((await t.request('GET', '/v1/orders', { token: key.api_key })).status).toBe(200);
      expect((await t.request('GET', '/v1/api-keys', { token: b.apiKey })).json.data.map((k: { id: string }) => k.id)).not.toContain(key.id);
      expect((await viewer.request('DELETE', `/v1/api-keys/${key.id}`)).status).toBe(403);
      expect((await viewer.request('POST', '/v1/api-keys', { body: {} })).status).toBe(403);
      expect((await t.request('GET', '/v1/orders', { token: key.api_key })).status).toBe(200);
    });

    it('test mode: a live key creates either kind; a test key sees, creates and revokes test keys only', async () => {
      const m = await t.createMerchant('Modes');
      const test = await t.request('POST', '/v1/api-keys', { token: m.apiKey, body: { livemode: false } });
      expect(test.status).toBe(201);
      expect(test.json).toMatchObject({ livemode: false, api_key: expect.stringMatching(/^sk_test_/) });
      const live = await t.request('POST', '/v1/api-keys', { token: m.apiKey, body: {} });
      expect(live.json).toMatchObject({ livemode: true, api_key: expect.stringMatching(/^sk_live_/) });
      // A test key's default is its own mode; asking it for a live key is refused and creates nothing.
      const byTest = await t.request('POST', '/v1/api-keys', { token: m.testApiKey, body: {} });
      expect(byTest.json).toMatchObject({ livemode: false, api_key: expect.stringMatching(/^sk_test_/) });
      const before = (await t.request('GET', '/v1/api-keys', { token: m.apiKey })).json.data.length;
      const escalate = await t.request('POST', '/v1/api-keys', { token: m.testApiKey, body: { livemode: true } });
      expect(escalate.status).toBe(403);
      expect(escalate.json.code).toBe('live_key_required');
      expect((await t.request('GET', '/v1/api-keys', { token: m.apiKey })).json.data).toHaveLength(before);
      expect((await t.request('POST', '/v1/api-keys', { token: m.apiKey, body: { livemode: 'yes' } })).status).toBe(400);
      // The test key's list holds test keys only; a live key's id is not found for it, and the live key keeps working.
      const seen = (await t.request('GET', '/v1/api-keys', { token: m.testApiKey })).json.data;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((k: { livemode: boolean }) => !k.livemode)).toBe(true);
      expect((await t.request('DELETE', `/v1/api-keys/${live.json.id}?force=true`, { token: m.testApiKey })).status).toBe(404);
      expect((await t.request('GET', '/v1/orders', { token: live.json.api_key })).status).toBe(200);
      expect((await t.request('DELETE', `/v1/api-keys/${byTest.json.id}`, { token: m.testApiKey })).json.status).toBe('revoked');
      expect((await t.request('GET', '/v1/orders', { token: byTest.json.api_key })).status).toBe(401);
    });
  });

  describe('webhook deliveries', () => {
    let deliveryA: string;

    beforeAll(async () => {
      for (const m of [a, b]) {
        const ep = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: 'http://127.0.0.1:9/hook' } });
        expect(ep.status).toBe(201);
        const order = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '4.00', reference: `WH-${m.id}` } });
        expect(order.status).toBe(201);
      }
      const { rows } = await t.db.query(`SELECT id FROM webhook_deliveries WHERE merchant_id = $1`, [a.id]);
      expect(rows).toHaveLength(1);
      deliveryA = rows[0].id;
    });

    it('lists only the merchant’s own deliveries, with filters', async () => {
      const list = await viewer.request('GET', '/v1/webhook-deliveries');
      expect(list.status).toBe(200);
      expect(list.json.data.map((d: { id: string; merchant_id: string }) => [d.id, d.merchant_id])).toEqual([[deliveryA, a.id]]);
      expect(list.json.has_more).toBe(false);
      expect((await t.request('GET', '/v1/webhook-deliveries?status=dead', { token: a.apiKey })).json.data).toHaveLength(0);
      const ofB = await t.request('GET', '/v1/webhook-deliveries', { token: b.apiKey });
      expect(ofB.json.data).toHaveLength(1);
      expect(ofB.json.data[0].id).not.toBe(deliveryA);
      // merchant_id is the operators' filter: a merchant cannot ask for another's log.
      expect((await t.request('GET', `/v1/webhook-deliveries?merchant_id=${a.id}`, { token: b.apiKey })).status).toBe(400);
      expect((await t.request('GET', '/v1/webhook-deliveries?status=lost', { token: a.apiKey })).status).toBe(400);
    });

    it('retrieves and replays its own delivery; another merchant’s is 404 and untouched', async () => {
      await t.db.query(`UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL WHERE id = $1`, [deliveryA]);
      expect((await t.request('GET', `/v1/webhook-deliveries/${deliveryA}`, { token: b.apiKey })).status).toBe(404);
      expect((await t.request('POST', `/v1/webhook-deliveries/${deliveryA}/retry`, { token: b.apiKey })).status).toBe(404);
      expect((await t.db.query(`SELECT status FROM webhook_deliveries WHERE id = $1`, [deliveryA])).rows[0].status).toBe('dead');
      expect((await viewer.request('POST', `/v1/webhook-deliveries/${deliveryA}/retry`)).status).toBe(403);
      const got = await viewer.request('GET', `/v1/webhook-deliveries/${deliveryA}`);
      expect(got.json).toMatchObject({ id: deliveryA, status: 'dead', attempt_log: [] });
      const replay = await owner.request('POST', `/v1/webhook-deliveries/${deliveryA}/retry`);
      expect(replay.status).toBe(202);
      expect(replay.json.status).toBe('pending');
    });

    it('test mode: each key sees and replays only its own mode’s deliveries', async () => {
      const ep = await t.request('POST', '/v1/webhook-endpoints', { token: a.testApiKey, body: { url: 'http://127.0.0.1:9/test-hook' } });
      expect(ep.json.livemode).toBe(false);
      const order = await t.request('POST', '/v1/orders', { token: a.testApiKey, body: { provider: 'raksmeypay', amount: '4.00', reference: 'WH-test' } });
      expect(order.status).toBe(201);
      const { rows } = await t.db.query(`SELECT id FROM webhook_deliveries WHERE endpoint_id = $1`, [ep.json.id]);
      expect(rows).toHaveLength(1);
      const testDelivery: string = rows[0].id;
      const testList = (await t.request('GET', '/v1/webhook-deliveries', { token: a.testApiKey })).json.data;
      expect(testList.map((d: { id: string; livemode: boolean }) => [d.id, d.livemode])).toEqual([[testDelivery, false]]);
      const liveList = (await t.request('GET', '/v1/webhook-deliveries', { token: a.apiKey })).json.data;
      expect(liveList.map((d: { id: string }) => d.id)).toEqual([deliveryA]);
      expect(liveList[0].livemode).toBe(true);
      for (const [id, token] of [
        [testDelivery, a.apiKey],
        [deliveryA, a.testApiKey],
      ]) {
        expect((await t.request('GET', `/v1/webhook-deliveries/${id}`, { token })).status).toBe(404);
        expect((await t.request('POST', `/v1/webhook-deliveries/${id}/retry`, { token })).status).toBe(404);
      }
      expect((await t.request('GET', `/v1/webhook-deliveries/${testDelivery}`, { token: a.testApiKey })).json).toMatchObject({
        id: testDelivery,
        livemode: false,
      });
    });
  });
});
