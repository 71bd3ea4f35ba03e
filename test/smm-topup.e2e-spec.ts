import { FulfillmentWorker, MAX_CREDIT_ATTEMPTS } from '../src/fulfillment/fulfillment.worker';
import { memoFor } from '../src/fulfillment/panels.transformers';
import { configureKhqrProvider, configurePanel, postTopup, sandboxPay } from './helpers/checkout';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

/** The SMM top-up widget, panel settings, and exactly-once crediting of the simulated panels. */
describe('SMM top-up', () => {
  let t: TestApp;
  let worker: FulfillmentWorker;

  beforeAll(async () => {
    t = await startTestApp();
    worker = t.app.get(FulfillmentWorker);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  const orderCount = async (merchantId: string) => Number((await t.db.query('SELECT count(*) FROM orders WHERE merchant_id = $1', [merchantId])).rows[0].count);
  const credit = async (orderId: string) => (await t.db.query('SELECT * FROM smm_credits WHERE order_id = $1', [orderId])).rows[0];
  const panelPayments = async (merchantId: string, panel = 'perfectpanel') =>
    (await t.db.query('SELECT username, amount, memo FROM sandbox_panel_payments WHERE merchant_id = $1 AND panel = $2 ORDER BY id', [merchantId, panel])).rows;
  const balance = async (merchantId: string, username: string, panel = 'perfectpanel') =>
    (await t.db.query('SELECT balance_minor FROM sandbox_panel_users WHERE merchant_id = $1 AND panel = $2 AND username = $3', [merchantId, panel, username]))
      .rows[0]?.balance_minor;
  /** Makes every pending credit due now (the back-off is minutes long). */
  const due = () => t.db.query(`UPDATE smm_credits SET next_attempt_at = now() WHERE status IN ('pending', 'attempting')`);

  /** Top-up through the widget's form, then the customer pays: returns the order id. */
  async function paidTopup(m: TestMerchant, user: string, amount = '10.00'): Promise<string> {
    const res = await postTopup(t, m.id, { amount, min: '1', max: '100', u: user, e: `${user}@example.com` });
    expect(res.status).toBe(303);
    const orderId = /\/pay\/(ord_[0-9a-z]{26})/.exec(res.headers.get('location')!)![1];
    const { rows } = await t.db.query('SELECT provider_reference FROM transactions WHERE order_id = $1', [orderId]);
    await sandboxPay(t, 'bakongapi', rows[0].provider_reference);
    const status = await t.request('GET', `/pay/${orderId}/status`);
    expect(status.json.status).toBe('PAID');
    return orderId;
  }

  describe('panel settings', () => {
    it('stores the API key encrypted, masks it, and validates', async () => {
      const m = await t.createMerchant();
      expect((await t.request('GET', '/v1/smm-panel', { token: m.apiKey })).status).toBe(404);
      const put = await t.request('PUT', '/v1/smm-panel', {
        token: m.apiKey,
        body: { type: 'perfectpanel', api_url: 'https://panel.example.com/', api_key: 'pp-secret-key-123456', enabled: true },
      });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({
        object: 'smm_panel',
        type: 'perfectpanel',
        api_url: 'https://panel.example.com',
        api_key: '••••3456',
        enabled: true,
        provider: null,
        effective_provider: null,
      });
      expect(put.json).toMatchObject({ min_amount: '1.00', max_amount: '1000.00', preset_amounts: [] });
      expect(put.json.widget_url).toBe(`${t.url}/topup/${m.id}?amount=10.00`);
      const row = (await t.db.query('SELECT api_key_sealed FROM smm_panels WHERE merchant_id = $1', [m.id])).rows[0];
      expect(row.api_key_sealed).toMatch(/^v1\./);
      expect(row.api_key_sealed).not.toContain('pp-secret-key');
      // The key may be omitted later to keep it.
      const again = await t.request('PUT', '/v1/smm-panel', {
        token: m.apiKey,
        body: { type: 'socpanel', api_url: 'https://soc.example.com', enabled: false, provider: 'raksmeypay' },
      });
      expect(again.json).toMatchObject({ type: 'socpanel', api_key: '••••3456', enabled: false, provider: 'raksmeypay' });
      for (const body of [
        { type: 'wordpress', api_url: 'https://x.example.com', api_key: 'k', enabled: true },
        { type: 'perfectpanel', api_url: 'ftp://x.example.com', api_key: 'k', enabled: true },
        { type: 'perfectpanel', api_url: 'https://x.example.com?a=1', api_key: 'k', enabled: true },
        { type: 'perfectpanel', api_url: 'https://x.example.com', api_key: 'k', enabled: 'yes' },
        { type: 'perfectpanel', api_url: 'https://x.example.com', api_key: 'k', enabled: true, provider: 'checkout' },
      ]) {
        const bad = await t.request('PUT', '/v1/smm-panel', { token: m.apiKey, body });
        expect(bad.status).toBe(400);
        expect(bad.json.code).toBe('validation_failed');
      }
      expect((await t.request('GET', '/v1/smm-panel', { token: m.apiKey })).json.type).toBe('socpanel');
      expect((await t.request('GET', '/v1/smm-panel')).status).toBe(401);
    });

    it('keeps the widget bounds and presets: decimal strings at the edge, minor units inside, validated together', async () => {
      const m = await t.createMerchant();
      const base = { type: 'perfectpanel', api_url: 'https://panel.example.com', api_key: 'pp-secret-key-123456', enabled: true };
      const put = await t.request('PUT', '/v1/smm-panel', {
        token: m.apiKey,
        body: { ...base, min_amount: '2.5', max_amount: 50, preset_amounts: ['20', '5.00', 10] },
      });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({
        min_amount: '2.50',
        max_amount: '50.00',
        preset_amounts: ['5.00', '10.00', '20.00'],
        widget_url: `${t.url}/topup/${m.id}?amount=10.00`,
      });
      const row = (await t.db.query('SELECT min_amount_minor, max_amount_minor, preset_amounts_minor FROM smm_panels WHERE merchant_id = $1', [m.id])).rows[0];
      expect(row).toEqual({ min_amount_minor: '250', max_amount_minor: '5000', preset_amounts_minor: ['500', '1000', '2000'] });
      for (const [extra, field] of [
        [{ min_amount: '60' }, 'max_amount'],
        [{ max_amount: '1.234' }, 'max_amount'],
        [{ min_amount: '-1' }, 'min_amount'],
        [{ min_amount: '0' }, 'min_amount'],
        [{ min_amount: 'ten' }, 'min_amount'],
        [{ preset_amounts: ['1.00'] }, 'preset_amounts[0]'],
        [{ preset_amounts: ['5', '60'] }, 'preset_amounts[1]'],
        [{ preset_amounts: ['5', '5.00'] }, 'preset_amounts'],
        [{ preset_amounts: ['3', '4', '5', '6', '7', '8', '9', '11', '12'] }, 'preset_amounts'],
        [{ preset_amounts: '5' }, 'preset_amounts'],
      ] as const) {
        const bad = await t.request('PUT', '/v1/smm-panel', { token: m.apiKey, body: { ...base, ...extra } });
        expect(bad.status).toBe(400);
        expect(bad.json.code).toBe('validation_failed');
        expect(bad.json.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      // Nothing changed; omitted fields keep the stored values.
      const kept = await t.request('PUT', '/v1/smm-panel', { token: m.apiKey, body: { ...base, enabled: false } });
      expect(kept.json).toMatchObject({ enabled: false, min_amount: '2.50', max_amount: '50.00', preset_amounts: ['5.00', '10.00', '20.00'] });
    });
  });

  describe('widget', () => {
    let m: TestMerchant;
    beforeAll(async () => {
      m = await t.createMerchant('Boost SMM');
      await configureKhqrProvider(t, m);
      await configurePanel(t, m, 'perfectpanel', { min_amount: '1', max_amount: '100' });
    });

    it('renders the form, embeddable anywhere', async () => {
      const res = await t.request('GET', `/topup/${m.id}?amount=1&min=1&max=1000&u=alice&e=alice@example.com`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
      expect(res.text).toContain('<b id="account">alice</b>');
      expect(res.text).toContain('value="1.00"');
      expect(res.text).toContain('Between $1.00 and $100.00');
      expect(res.text).toContain('<form method="post"');
    });

    it("takes the bounds and presets from the merchant's settings, never from the embed URL or the form", async () => {
      const s = await t.createMerchant('Bounded SMM');
      await configureKhqrProvider(t, s);
      await configurePanel(t, s, 'perfectpanel', { min_amount: '5', max_amount: '50', preset_amounts: ['7', '15.50'] });
      const page = await t.request('GET', `/topup/${s.id}?amount=10&min=1&max=100000&u=alice`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Between $5.00 and $50.00');
      expect([...page.text.matchAll(/name="preset" value="([^"]+)"/g)].map((x) => x[1])).toEqual(['7.00', '15.50']);
      expect(page.text).not.toMatch(/name="(min|max)"/);
      // A forged or edited form cannot widen the bounds.
      for (const fields of [
        { amount: '5000', min: '1', max: '100000', u: 'alice' },
        { amount: '1', min: '1', max: '100', u: 'alice' },
        { amount: '', preset: '1.00', min: '1', u: 'alice' },
      ] as Record<string, string>[]) {
        const res = await postTopup(t, s.id, fields);
        expect(res.status).toBe(400);
        expect(res.text).toContain('Enter an amount between $5.00 and $50.00.');
      }
      expect(await orderCount(s.id)).toBe(0);
      expect((await postTopup(t, s.id, { amount: '', preset: '15.50', u: 'alice' })).status).toBe(303);
      expect((await t.db.query('SELECT amount_minor FROM orders WHERE merchant_id = $1', [s.id])).rows).toEqual([{ amount_minor: '1550' }]);
    });

    it('the same panel user and amount get the same PENDING order again while it has time left; anything else gets a new one', async () => {
      const r = await t.createMerchant('Reuse SMM');
      await configureKhqrProvider(t, r);
      await configurePanel(t, r);
      const orderOf = (res: { status: number; headers: Headers }) => {
        expect(res.status).toBe(303);
        return /ord_[0-9a-z]{26}/.exec(res.headers.get('location')!)![0];
      };
      const first = orderOf(await postTopup(t, r.id, { amount: '10', u: 'kate', e: 'kate@example.com' }));
      const again = await postTopup(t, r.id, { amount: '10.00', u: 'kate', lang: 'km' });
      expect(orderOf(again)).toBe(first);
      expect(again.headers.get('location')).toBe(`${t.url}/pay/${first}?embed=1&lang=km`);
      expect(orderOf(await postTopup(t, r.id, { amount: '', preset: '10.00', u: 'kate' }))).toBe(first);
      expect(await orderCount(r.id)).toBe(1);
      // Another amount, another user: new orders.
      const other = orderOf(await postTopup(t, r.id, { amount: '11', u: 'kate' }));
      const otherUser = orderOf(await postTopup(t, r.id, { amount: '10', u: 'liam' }));
      expect(new Set([first, other, otherUser]).size).toBe(3);
      // Near expiry: not handed out again (the customer would not have time to pay).
      await t.db.query(`UPDATE orders SET expires_at = now() + interval '2 minutes' WHERE id = $1`, [first]);
      const fresh = orderOf(await postTopup(t, r.id, { amount: '10', u: 'kate' }));
      expect(fresh).not.toBe(first);
      // No longer PENDING (cancelled here; paid alike): the next top-up is a new order.
      expect((await t.request('POST', `/v1/orders/${fresh}/cancel`, { token: r.apiKey })).status).toBe(200);
      const afterClosed = orderOf(await postTopup(t, r.id, { amount: '10', u: 'kate' }));
      expect([first, fresh]).not.toContain(afterClosed);
      expect(await orderCount(r.id)).toBe(5);
    });

    it.each([
      ['missing user', '?amount=5&min=1&max=10', 'Please log in to your panel account'],
      ['malformed user', '?amount=5&min=1&max=10&u=%3Cscript%3E', 'username could not be read'],
    ])('shows a clear message and no form: %s', async (_name, query, message) => {
      const res = await t.request('GET', `/topup/${m.id}${query}`);
      expect(res.text).toContain(message);
      expect(res.text).not.toContain('<form');
      expect(res.text).not.toContain('<script');
    });

    it('flags an amount outside min/max and creates nothing on POST', async () => {
      const page = await t.request('GET', `/topup/${m.id}?amount=500&min=1&max=100&u=alice`);
      expect(page.text).toContain('Enter an amount between $1.00 and $100.00.');
      expect(page.text).toContain('aria-invalid="true"');
      const before = await orderCount(m.id);
      for (const fields of [
        { amount: '500', min: '1', max: '100', u: 'alice' },
        { amount: '0.50', min: '1', max: '100', u: 'alice' },
        { amount: '1.234', min: '1', max: '100', u: 'alice' },
        { amount: 'ten', min: '1', max: '100', u: 'alice' },
        { amount: '500', min: '1', max: '1000', u: 'alice' },
        { amount: '10', min: '1', max: '100', u: '' },
      ]) {
        const res = await postTopup(t, m.id, fields);
        expect(res.status).toBe(400);
        expect(res.text).toMatch(/Enter an amount|log in/);
      }
      expect(await orderCount(m.id)).toBe(before);
    });

    it('a valid POST creates a KHQR order with the panel user in metadata and goes to the pay page', async () => {
      const res = await postTopup(t, m.id, { amount: '25', min: '1', max: '100', u: 'bob', e: 'bob@example.com', lang: 'km' });
      expect(res.status).toBe(303);
      const location = res.headers.get('location')!;
      expect(location).toMatch(new RegExp(`^${t.url}/pay/ord_[0-9a-z]{26}\\?embed=1&lang=km$`));
      const orderId = /ord_[0-9a-z]{26}/.exec(location)![0];
      const order = (await t.db.query('SELECT provider, amount_minor, currency, metadata, customer FROM orders WHERE id = $1', [orderId])).rows[0];
      expect(order).toEqual({
        provider: 'bakongapi',
        amount_minor: '2500',
        currency: 'USD',
        metadata: { source: 'smm_topup', smm_user: 'bob', smm_email: 'bob@example.com' },
        customer: { name: 'bob', email: 'bob@example.com' },
      });
      // The pay page of a top-up order lives in the panel's iframe.
      const page = await t.request('GET', `/pay/${orderId}?embed=1&lang=km`);
      expect(page.headers.get('content-security-policy')).toContain('frame-ancestors *');
      expect(page.text).toContain('<html lang="km">');
    });

    it('a preset button posts its own amount', async () => {
      const res = await postTopup(t, m.id, { amount: '', preset: '5.00', min: '1', max: '100', u: 'carol' });
      expect(res.status).toBe(303);
      const orderId = /ord_[0-9a-z]{26}/.exec(res.headers.get('location')!)![0];
      expect((await t.db.query('SELECT amount_minor FROM orders WHERE id = $1', [orderId])).rows[0].amount_minor).toBe('500');
    });

    it('is unavailable for an unknown merchant, a disabled panel, or no gateway', async () => {
      expect((await t.request('GET', `/topup/mer_00000000000000000000000000?u=a`)).status).toBe(404);
      const other = await t.createMerchant();
      await configurePanel(t, other);
      const noGateway = await t.request('GET', `/topup/${other.id}?u=a`);
      expect(noGateway.status).toBe(404);
      expect(noGateway.text).toContain('not available');
      await configureKhqrProvider(t, other);
      await configurePanel(t, other, 'perfectpanel', { enabled: false });
      expect((await t.request('GET', `/topup/${other.id}?u=a`)).status).toBe(404);
      expect((await postTopup(t, other.id, { amount: '5', u: 'a' })).status).toBe(404);
      expect(await orderCount(other.id)).toBe(0);
    });

    it('with raksmeypay chosen, redirects to its checkout_url', async () => {
      const r = await t.createMerchant();
      await configureRaksmeypay(t, r);
      await configurePanel(t, r);
      const page = await t.request('GET', `/topup/${r.id}?u=dave`);
      expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${t.url}`);
      const res = await postTopup(t, r.id, { amount: '3', u: 'dave' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(new RegExp(`^${t.url}/sandbox/raksmeypay/payment/request/`));
    });
  });

  describe('crediting the panel', () => {
    it('PerfectPanel: the ledger row is written with order.paid, and the user is credited exactly once', async () => {
      const m = await t.createMerchant();
      await configureKhqrProvider(t, m);
      await configurePanel(t, m);
      const orderId = await paidTopup(m, 'erin', '12.50');
      expect(await credit(orderId)).toMatchObject({
        status: 'pending',
        username: 'erin',
        email: 'erin@example.com',
        amount: '12.50',
        currency: 'USD',
        panel_type: 'perfectpanel',
        attempts: 0,
      });
      expect(await worker.runOnce()).toEqual({ claimed: 1, done: 1, retrying: 0, failed: 0 });
      expect(await credit(orderId)).toMatchObject({ status: 'done', attempts: 1, last_outcome: null });
      expect(await panelPayments(m.id)).toEqual([{ username: 'erin', amount: '12.50', memo: memoFor(orderId) }]);
      expect(await balance(m.id, 'erin')).toBe('1250');
      // Nothing left to do; a second payment notification changes nothing.
      await due();
      expect(await worker.runOnce()).toEqual({ claimed: 0, done: 0, retrying: 0, failed: 0 });
      await sandboxPay(
        t,
        'bakongapi',
        (await t.db.query('SELECT provider_reference FROM transactions WHERE order_id = $1', [orderId])).rows[0].provider_reference,
      );
      expect(Number((await t.db.query('SELECT count(*) FROM smm_credits WHERE order_id = $1', [orderId])).rows[0].count)).toBe(1);
      expect(await panelPayments(m.id)).toHaveLength(1);
      // The admin listing shows it.
      const list = await t.request('GET', `/admin/smm-credits?merchant_id=${m.id}`, { token: TEST_ADMIN_TOKEN });
      expect(list.json.data).toEqual([
        expect.objectContaining({
          object: 'smm_credit',
          order_id: orderId,
          status: 'done',
          username: 'erin',
          amount: '12.50',
          panel_payment_id: expect.any(String),
        }),
      ]);
    });

    it('PerfectPanel failing the first call: retried after a look-up, credited once', async () => {
      const m = await t.createMerchant();
      await configureKhqrProvider(t, m);
      await configurePanel(t, m);
      const orderId = await paidTopup(m, 'frank');
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'perfectpanel', mode: 'http500' } });
      expect(await worker.runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
      expect(await credit(orderId)).toMatchObject({ status: 'pending', attempts: 1, last_outcome: 'unknown', last_error: 'the panel answered HTTP 500' });
      await t.request('DELETE', '/sandbox/control/faults');
      await due();
      expect(await worker.runOnce()).toMatchObject({ claimed: 1, done: 1 });
      expect(await panelPayments(m.id)).toHaveLength(1);
      expect(await balance(m.id, 'frank')).toBe('1000');
    });

    it('PerfectPanel: a crash between the call and its record is found by the look-up, never credited twice', async () => {
      const m = await t.createMerchant();
      await configureKhqrProvider(t, m);
      const apiKey = await configurePanel(t, m);
      const orderId = await paidTopup(m, 'gina', '7.00');
      // The worker's call reached the panel, then the process died before recording the answer.
      const call = await fetch(`${t.url}/sandbox/perfectpanel/adminapi/v2/payments/add`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'gina', amount: 7, method: 'KHQR', memo: memoFor(orderId) }),
      });
      expect(call.status).toBe(200);
      await t.db.query(
        `UPDATE smm_credits SET status = 'attempting', attempts = 1, last_outcome = 'unknown', next_attempt_at = now() - interval '1 second' WHERE order_id = $1`,
        [orderId],
      );
      expect(await worker.runOnce()).toMatchObject({ claimed: 1, done: 1 });
      expect(await credit(orderId)).toMatchObject({ status: 'done', attempts: 2 });
      expect(await panelPayments(m.id)).toHaveLength(1);
      expect(await balance(m.id, 'gina')).toBe('700');
    });

    it(`gives up after ${MAX_CREDIT_ATTEMPTS} attempts: credit failed, order flagged, visible to admin, retryable`, async () => {
      const m = await t.createMerchant();
      await configureKhqrProvider(t, m);
      await configurePanel(t, m);
      const orderId = await paidTopup(m, 'hank');
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'perfectpanel', mode: 'http429' } });
      for (let i = 0; i < MAX_CREDIT_ATTEMPTS; i++) {
        await due();
        await worker.runOnce();
      }
      expect(await credit(orderId)).toMatchObject({ status: 'failed', attempts: MAX_CREDIT_ATTEMPTS });
      const order = (await t.db.query('SELECT status, flags FROM orders WHERE id = $1', [orderId])).rows[0];
      expect(order).toEqual({ status: 'PAID', flags: ['fulfillment_failed'] });
      const events = (await t.db.query(`SELECT data FROM events WHERE order_id = $1 AND type = 'order.flagged'`, [orderId])).rows;
      expect(events).toHaveLength(1);
      expect(events[0].data.flags_added).toEqual(['fulfillment_failed']);
      const failed = await t.request('GET', '/admin/smm-credits?status=failed', { token: TEST_ADMIN_TOKEN });
      expect(failed.json.data.map((c: { order_id: string }) => c.order_id)).toContain(orderId);
      expect(await panelPayments(m.id)).toHaveLength(0);

      await t.request('DELETE', '/sandbox/control/faults');
      const retry = await t.request('POST', `/admin/smm-credits/${orderId}/retry`, { token: TEST_ADMIN_TOKEN, body: { reason: 'panel back up' } });
      expect(retry.status).toBe(200);
      expect(retry.json).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await worker.runOnce()).toMatchObject({ done: 1 });
      expect(await balance(m.id, 'hank')).toBe('1000');
      expect((await t.request('POST', `/admin/smm-credits/${orderId}/retry`, { token: TEST_ADMIN_TOKEN, body: { reason: 'again' } })).status).toBe(409);
      expect((await t.db.query(`SELECT count(*) FROM audit_log WHERE subject_id = $1 AND action = 'smm_credit.retry'`, [orderId])).rows[0].count).toBe('1');
    });

    it('SocPanel: credited once; an unknown outcome is never retried blindly', async () => {
      const m = await t.createMerchant();
      await configureKhqrProvider(t, m);
      await configurePanel(t, m, 'socpanel');
      const ok = await paidTopup(m, 'ivy', '4.00');
      expect(await worker.runOnce()).toMatchObject({ done: 1 });
      expect(await credit(ok)).toMatchObject({ status: 'done', panel_type: 'socpanel' });
      expect(await balance(m.id, 'ivy', 'socpanel')).toBe('400');

      const unsure = await paidTopup(m, 'ivy', '6.00');
      await t.request('POST', '/sandbox/control/faults', { body: { provider: 'socpanel', mode: 'http500' } });
      expect(await worker.runOnce()).toMatchObject({ failed: 1 });
      expect(await credit(unsure)).toMatchObject({ status: 'failed', last_outcome: 'unknown' });
      expect((await credit(unsure)).last_error).toMatch(/no payment look-up/);
      expect((await t.db.query('SELECT flags FROM orders WHERE id = $1', [unsure])).rows[0].flags).toEqual(['fulfillment_failed']);
      await t.request('DELETE', '/sandbox/control/faults');
      // Retrying without confirming fails again at once, without calling the panel.
      await t.request('POST', `/admin/smm-credits/${unsure}/retry`, { token: TEST_ADMIN_TOKEN, body: { reason: 'try' } });
      expect(await worker.runOnce()).toMatchObject({ failed: 1 });
      expect(await balance(m.id, 'ivy', 'socpanel')).toBe('400');
      // The merchant checked the panel: not credited. Now it may call.
      await t.request('POST', `/admin/smm-credits/${unsure}/retry`, {
        token: TEST_ADMIN_TOKEN,
        body: { reason: 'checked the panel', confirmed_not_credited: true },
      });
      expect(await worker.runOnce()).toMatchObject({ done: 1 });
      expect(await balance(m.id, 'ivy', 'socpanel')).toBe('1000');
    });

    it('a panel that refuses (HTTP 4xx) is retried later with no look-up needed, and nothing is credited', async () => {
      const m = await t.createMerchant();
      await configureKhqrProvider(t, m);
      await configurePanel(t, m);
      const orderId = await paidTopup(m, 'jack');
      // A mistyped api_url: the panel host answers 404 to every call.
      await t.db.query(`UPDATE smm_panels SET api_url = $2 WHERE merchant_id = $1`, [m.id, `${t.url}/sandbox/perfectpanel/typo`]);
      expect(await worker.runOnce()).toMatchObject({ retrying: 1 });
      expect(await credit(orderId)).toMatchObject({ status: 'pending', last_outcome: 'rejected', last_error: 'the panel answered HTTP 404' });
      expect(await panelPayments(m.id)).toHaveLength(0);
    });
  });
});

/** The widget is public: a per-merchant cap on new top-up orders, shared by every instance. */
describe('SMM top-up: per-merchant cap on new orders', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOPUP_ORDERS_PER_MERCHANT_PER_MIN: '3' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const topupOrders = async (merchantId: string) =>
    Number((await t.db.query(`SELECT count(*) FROM orders WHERE merchant_id = $1 AND metadata->>'source' = 'smm_topup'`, [merchantId])).rows[0].count);

  it('over the cap: a 429 problem with Retry-After and nothing created; reuse and other merchants are not affected', async () => {
    const a = await t.createMerchant('Busy SMM');
    const b = await t.createMerchant('Quiet SMM');
    for (const m of [a, b]) {
      await configureKhqrProvider(t, m);
      await configurePanel(t, m);
    }
    const first = await postTopup(t, a.id, { amount: '10', u: 'user1' });
    expect(first.status).toBe(303);
    for (const u of ['user2', 'user3']) expect((await postTopup(t, a.id, { amount: '10', u })).status).toBe(303);

    const over = await postTopup(t, a.id, { amount: '10', u: 'user4' });
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toContain('application/problem+json');
    expect(over.json).toMatchObject({ status: 429, code: 'rate_limited', limit: 3 });
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(await topupOrders(a.id)).toBe(3);

    // The order already waiting for user1 is still handed out: reuse creates nothing, so it is not capped.
    const reused = await postTopup(t, a.id, { amount: '10', u: 'user1' });
    expect(reused.status).toBe(303);
    expect(reused.headers.get('location')).toBe(first.headers.get('location'));
    // Another merchant's widget is unaffected by the busy one.
    expect((await postTopup(t, b.id, { amount: '10', u: 'user1' })).status).toBe(303);
    expect(await topupOrders(a.id)).toBe(3);
    expect(await topupOrders(b.id)).toBe(1);

    // Once the window has passed (moved back here rather than waited for), new orders are accepted again.
    await t.db.query(`UPDATE merchant_rate_windows SET window_start = now() - interval '61 seconds' WHERE merchant_id = $1 AND bucket = 'topup_create'`, [
      a.id,
    ]);
    expect((await postTopup(t, a.id, { amount: '10', u: 'user4' })).status).toBe(303);
    expect(await topupOrders(a.id)).toBe(4);
  });
});
