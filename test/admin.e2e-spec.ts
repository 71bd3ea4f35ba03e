import { createHash } from 'node:crypto';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

const admin = { token: TEST_ADMIN_TOKEN };
/** Which credential acted, as the audit log records it: a fingerprint of the admin token, never the token. */
const ADMIN_ACTOR = `admin_token:${createHash('sha256').update(TEST_ADMIN_TOKEN).digest('hex').slice(0, 12)}`;

describe('admin API', () => {
  let t: TestApp;
  let a: TestMerchant;
  let b: TestMerchant;
  let seq = 0;
  const newOrder = async (m: TestMerchant, amount = '5.00') => {
    const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount, reference: `ADM-${++seq}` } });
    expect(res.status).toBe(201);
    return res.json;
  };

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createMerchant('Alpha Mart');
    b = await t.createMerchant('Beta Books');
    await configureRaksmeypay(t, a);
    await configureRaksmeypay(t, b);
  });
  afterAll(async () => {
    await t.close();
  });

  it('every admin route refuses a missing or wrong token with a 401 problem', async () => {
    for (const [method, path] of [
      ['GET', '/admin/orders'],
      ['GET', '/admin/audit-log'],
      ['POST', `/admin/merchants/${a.id}/disable`],
      ['POST', `/admin/merchants/${a.id}/api-keys/rotate`],
      ['GET', `/admin/merchants/${a.id}/api-keys`],
      ['POST', '/admin/transactions/txn_01jd0000000000000000000000/resolve'],
    ]) {
      const none = await t.request(method, path, { body: method === 'POST' ? {} : undefined });
      expect([path, none.status]).toEqual([path, 401]);
      expect(none.headers.get('content-type')).toContain('application/problem+json');
      // A merchant's own key is not an admin token.
      expect((await t.request(method, path, { token: a.apiKey, body: method === 'POST' ? {} : undefined })).status).toBe(401);
    }
  });

  it('disable stops the merchant’s keys at once, enable restores them; both are audited and idempotent', async () => {
    const m = await t.createMerchant('Gamma Games');
    expect((await t.request('GET', '/v1/orders', { token: m.apiKey })).status).toBe(200);
    const off = await t.request('POST', `/admin/merchants/${m.id}/disable`, { ...admin, body: { reason: 'fraud review' } });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ id: m.id, status: 'disabled' });
    // The key was authenticated (and cached) a moment ago: the disable must still apply now.
    const refused = await t.request('GET', '/v1/orders', { token: m.apiKey });
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('unauthorized');
    expect((await t.request('POST', `/admin/merchants/${m.id}/disable`, admin)).json.status).toBe('disabled');
    expect((await t.request('GET', `/admin/merchants/${m.id}`, admin)).json.status).toBe('disabled');

    const on = await t.request('POST', `/admin/merchants/${m.id}/enable`, admin);
    expect(on.status).toBe(200);
    expect(on.json.status).toBe('active');
    expect((await t.request('GET', '/v1/orders', { token: m.apiKey })).status).toBe(200);

    const log = await t.request('GET', `/admin/audit-log?subject_id=${m.id}`, admin);
    expect(log.json.data.map((e: { action: string }) => e.action)).toEqual(['merchant.enable', 'merchant.disable']);
    expect(log.json.data[1]).toMatchObject({ actor: ADMIN_ACTOR, reason: 'fraud review', details: { from: 'active', to: 'disabled' } });
    expect(JSON.stringify(log.json)).not.toContain(TEST_ADMIN_TOKEN);
    const byActor = await t.request('GET', `/admin/audit-log?actor=${ADMIN_ACTOR}&subject_id=${m.id}`, admin);
    expect(byActor.json.data).toHaveLength(2);
    expect((await t.request('POST', '/admin/merchants/mer_01jd0000000000000000000000/disable', admin)).status).toBe(404);
  });

  it('rotation shows the new key once; the old key works through the overlap and stops after it', async () => {
    const m = await t.createMerchant('Delta Drinks');
    const rotated = await t.request('POST', `/admin/merchants/${m.id}/api-keys/rotate`, {
      ...admin,
      body: { overlap_seconds: 2, reason: 'key leaked in a CI log' },
    });
    expect(rotated.status).toBe(201);
    const newKey: string = rotated.json.api_key;
    expect(newKey).toMatch(/^sk_/);
    expect(newKey).not.toBe(m.apiKey);
    expect(rotated.json).toMatchObject({ object: 'api_key', status: 'active', last4: newKey.slice(-4), expires_at: null });
    const cutoff = Date.parse(rotated.json.previous_keys_expire_at);
    expect(cutoff - Date.now()).toBeGreaterThan(0);
    expect(cutoff - Date.now()).toBeLessThanOrEqual(2_500);

    // Both keys work during the overlap.
    expect((await t.request('GET', '/v1/orders', { token: m.apiKey })).status).toBe(200);
    expect((await t.request('GET', '/v1/orders', { token: newKey })).status).toBe(200);

    const listed = await t.request('GET', `/admin/merchants/${m.id}/api-keys`, admin);
    expect(listed.status).toBe(200);
    // The merchant's test key (created with it) is untouched by a live rotation.
    expect(listed.json.data).toHaveLength(3);
    const byMode = (livemode: boolean) =>
      listed.json.data.filter((k: { livemode: boolean }) => k.livemode === livemode).map((k: { status: string }) => k.status);
    expect(byMode(true).sort()).toEqual(['active', 'expiring']);
    expect(byMode(false)).toEqual(['active']);
    // Keys are listed by their last four characters only.
    expect(listed.text).not.toContain(newKey);
    expect(listed.text).not.toContain(m.apiKey);
    expect(listed.text).not.toContain(m.apiKey.slice(3, -4));

    await new Promise((r) => setTimeout(r, Math.max(0, cutoff - Date.now()) + 200));
    expect((await t.request('GET', '/v1/orders', { token: m.apiKey })).status).toBe(401);
    expect((await t.request('GET', '/v1/orders', { token: newKey })).status).toBe(200);
    const after = await t.request('GET', `/admin/merchants/${m.id}/api-keys`, admin);
    expect(after.json.data.map((k: { status: string }) => k.status).sort()).toEqual(['active', 'active', 'expired']); // the test key stays active

    // overlap_seconds 0 retires the current key at once; bad values are 400 problems.
    const now = await t.request('POST', `/admin/merchants/${m.id}/api-keys/rotate`, { ...admin, body: { overlap_seconds: 0 } });
    expect(now.status).toBe(201);
    expect((await t.request('GET', '/v1/orders', { token: newKey })).status).toBe(401);
    expect((await t.request('GET', '/v1/orders', { token: now.json.api_key })).status).toBe(200);
    for (const bad of [{ overlap_seconds: -1 }, { overlap_seconds: 10_000_000 }, { overlap_seconds: '60' }, { extra: true }]) {
      const res = await t.request('POST', `/admin/merchants/${m.id}/api-keys/rotate`, { ...admin, body: bad });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('validation_failed');
    }
    const audit = await t.request('GET', `/admin/audit-log?action=api_key.rotate&subject_id=${m.id}`, admin);
    expect(audit.json.data).toHaveLength(2);
    expect(audit.json.data[1]).toMatchObject({ reason: 'key leaked in a CI log', details: { overlap_seconds: 2 } });
    expect(JSON.stringify(audit.json)).not.toContain(newKey);

    // Revoking one key by id.
    const keyId = now.json.id;
    const revoked = await t.request('DELETE', `/admin/merchants/${m.id}/api-keys/${keyId}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.json.status).toBe('revoked');
    expect((await t.request('GET', '/v1/orders', { token: now.json.api_key })).status).toBe(401);
    expect((await t.request('DELETE', `/admin/merchants/${a.id}/api-keys/${keyId}`, admin)).status).toBe(404);
  });

  it('orders search spans merchants and filters by merchant, status, provider and reference', async () => {
    const oa = await newOrder(a);
    const ob = await newOrder(b);
    const all = await t.request('GET', '/admin/orders?limit=100', admin);
    expect(all.status).toBe(200);
    const ids = all.json.data.map((o: { id: string }) => o.id);
    expect(ids).toEqual(expect.arrayContaining([oa.id, ob.id]));
    expect(all.json.data.find((o: { id: string }) => o.id === ob.id).merchant_id).toBe(b.id);

    const onlyB = await t.request('GET', `/admin/orders?merchant_id=${b.id}&limit=100`, admin);
    expect(onlyB.json.data.every((o: { merchant_id: string }) => o.merchant_id === b.id)).toBe(true);
    expect(onlyB.json.data.map((o: { id: string }) => o.id)).toContain(ob.id);

    const byRef = await t.request('GET', `/admin/orders?reference=${oa.reference}`, admin);
    expect(byRef.json.data.map((o: { id: string }) => o.id)).toEqual([oa.id]);
    expect(
      (await t.request('GET', '/admin/orders?status=PAID&provider=raksmeypay', admin)).json.data.every((o: { status: string }) => o.status === 'PAID'),
    ).toBe(true);

    // Pagination: newest first, cursor by id.
    const page1 = await t.request('GET', '/admin/orders?limit=1', admin);
    expect(page1.json).toMatchObject({ has_more: true });
    const page2 = await t.request('GET', `/admin/orders?limit=1&starting_after=${page1.json.data[0].id}`, admin);
    expect(page2.json.data[0].id < page1.json.data[0].id).toBe(true);

    expect((await t.request('GET', `/admin/orders/${ob.id}`, admin)).json).toMatchObject({ id: ob.id, merchant_id: b.id });
    expect((await t.request('GET', '/admin/orders?status=LOST', admin)).status).toBe(400);
    expect((await t.request('GET', '/admin/orders?merchant_id=nope', admin)).status).toBe(400);
  });

  it('resolve: PENDING → PAID by hand with a reason, audited, with the normal event; a final transaction answers 409', async () => {
    const order = await newOrder(a, '7.25');
    const txnId = order.transaction.id;
    const missingReason = await t.request('POST', `/admin/transactions/${txnId}/resolve`, { ...admin, body: { status: 'PAID' } });
    expect(missingReason.status).toBe(400);
    expect(missingReason.json.errors.map((e: { field: string }) => e.field)).toContain('reason');
    expect((await t.request('POST', `/admin/transactions/${txnId}/resolve`, { ...admin, body: { status: 'PAID', reason: '   ' } })).status).toBe(400);
    expect((await t.request('POST', `/admin/transactions/${txnId}/resolve`, { ...admin, body: { status: 'EXPIRED', reason: 'x' } })).status).toBe(400);
    // Nothing changed by the refusals.
    expect((await t.db.query(`SELECT status FROM orders WHERE id = $1`, [order.id])).rows[0].status).toBe('PENDING');

    const res = await t.request('POST', `/admin/transactions/${txnId}/resolve`, {
      ...admin,
      body: { status: 'PAID', reason: 'bank statement shows the credit' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: order.id,
      status: 'PAID',
      verification: 'manual',
      paid_amount: '7.25',
      merchant_id: a.id,
      transaction: { id: txnId, status: 'PAID' },
    });
    // The merchant sees it like any payment, with its event.
    expect((await t.request('GET', `/v1/orders/${order.id}`, { token: a.apiKey })).json.status).toBe('PAID');
    const events = await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [order.id]);
    expect(events.rows.map((r) => r.type)).toEqual(['order.created', 'order.paid']);
    const audit = await t.request('GET', `/admin/audit-log?subject_id=${txnId}`, admin);
    expect(audit.json.data).toHaveLength(1);
    expect(audit.json.data[0]).toMatchObject({
      actor: ADMIN_ACTOR,
      action: 'transaction.resolve',
      reason: 'bank statement shows the credit',
      details: { order_id: order.id, to: 'PAID' },
    });
    expect(Date.now() - Date.parse(audit.json.data[0].created_at)).toBeLessThan(60_000);

    const again = await t.request('POST', `/admin/transactions/${txnId}/resolve`, { ...admin, body: { status: 'FAILED', reason: 'second thoughts' } });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(again.json.code).toBe('transaction_final');
    expect((await t.db.query(`SELECT count(*)::int AS n FROM events WHERE order_id = $1`, [order.id])).rows[0].n).toBe(2);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE subject_id = $1`, [txnId])).rows[0].n).toBe(1);

    const other = await newOrder(b, '3.00');
    const failed = await t.request('POST', `/admin/transactions/${other.transaction.id}/resolve`, {
      ...admin,
      body: { status: 'FAILED', reason: 'customer abandoned; gateway confirms no payment' },
    });
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ status: 'FAILED', paid_at: null });
    const failedEvents = await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [other.id]);
    expect(failedEvents.rows.map((r) => r.type)).toEqual(['order.created', 'order.failed']);

    expect(
      (await t.request('POST', '/admin/transactions/txn_01jd0000000000000000000000/resolve', { ...admin, body: { status: 'PAID', reason: 'x' } })).status,
    ).toBe(404);
  });
});
