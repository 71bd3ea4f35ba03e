import { configureRaksmeypay } from './helpers/raksmeypay';
import { createUser, PASSWORD, Session, signIn } from './helpers/sessions';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

const admin = { token: TEST_ADMIN_TOKEN };

describe('users, sessions and roles', () => {
  let t: TestApp;
  let a: TestMerchant;
  let b: TestMerchant;
  let owner: Session;
  let developer: Session;
  let viewer: Session;
  let otherOwner: Session;
  let operator: Session;
  let seq = 0;
  const newOrder = async (m: TestMerchant) => {
    const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '3.00', reference: `USR-${++seq}` } });
    expect(res.status).toBe(201);
    return res.json;
  };

  beforeAll(async () => {
    // One proxy hop is believed, so each throttling test can come from an address of its own.
    t = await startTestApp({ env: { TRUST_PROXY: '1' } });
    a = await t.createMerchant('Alpha Mart');
    b = await t.createMerchant('Beta Books');
    await configureRaksmeypay(t, a);
    await configureRaksmeypay(t, b);
    await createUser(t, a.id, 'Owner@Alpha.test', 'owner');
    await createUser(t, a.id, 'dev@alpha.test', 'developer');
    await createUser(t, a.id, 'viewer@alpha.test', 'viewer');
    await createUser(t, b.id, 'owner@beta.test', 'owner');
    await createUser(t, null, 'ops@platform.test');
    [owner, developer, viewer, otherOwner, operator] = await Promise.all(
      ['owner@alpha.test', 'dev@alpha.test', 'viewer@alpha.test', 'owner@beta.test', 'ops@platform.test'].map((e) => signIn(t, e)),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  describe('sign-in', () => {
    it('sets an HttpOnly, SameSite=Lax, Path=/ cookie (not Secure over http) and answers the user with a CSRF token', async () => {
      const res = await t.request('POST', '/auth/login', { body: { email: 'OWNER@alpha.test', password: PASSWORD } });
      expect(res.status).toBe(200);
      const cookie = res.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^khqr_session=[A-Za-z0-9_-]{43}; /);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).toContain('Path=/');
      expect(cookie).not.toContain('Secure');
      expect(res.json.user).toEqual({ id: owner.user.id, email: 'owner@alpha.test', role: 'owner', merchant_id: a.id, merchant_name: 'Alpha Mart' });
      expect(res.json.csrf_token).toMatch(/^[0-9a-f]{64}$/);
      expect(res.text).not.toMatch(/argon2|password/i);
      const me = await t.request('GET', '/auth/me', { headers: { cookie: cookie.split(';')[0] } });
      expect(me.status).toBe(200);
      expect(me.json).toEqual(res.json);
    });

    it('stores only an argon2id hash of the password and a sha256 of the session token', async () => {
      const { rows } = await t.db.query(`SELECT password_hash FROM users WHERE email = 'owner@alpha.test'`);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
      const token = owner.cookie.split('=')[1];
      const sessions = await t.db.query(`SELECT token_hash FROM sessions`);
      expect(sessions.rows.map((r) => r.token_hash)).not.toContain(token);
      expect(JSON.stringify(sessions.rows)).not.toContain(token);
    });

    it('answers a wrong password and an unknown email the same way (401 invalid_credentials)', async () => {
      const wrong = await t.request('POST', '/auth/login', {
        body: { email: 'owner@alpha.test', password: 'not the password' },
        headers: { 'x-forwarded-for': '10.0.0.1' },
      });
      const unknown = await t.request('POST', '/auth/login', {
        body: { email: 'nobody@alpha.test', password: 'not the password' },
        headers: { 'x-forwarded-for': '10.0.0.1' },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.json.code).toBe('invalid_credentials');
      expect({ ...unknown.json, instance: null }).toEqual({ ...wrong.json, instance: null });
      expect(wrong.headers.get('set-cookie')).toBeNull();
    });

    it('refuses malformed bodies with 400 and no session', async () => {
      // '\ud800' (a lone surrogate) made the email validator throw: a 500 the fuzz found.
      const malformed = [
        { email: 'not-an-email', password: 'x' },
        { email: 'owner@alpha.test' },
        { email: 'owner@alpha.test', password: 'x'.repeat(300) },
        { email: '\ud800', password: 'x' },
        { email: 'owner\udc00@alpha.test', password: 'x' },
      ];
      for (const body of malformed) {
        const res = await t.request('POST', '/auth/login', { body });
        expect(res.status).toBe(400);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    });

    it('throttles after 5 wrong passwords for one email (429 with Retry-After, even for the right password)', async () => {
      await createUser(t, a.id, 'target@alpha.test', 'viewer');
      for (let i = 0; i < 5; i++) {
        // Each guess from a different address: the email's own limit applies.
        const res = await t.request('POST', '/auth/login', {
          body: { email: 'target@alpha.test', password: `guess-${i}-guess` },
          headers: { 'x-forwarded-for': `10.1.0.${i}` },
        });
        expect(res.status).toBe(401);
      }
      const blocked = await t.request('POST', '/auth/login', {
        body: { email: 'TARGET@alpha.test', password: PASSWORD },
        headers: { 'x-forwarded-for': '10.1.1.1' },
      });
      expect(blocked.status).toBe(429);
      expect(blocked.json.code).toBe('rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(blocked.headers.get('set-cookie')).toBeNull();
      // Another user is not affected.
      expect((await signIn(t, 'viewer@alpha.test', PASSWORD, { 'x-forwarded-for': '10.1.1.1' })).user.role).toBe('viewer');
    });

    it('throttles after 5 wrong passwords from one address, whatever the emails', async () => {
      const from = { 'x-forwarded-for': '10.2.0.1' };
      for (let i = 0; i < 5; i++) {
        const res = await t.request('POST', '/auth/login', { body: { email: `spray${i}@alpha.test`, password: 'Password123' }, headers: from });
        expect(res.status).toBe(401);
      }
      const blocked = await t.request('POST', '/auth/login', { body: { email: 'dev@alpha.test', password: PASSWORD }, headers: from });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another address signs the same user in.
      expect((await signIn(t, 'dev@alpha.test', PASSWORD, { 'x-forwarded-for': '10.2.0.2' })).user.role).toBe('developer');
    });

    it('logout needs the CSRF header, revokes the session server-side and clears the cookie', async () => {
      const s = await signIn(t, 'viewer@alpha.test');
      expect((await s.request('POST', '/auth/logout', { csrf: false })).status).toBe(403);
      expect((await s.request('POST', '/auth/logout', { csrf: 'f'.repeat(64) })).json.code).toBe('csrf_failed');
      const out = await s.request('POST', '/auth/logout');
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/^khqr_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/);
      // The old cookie opens nothing any more.
      expect((await s.request('GET', '/auth/me')).status).toBe(401);
      const orders = await s.request('GET', '/v1/orders');
      expect(orders.status).toBe(401);
      const { rows } = await t.db.query(`SELECT revoked_at FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, [s.user.id]);
      expect(rows.length).toBe(1);
    });

    it('GET /auth/me without a session, or with a forged cookie, is 401', async () => {
      expect((await t.request('GET', '/auth/me')).status).toBe(401);
      const forged = await t.request('GET', '/auth/me', { headers: { cookie: `khqr_session=${'A'.repeat(43)}` } });
      expect(forged.status).toBe(401);
      expect(forged.json.code).toBe('session_required');
    });
  });

  describe('CSRF', () => {
    it('an unsafe request with the session cookie and no (or a wrong) X-CSRF-Token is 403 and changes nothing', async () => {
      const body = { url: 'https://hooks.alpha.test/khqr' };
      const none = await owner.request('POST', '/v1/webhook-endpoints', { body, csrf: false });
      expect(none.status).toBe(403);
      expect(none.json.code).toBe('csrf_failed');
      expect((await owner.request('POST', '/v1/webhook-endpoints', { body, csrf: viewer.csrf })).status).toBe(403);
      expect((await t.request('GET', '/v1/webhook-endpoints', { token: a.apiKey })).json.data).toHaveLength(0);
      const ok = await owner.request('POST', '/v1/webhook-endpoints', { body });
      expect(ok.status).toBe(201);
      // A bearer key carries no ambient credential: no CSRF header needed.
      expect((await t.request('DELETE', `/v1/webhook-endpoints/${ok.json.id}`, { token: a.apiKey })).status).toBe(200);
    });
  });

  describe('roles', () => {
    it('viewer: reads everything, writes nothing (403, nothing written)', async () => {
      const order = await newOrder(a);
      expect((await viewer.request('GET', '/v1/orders')).status).toBe(200);
      expect((await viewer.request('GET', `/v1/orders/${order.id}`)).json.id).toBe(order.id);
      expect((await viewer.request('GET', '/v1/provider-accounts')).status).toBe(200);
      expect((await viewer.request('GET', '/v1/api-keys')).status).toBe(200);
      expect((await viewer.request('GET', '/v1/team')).status).toBe(200);
      for (const [method, path, body] of [
        ['POST', '/v1/orders', { provider: 'raksmeypay', amount: '1.00', reference: 'VIEWER-1' }],
        ['POST', `/v1/orders/${order.id}/cancel`, undefined],
        ['POST', '/v1/api-keys', {}],
        ['POST', '/v1/webhook-endpoints', { url: 'https://hooks.alpha.test/v' }],
        ['PUT', '/v1/provider-accounts/raksmeypay', { profile_id: 'x', profile_key: 'y' }],
        ['POST', '/v1/team', { email: 'new@alpha.test', role: 'viewer', password: PASSWORD }],
      ] as const) {
        const res = await viewer.request(method, path, { body });
        expect([path, res.status, res.json.code]).toEqual([path, 403, 'forbidden']);
      }
      expect((await t.request('GET', `/v1/orders/${order.id}`, { token: a.apiKey })).json.status).toBe('PENDING');
      expect((await t.db.query(`SELECT 1 FROM orders WHERE reference = 'VIEWER-1'`)).rowCount).toBe(0);
    });

    it('developer: keys, webhooks and gateways; not orders or the team (the default is owners only)', async () => {
      const key = await developer.request('POST', '/v1/api-keys', { body: {} });
      expect(key.status).toBe(201);
      const hook = await developer.request('POST', '/v1/webhook-endpoints', { body: { url: 'https://hooks.alpha.test/dev' } });
      expect(hook.status).toBe(201);
      expect((await developer.request('DELETE', `/v1/webhook-endpoints/${hook.json.id}`)).status).toBe(200);
      expect(
        (
          await developer.request('PUT', '/v1/provider-accounts/raksmeypay', {
            body: { profile_id: '1234', profile_key: 'test-profile-key-0001', base_url: `${t.url}/sandbox/raksmeypay` },
          })
        ).status,
      ).toBe(200);
      const order = await newOrder(a);
      expect((await developer.request('POST', `/v1/orders/${order.id}/cancel`)).status).toBe(403);
      expect((await developer.request('POST', '/v1/orders', { body: { provider: 'raksmeypay', amount: '1.00', reference: 'DEV-1' } })).status).toBe(403);
      expect((await developer.request('POST', '/v1/team', { body: { email: 'x@alpha.test', role: 'viewer', password: PASSWORD } })).status).toBe(403);
      expect((await developer.request('DELETE', `/v1/api-keys/${key.json.id}`)).status).toBe(200);
    });

    it('owner: orders too; an API key is the merchant but not a person (team management refused)', async () => {
      const created = await owner.request('POST', '/v1/orders', { body: { provider: 'raksmeypay', amount: '2.00', reference: 'OWNER-1' } });
      expect(created.status).toBe(201);
      expect((await owner.request('POST', `/v1/orders/${created.json.id}/cancel`)).json.status).toBe('CANCELLED');
      const team = await t.request('GET', '/v1/team', { token: a.apiKey });
      expect(team.status).toBe(403);
      expect((await t.request('POST', '/v1/team', { token: a.apiKey, body: { email: 'k@alpha.test', role: 'owner', password: PASSWORD } })).status).toBe(403);
    });

    it('another merchant’s user gets 404 for every foreign id, and never sees foreign rows in lists', async () => {
      const order = await newOrder(a);
      const { rows } = await t.db.query(`SELECT id FROM api_keys WHERE merchant_id = $1`, [a.id]);
      expect((await otherOwner.request('GET', `/v1/orders/${order.id}`)).status).toBe(404);
      expect((await otherOwner.request('POST', `/v1/orders/${order.id}/cancel`)).status).toBe(404);
      expect((await otherOwner.request('DELETE', `/v1/api-keys/${rows[0].id}?force=true`)).status).toBe(404);
      expect((await otherOwner.request('PATCH', `/v1/team/${viewer.user.id}`, { body: { role: 'owner' } })).status).toBe(404);
      expect((await otherOwner.request('DELETE', `/v1/team/${viewer.user.id}`)).status).toBe(404);
      const list = await otherOwner.request('GET', '/v1/orders?limit=100');
      expect(list.json.data.map((o: { id: string }) => o.id)).not.toContain(order.id);
      expect((await otherOwner.request('GET', '/v1/team')).json.data.map((u: { email: string }) => u.email)).toEqual(['owner@beta.test']);
      expect((await t.request('GET', `/v1/orders/${order.id}`, { token: a.apiKey })).json.status).toBe('PENDING');
    });

    it('operators use /admin and are refused on /v1; merchant users are refused on /admin (403)', async () => {
      expect((await operator.request('GET', '/admin/orders')).status).toBe(200);
      expect((await operator.request('GET', '/v1/orders')).status).toBe(403);
      for (const s of [owner, developer, viewer]) {
        const res = await s.request('GET', '/admin/orders');
        expect([s.user.role, res.status, res.json.code]).toEqual([s.user.role, 403, 'forbidden']);
        expect((await s.request('POST', '/admin/merchants', { body: { name: 'Sneaky' } })).status).toBe(403);
      }
      expect((await t.request('GET', '/admin/merchants?limit=100', admin)).json.data.map((m: { name: string }) => m.name)).not.toContain('Sneaky');
      // Unsafe admin calls by an operator need the CSRF header like any other.
      expect((await operator.request('POST', '/admin/merchants', { body: { name: 'Gamma' }, csrf: false })).status).toBe(403);
      expect((await operator.request('POST', '/admin/merchants', { body: { name: 'Gamma' } })).status).toBe(201);
    });

    it('an operator resolving a stuck transaction is named in the audit log', async () => {
      const order = await newOrder(a);
      const resolved = await operator.request('POST', `/admin/transactions/${order.transaction.id}/resolve`, {
        body: { status: 'PAID', reason: 'bank statement shows the credit' },
      });
      expect(resolved.status).toBe(200);
      expect(resolved.json.status).toBe('PAID');
      const log = await t.request('GET', `/admin/audit-log?subject_id=${order.transaction.id}`, admin);
      expect(log.json.data[0]).toMatchObject({ action: 'transaction.resolve', actor: `user:${operator.user.id} ops@platform.test` });
    });

    it('a member’s manual refund is audited under the member, not an API key', async () => {
      const order = await newOrder(a);
      await operator.request('POST', `/admin/transactions/${order.transaction.id}/resolve`, { body: { status: 'PAID', reason: 'paid at the counter' } });
      const refund = await owner.request('POST', `/v1/orders/${order.id}/refunds`, { body: { manual: true, amount: '1.00', reason: 'returned in cash' } });
      expect(refund.status).toBe(201);
      const log = await t.request('GET', `/admin/audit-log?subject_id=${refund.json.id}`, admin);
      expect(log.json.data[0]).toMatchObject({ action: 'refund.manual', actor: `user:${owner.user.id} ${owner.user.email}` });
    });
  });

  describe('team and user administration', () => {
    it('operators create members and operators; passwords ≥ 10 characters; emails unique whatever their case', async () => {
      const created = await t.request('POST', `/admin/merchants/${b.id}/users`, {
        ...admin,
        body: { email: 'Dev@Beta.test', role: 'developer', password: PASSWORD },
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ object: 'user', email: 'dev@beta.test', role: 'developer', merchant_id: b.id });
      expect(created.text).not.toMatch(/password|argon/i);
      expect(
        (await t.request('POST', `/admin/merchants/${b.id}/users`, { ...admin, body: { email: 'DEV@beta.test', role: 'viewer', password: PASSWORD } })).json
          .code,
      ).toBe('email_taken');
      expect(
        (await t.request('POST', `/admin/merchants/${b.id}/users`, { ...admin, body: { email: 'short@beta.test', role: 'viewer', password: 'short' } })).status,
      ).toBe(400);
      expect(
        (await t.request('POST', `/admin/merchants/${b.id}/users`, { ...admin, body: { email: 'x@beta.test', role: 'operator', password: PASSWORD } })).status,
      ).toBe(400);
      expect(
        (
          await t.request('POST', '/admin/merchants/mer_01jd0000000000000000000000/users', {
            ...admin,
            body: { email: 'y@beta.test', role: 'owner', password: PASSWORD },
          })
        ).status,
      ).toBe(404);
      const op = await operator.request('POST', '/admin/operators', { body: { email: 'ops2@platform.test', password: PASSWORD } });
      expect(op.status).toBe(201);
      expect(op.json).toMatchObject({ role: 'operator', merchant_id: null });
      const log = await t.request('GET', `/admin/audit-log?subject_id=${op.json.id}`, admin);
      expect(log.json.data[0]).toMatchObject({ action: 'user.create', actor: `user:${operator.user.id} ops@platform.test` });
    });

    it('owners add, re-role and remove members; never the last owner; a removed user’s session ends', async () => {
      const added = await owner.request('POST', '/v1/team', { body: { email: 'temp@alpha.test', role: 'viewer', password: PASSWORD } });
      expect(added.status).toBe(201);
      const temp = await signIn(t, 'temp@alpha.test');
      expect((await temp.request('POST', '/v1/api-keys', { body: {} })).status).toBe(403);
      const promoted = await owner.request('PATCH', `/v1/team/${added.json.id}`, { body: { role: 'developer' } });
      expect(promoted.json.role).toBe('developer');
      // The new role applies to the open session at once.
      const key = await temp.request('POST', '/v1/api-keys', { body: { expires_in: 3600 } });
      expect(key.status).toBe(201);
      expect((await owner.request('PATCH', `/v1/team/${owner.user.id}`, { body: { role: 'viewer' } })).json.code).toBe('last_owner');
      expect((await owner.request('DELETE', `/v1/team/${owner.user.id}`)).json.code).toBe('last_owner');
      expect((await owner.request('DELETE', `/v1/team/${added.json.id}`)).status).toBe(200);
      expect((await temp.request('GET', '/v1/orders')).status).toBe(401);
      const log = await t.request('GET', `/admin/audit-log?subject_id=${added.json.id}`, admin);
      expect(log.json.data.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
        ['user.remove', `user:${owner.user.id} owner@alpha.test`],
        ['user.role_change', `user:${owner.user.id} owner@alpha.test`],
        ['user.create', `user:${owner.user.id} owner@alpha.test`],
      ]);
    });

    it('a disabled merchant’s users are signed out of /v1', async () => {
      const m = await t.createMerchant('Delta');
      await createUser(t, m.id, 'owner@delta.test');
      const s = await signIn(t, 'owner@delta.test');
      expect((await s.request('GET', '/v1/orders')).status).toBe(200);
      await t.request('POST', `/admin/merchants/${m.id}/disable`, { ...admin, body: {} });
      expect((await s.request('GET', '/v1/orders')).status).toBe(401);
    });
  });
});

describe('session cookie over https', () => {
  it('is Secure when PUBLIC_BASE_URL is https', async () => {
    const t = await startTestApp({ env: { PUBLIC_BASE_URL: 'https://pay.example.com' } });
    try {
      await createUser(t, null, 'ops@secure.test');
      const res = await t.request('POST', '/auth/login', { body: { email: 'ops@secure.test', password: PASSWORD } });
      expect(res.headers.get('set-cookie')).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    } finally {
      await t.close();
    }
  });
});
