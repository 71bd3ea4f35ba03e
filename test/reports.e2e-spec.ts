import { configureBakong } from './helpers/bakong';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/** The dashboard's read APIs: payments summary, one order's events, the gateway catalogue, deleting an account. */
describe('dashboard APIs', () => {
  let t: TestApp;
  let m: TestMerchant;
  let other: TestMerchant;
  let seq = 0;
  const create = async (token: string, body: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/orders', { token, body: { reference: `R-${++seq}`, ...body } });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
    return res.json as { id: string; transaction: { provider_reference: string }; provider: string; amount: string };
  };
  const pay = async (token: string, o: { id: string; provider: string; transaction: { provider_reference: string } }, amount?: string) => {
    const res = await t.request('POST', '/sandbox/control/pay', {
      body: { provider: o.provider, provider_reference: o.transaction.provider_reference, amount },
    });
    expect(res.status).toBe(200);
    return (await t.request('POST', `/v1/orders/${o.id}/verify`, { token })).json;
  };
  /** Today's midnight in Phnom Penh (UTC+7, no daylight saving), as a UTC instant. */
  const phnomPenhMidnight = () => {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Phnom_Penh' }).format(new Date());
    return { day, at: new Date(`${day}T00:00:00+07:00`) };
  };
  const backdate = (id: string, at: Date) => t.db.query('UPDATE orders SET created_at = $2 WHERE id = $1', [id, at]);

  beforeAll(async () => {
    t = await startTestApp();
    m = await t.createMerchant('Summary Shop');
    other = await t.createMerchant('Other Shop');
    await configureRaksmeypay(t, m);
    await configureRaksmeypay(t, other, 'other-profile-key-9999');
    await configureBakong(t, m);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('GET /v1/reports/summary', () => {
    it('counts today and the last 7 days in Phnom Penh days, by gateway and currency, with paid amounts as decimal strings', async () => {
      const { day: today, at: midnight } = phnomPenhMidnight();
      const a = await create(m.apiKey, { provider: 'raksmeypay', amount: '12.50' });
      expect((await pay(m.apiKey, a)).status).toBe('PAID');
      const b = await create(m.apiKey, { provider: 'raksmeypay', amount: '0.10' });
      expect((await pay(m.apiKey, b)).status).toBe('PAID');
      await create(m.apiKey, { provider: 'raksmeypay', amount: '3.00' }); // stays PENDING
      const khr = await create(m.apiKey, { provider: 'bakong', amount: '40000', currency: 'KHR' });
      expect((await pay(m.apiKey, khr)).status).toBe('PAID');
      // A mismatched payment is not PAID and adds nothing to the paid amount.
      const short = await create(m.apiKey, { provider: 'raksmeypay', amount: '5.00' });
      expect((await pay(m.apiKey, short, '4.00')).status).not.toBe('PAID');
      // One minute after Phnom Penh midnight counts as today, one minute before as yesterday (though both may be the same UTC date).
      const early = await create(m.apiKey, { provider: 'raksmeypay', amount: '1.00' });
      await backdate(early.id, new Date(midnight.getTime() + 60_000));
      const late = await create(m.apiKey, { provider: 'raksmeypay', amount: '2.00' });
      expect((await pay(m.apiKey, late)).status).toBe('PAID');
      await backdate(late.id, new Date(midnight.getTime() - 60_000));
      // Three days ago is in the 7 days; seven days ago is not.
      const older = await create(m.apiKey, { provider: 'raksmeypay', amount: '7.00' });
      await backdate(older.id, new Date(midnight.getTime() - 3 * 86_400_000 + 3_600_000));
      const tooOld = await create(m.apiKey, { provider: 'raksmeypay', amount: '99.00' });
      expect((await pay(m.apiKey, tooOld)).status).toBe('PAID');
      await backdate(tooOld.id, new Date(midnight.getTime() - 6 * 86_400_000 - 60_000));
      // Another merchant's orders never show.
      const foreign = await create(other.apiKey, { provider: 'raksmeypay', amount: '50.00' });
      expect((await pay(other.apiKey, foreign)).status).toBe('PAID');

      const res = await t.request('GET', '/v1/reports/summary', { token: m.apiKey });
      expect(res.status).toBe(200);
      const s = res.json;
      expect(s.object).toBe('payments_summary');
      expect(s.time_zone).toBe('Asia/Phnom_Penh');
      expect(s.today.date).toBe(today);
      expect(s.last_7_days.to).toBe(today);
      expect(s.daily).toHaveLength(7);
      expect(s.daily[6].date).toBe(today);
      expect(s.daily[0].date).toBe(s.last_7_days.from);
      const group = (groups: { provider: string; currency: string }[], provider: string, currency: string) =>
        groups.find((g) => g.provider === provider && g.currency === currency);
      expect(group(s.today.groups, 'raksmeypay', 'USD')).toEqual({
        provider: 'raksmeypay',
        currency: 'USD',
        orders: 5,
        statuses: { PENDING: 3, PAID: 2, EXPIRED: 0, CANCELLED: 0, FAILED: 0 },
        paid_amount: '12.60',
      });
      expect(group(s.today.groups, 'bakong', 'KHR')).toMatchObject({ orders: 1, statuses: expect.objectContaining({ PAID: 1 }), paid_amount: '40000' });
      expect(s.daily[5].groups).toEqual([expect.objectContaining({ provider: 'raksmeypay', currency: 'USD', orders: 1, paid_amount: '2.00' })]);
      expect(s.daily[3].groups).toEqual([expect.objectContaining({ orders: 1, paid_amount: '0.00', statuses: expect.objectContaining({ PENDING: 1 }) })]);
      expect(group(s.last_7_days.groups, 'raksmeypay', 'USD')).toMatchObject({ orders: 7, paid_amount: '14.60' });
      expect(s.last_7_days.groups).toHaveLength(2);
      expect(res.text).not.toContain('99.00');
      expect(res.text).not.toContain('50.00');
    });

    it('answers an empty summary for a merchant without orders, and 401 without a key', async () => {
      const fresh = await t.createMerchant('Empty Shop');
      const res = await t.request('GET', '/v1/reports/summary', { token: fresh.apiKey });
      expect(res.status).toBe(200);
      expect(res.json.today.groups).toEqual([]);
      expect(res.json.daily.every((d: { groups: unknown[] }) => d.groups.length === 0)).toBe(true);
      expect((await t.request('GET', '/v1/reports/summary')).status).toBe(401);
    });
  });

  describe('GET /v1/events?order_id=', () => {
    it("lists only that order's events, newest first, and nothing for another merchant's order", async () => {
      const a = await create(m.apiKey, { provider: 'raksmeypay', amount: '4.00' });
      const b = await create(m.apiKey, { provider: 'raksmeypay', amount: '5.00' });
      await pay(m.apiKey, a);
      const res = await t.request('GET', `/v1/events?order_id=${a.id}`, { token: m.apiKey });
      expect(res.status).toBe(200);
      expect(res.json.data.map((e: { type: string }) => e.type)).toEqual(['order.paid', 'order.created']);
      expect(res.json.data.every((e: { data: { order: { id: string } } }) => e.data.order.id === a.id)).toBe(true);
      expect(res.json.data[0].sequence).toBeGreaterThan(res.json.data[1].sequence);
      const onlyB = await t.request('GET', `/v1/events?order_id=${b.id}`, { token: m.apiKey });
      expect(onlyB.json.data.map((e: { type: string }) => e.type)).toEqual(['order.created']);
      // Another merchant asking for this order's events sees none.
      const foreign = await t.request('GET', `/v1/events?order_id=${a.id}`, { token: other.apiKey });
      expect(foreign.status).toBe(200);
      expect(foreign.json.data).toEqual([]);
      const bad = await t.request('GET', `/v1/events?order_id=${'x'.repeat(65)}`, { token: m.apiKey });
      expect(bad.status).toBe(400);
    });
  });

  describe('GET /v1/gateways', () => {
    it("lists every gateway with its credential fields, and never a merchant's values", async () => {
      const res = await t.request('GET', '/v1/gateways', { token: m.apiKey });
      expect(res.status).toBe(200);
      expect(res.json.data.map((g: { id: string }) => g.id).sort()).toEqual(['ahnajak', 'bakong', 'bakongapi', 'checkout', 'payway', 'raksmeypay']);
      const rp = res.json.data.find((g: { id: string }) => g.id === 'raksmeypay');
      expect(rp.credential_fields.map((f: { name: string }) => f.name)).toEqual(['profile_id', 'profile_key', 'base_url']);
      expect(rp.credential_fields[1]).toMatchObject({ name: 'profile_key', secret: true, required: true, kind: 'string' });
      expect(rp.credential_fields[0]).toMatchObject({ secret: false, example: '1001' });
      expect(rp.credential_fields[0].check).toBeUndefined();
      expect(rp).toMatchObject({ object: 'gateway', currencies: ['USD'], verify: true });
      expect(res.text).not.toContain('test-profile-key');
      expect((await t.request('GET', '/v1/gateways')).status).toBe(401);
    });
  });

  describe('DELETE /v1/provider-accounts/{provider}', () => {
    it('refuses while PENDING orders need the account, deletes it once they are final, and is scoped to the merchant', async () => {
      const shop = await t.createMerchant('Delete Shop');
      await configureRaksmeypay(t, shop, 'delete-shop-key-0001');
      const pending = await create(shop.apiKey, { provider: 'raksmeypay', amount: '1.00' });
      const inUse = await t.request('DELETE', '/v1/provider-accounts/raksmeypay', { token: shop.apiKey });
      expect(inUse.status).toBe(409);
      expect(inUse.json.code).toBe('provider_account_in_use');
      expect((await t.request('GET', '/v1/provider-accounts', { token: shop.apiKey })).json.data).toHaveLength(1);
      // Another merchant's DELETE touches only its own account.
      const fresh = await t.createMerchant('No Accounts');
      expect((await t.request('DELETE', '/v1/provider-accounts/raksmeypay', { token: fresh.apiKey })).status).toBe(404);
      expect((await t.request('DELETE', '/v1/provider-accounts/paypal', { token: shop.apiKey })).json.code).toBe('unknown_provider');
      expect((await t.request('POST', `/v1/orders/${pending.id}/cancel`, { token: shop.apiKey })).status).toBe(200);
      const gone = await t.request('DELETE', '/v1/provider-accounts/raksmeypay', { token: shop.apiKey });
      expect(gone.status).toBe(200);
      expect(gone.json).toEqual({ object: 'provider_account', provider: 'raksmeypay', deleted: true });
      expect((await t.request('GET', '/v1/provider-accounts', { token: shop.apiKey })).json.data).toEqual([]);
      expect((await t.db.query('SELECT count(*)::int AS n FROM provider_accounts WHERE merchant_id = $1', [shop.id])).rows[0].n).toBe(0);
      const again = await t.request('DELETE', '/v1/provider-accounts/raksmeypay', { token: shop.apiKey });
      expect(again.status).toBe(404);
      // The other merchants' raksmeypay accounts are untouched.
      expect((await t.request('GET', '/v1/provider-accounts', { token: other.apiKey })).json.data).toHaveLength(1);
    });
  });
});
