import { Webhook } from 'standardwebhooks';
import { WebhookDispatcher } from '../src/events/webhook-dispatcher.service';
import { OrderTransitions } from '../src/orders/order-transitions.service';
import { OrderCommand } from '../src/orders/state-machine';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';
import { sleep, WebhookReceiver } from './helpers/webhook-receiver';

/** Retries every ~20 ms (4 retries, so 5 attempts) and a 1 s deadline, so a whole schedule runs in a test. */
const SCHEDULE = '20,20,20,20';

describe('webhooks: endpoints, signed deliveries, retries, replay', () => {
  let t: TestApp;
  let dispatcher: WebhookDispatcher;
  let transitions: OrderTransitions;
  let receiver: WebhookReceiver;
  let refSeq = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_RETRY_SCHEDULE_MS: SCHEDULE, WEBHOOK_TIMEOUT_MS: '1000' } });
    dispatcher = t.app.get(WebhookDispatcher);
    transitions = t.app.get(OrderTransitions);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.reply = () => ({ status: 200 });
  });

  async function merchant(): Promise<TestMerchant> {
    const m = await t.createMerchant();
    await configureRaksmeypay(t, m);
    return m;
  }

  async function endpoint(m: TestMerchant, path: string, events?: string[]): Promise<{ id: string; secret: string }> {
    const res = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url(path), ...(events ? { events } : {}) } });
    expect(res.status).toBe(201);
    receiver.secrets.push(res.json.secret);
    return res.json;
  }

  async function order(m: TestMerchant, amount = '10.00'): Promise<{ id: string }> {
    const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount, reference: `wh-${Date.now()}-${refSeq++}` } });
    expect(res.status).toBe(201);
    return res.json;
  }

  const pay = (amountMinor = 1000): OrderCommand => ({
    kind: 'pay',
    verification: 'provider_api',
    paidAmountMinor: amountMinor,
    paidCurrency: 'USD',
    paidAt: new Date(),
  });

  /** Runs the dispatcher by hand until `done` or the bound is hit, letting short retry delays pass. */
  async function pump(done: () => boolean | Promise<boolean>, maxRounds = 60): Promise<void> {
    for (let i = 0; i < maxRounds && !(await done()); i++) {
      await dispatcher.runOnce();
      await sleep(30);
    }
  }

  async function deliveries(where: string, params: unknown[]) {
    return (await t.db.query(`SELECT * FROM webhook_deliveries WHERE ${where} ORDER BY created_at`, params)).rows;
  }

  const onPath = (path: string) => receiver.received.filter((d) => d.path === path);

  describe('endpoints API', () => {
    it('creates an endpoint and shows the whsec_ secret exactly once', async () => {
      const m = await merchant();
      const created = await t.request('POST', '/v1/webhook-endpoints', {
        token: m.apiKey,
        body: { url: receiver.url('/api'), events: ['order.paid', 'order.created'] },
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ object: 'webhook_endpoint', url: receiver.url('/api'), events: ['order.created', 'order.paid'], status: 'enabled' });
      expect(created.json.id).toMatch(/^we_/);
      expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
      const one = await t.request('GET', `/v1/webhook-endpoints/${created.json.id}`, { token: m.apiKey });
      expect(one.status).toBe(200);
      expect(one.json.secret).toBeUndefined();
      expect(one.text).not.toContain(created.json.secret.slice(6));
      const all = await t.request('GET', '/v1/webhook-endpoints', { token: m.apiKey });
      expect(all.json).toMatchObject({ has_more: false });
      expect(all.json.data.map((e: { id: string }) => e.id)).toEqual([created.json.id]);
      expect(all.text).not.toContain(created.json.secret.slice(6));
      // At rest the secret is sealed, not stored in clear.
      const row = (await t.db.query('SELECT secret_sealed FROM webhook_endpoints WHERE id = $1', [created.json.id])).rows[0];
      expect(row.secret_sealed).toMatch(/^v1\./);
      expect(row.secret_sealed).not.toContain(created.json.secret.slice(6));
    });

    it('defaults to every event type, paginates, and scopes by merchant', async () => {
      const m = await merchant();
      const other = await merchant();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await endpoint(m, `/page${i}`)).id);
      const first = await t.request('GET', '/v1/webhook-endpoints?limit=2', { token: m.apiKey });
      expect(first.json.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
      expect(first.json.has_more).toBe(true);
      expect(first.json.data[0].events).toEqual(['*']);
      const second = await t.request('GET', `/v1/webhook-endpoints?limit=2&starting_after=${ids[1]}`, { token: m.apiKey });
      expect(second.json).toEqual({ data: [expect.objectContaining({ id: ids[0] })], has_more: false });
      expect((await t.request('GET', `/v1/webhook-endpoints/${ids[0]}`, { token: other.apiKey })).status).toBe(404);
      expect((await t.request('DELETE', `/v1/webhook-endpoints/${ids[0]}`, { token: other.apiKey })).status).toBe(404);
      expect((await t.request('POST', `/v1/webhook-endpoints/${ids[0]}/rotate-secret`, { token: other.apiKey, body: {} })).status).toBe(404);
      expect((await t.request('GET', '/v1/webhook-endpoints', { token: other.apiKey })).json.data).toEqual([]);
      expect((await t.request('GET', '/v1/webhook-endpoints')).status).toBe(401);
    });

    it.each([
      [{ url: 'not a url' }, 'validation_failed'],
      [{ url: '/relative/path' }, 'validation_failed'],
      [{ url: 'ftp://example.com/hook' }, 'validation_failed'],
      [{ url: 'https://user:pw@example.com/hook' }, 'validation_failed'],
      [{ url: 'https://example.com/hook', events: ['order.refunded'] }, 'validation_failed'],
      [{ url: 'https://example.com/hook', events: [] }, 'validation_failed'],
      [{ url: 'https://example.com/hook', events: 'order.paid' }, 'validation_failed'],
      [{ url: 'https://example.com/hook', extra: 1 }, 'validation_failed'],
      [{ url: 'http://10.0.0.1/hook' }, 'url_not_allowed'],
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 'url_not_allowed'],
      [{ url: 'http://[fd00::1]/hook' }, 'url_not_allowed'],
    ])('refuses %j with a problem and creates nothing', async (body, code) => {
      const m = await merchant();
      const res = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.code).toBe(code);
      expect((await t.db.query('SELECT count(*)::int AS n FROM webhook_endpoints WHERE merchant_id = $1', [m.id])).rows[0].n).toBe(0);
    });

    it('deletes an endpoint: 404 afterwards, waiting deliveries dead-lettered, no new fan-out', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/deleted');
      await order(m);
      const del = await t.request('DELETE', `/v1/webhook-endpoints/${ep.id}`, { token: m.apiKey });
      expect(del.status).toBe(200);
      expect(del.json).toEqual({ id: ep.id, object: 'webhook_endpoint', deleted: true });
      expect((await t.request('GET', `/v1/webhook-endpoints/${ep.id}`, { token: m.apiKey })).status).toBe(404);
      expect((await t.request('DELETE', `/v1/webhook-endpoints/${ep.id}`, { token: m.apiKey })).status).toBe(404);
      expect((await deliveries('endpoint_id = $1', [ep.id])).map((d) => [d.status, d.last_error])).toEqual([['dead', 'endpoint deleted']]);
      await order(m);
      expect(await deliveries('endpoint_id = $1', [ep.id])).toHaveLength(1);
      await dispatcher.drain();
      expect(onPath('/deleted')).toHaveLength(0);
    });
  });

  describe('delivery', () => {
    it('every transition produces exactly one event and one signed delivery, identical to GET /v1/events/{id}', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/all');
      const [a, b, c, d, e] = [await order(m), await order(m), await order(m), await order(m), await order(m)];
      expect((await t.request('POST', `/v1/orders/${a.id}/cancel`, { token: m.apiKey })).status).toBe(200);
      await transitions.apply(b.id, pay(), { actor: 'test' });
      await transitions.apply(c.id, { kind: 'expire' }, { actor: 'test' });
      await transitions.apply(d.id, { kind: 'fail', reason: 'declined' }, { actor: 'test' });
      await transitions.apply(e.id, pay(999), { actor: 'test' }); // wrong amount: flagged, not paid
      // No-ops write nothing: cancelling again, paying again, expiring a paid order.
      await transitions.apply(a.id, { kind: 'cancel' }, { actor: 'test' });
      await transitions.apply(b.id, pay(), { actor: 'test' });
      await transitions.apply(b.id, { kind: 'expire' }, { actor: 'test' });

      const events = (await t.request('GET', '/v1/events?limit=100', { token: m.apiKey })).json.data as {
        id: string;
        type: string;
        data: { order: { id: string } };
        sequence: number;
      }[];
      const summary = events.map((ev) => `${ev.data.order.id}:${ev.type}:${ev.sequence}`).sort();
      expect(summary).toEqual(
        [
          ...[a, b, c, d, e].map((o) => `${o.id}:order.created:1`),
          `${a.id}:order.cancelled:2`,
          `${b.id}:order.paid:2`,
          `${c.id}:order.expired:2`,
          `${d.id}:order.failed:2`,
          `${e.id}:order.flagged:2`,
        ].sort(),
      );
      expect(await deliveries('endpoint_id = $1', [ep.id])).toHaveLength(10);

      await pump(() => onPath('/all').length >= 10);
      await dispatcher.drain();
      const got = onPath('/all');
      expect(got).toHaveLength(10);
      expect(got.every((r) => r.verifiedWith === ep.secret)).toBe(true);
      expect(new Set(got.map((r) => r.webhookId))).toEqual(new Set(events.map((ev) => ev.id)));
      for (const r of got) {
        expect(r.body.id).toBe(r.webhookId);
        const api = await t.request('GET', `/v1/events/${r.webhookId}`, { token: m.apiKey });
        expect(r.body).toEqual(api.json);
        expect(Object.keys(r.body).sort()).toEqual(['created_at', 'data', 'id', 'livemode', 'object', 'sequence', 'type']);
        expect(r.body.data.order.id).toMatch(/^ord_/);
      }
      expect((await deliveries('endpoint_id = $1', [ep.id])).every((row) => row.status === 'delivered' && row.attempts === 1)).toBe(true);
    });

    it('sends only the subscribed event types', async () => {
      const m = await merchant();
      await endpoint(m, '/paid-only', ['order.paid']);
      const o = await order(m);
      await transitions.apply(o.id, pay(), { actor: 'test' });
      await dispatcher.drain();
      expect(onPath('/paid-only').map((r) => r.body.type)).toEqual(['order.paid']);
    });

    it('20 racing payment notifications produce one order.paid event and one delivery', async () => {
      const m = await merchant();
      await endpoint(m, '/race');
      const o = await order(m);
      const results = await Promise.all(Array.from({ length: 20 }, () => transitions.apply(o.id, pay(), { actor: 'provider:raksmeypay' })));
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      const rows = (await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [o.id])).rows;
      expect(rows.map((r) => r.type)).toEqual(['order.created', 'order.paid']);
      await dispatcher.drain();
      expect(
        onPath('/race')
          .map((r) => r.body.type)
          .sort(),
      ).toEqual(['order.created', 'order.paid']);
    });

    it('10 racing verify calls over HTTP after a sandbox payment produce one order.paid delivery', async () => {
      const m = await merchant();
      await endpoint(m, '/race-http');
      const res = await t.request('POST', '/v1/orders', {
        token: m.apiKey,
        body: { provider: 'raksmeypay', amount: '10.00', reference: `wh-http-${refSeq++}` },
      });
      expect(
        (await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: res.json.transaction.provider_reference } }))
          .status,
      ).toBe(200);
      const verified = await Promise.all(Array.from({ length: 10 }, () => t.request('POST', `/v1/orders/${res.json.id}/verify`, { token: m.apiKey })));
      expect(verified.map((v) => v.json.status)).toEqual(Array(10).fill('PAID'));
      await dispatcher.drain();
      const got = onPath('/race-http');
      expect(got.map((r) => r.body.type).sort()).toEqual(['order.created', 'order.paid']);
      expect(got.every((r) => r.verifiedWith)).toBe(true);
    });

    it('a receiver failing its first 3 attempts gets the event later, with the same webhook-id; every attempt is logged', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/flaky');
      receiver.reply = ({ count }) => (count <= 3 ? { status: 500, body: `boom ${count} ${'x'.repeat(2000)}` } : { status: 200 });
      const o = await order(m);
      await pump(() => onPath('/flaky').some((r) => r.answered === 200));
      const got = onPath('/flaky');
      expect(got.map((r) => r.answered)).toEqual([500, 500, 500, 200]);
      expect(new Set(got.map((r) => r.webhookId)).size).toBe(1);
      expect(got.every((r) => r.verifiedWith === ep.secret && r.body.data.order.id === o.id)).toBe(true);
      const [row] = await deliveries('endpoint_id = $1', [ep.id]);
      expect(row).toMatchObject({ status: 'delivered', attempts: 4, last_status: 200 });
      const admin = await t.request('GET', `/admin/webhook-deliveries/${row.id}`, { token: TEST_ADMIN_TOKEN });
      expect(admin.status).toBe(200);
      expect(admin.json.attempt_log.map((a: { attempt: number; status: number }) => [a.attempt, a.status])).toEqual([
        [1, 500],
        [2, 500],
        [3, 500],
        [4, 200],
      ]);
      expect(admin.json.attempt_log[0].response_snippet).toMatch(/^boom 1 x+$/);
      expect(admin.json.attempt_log[0].response_snippet.length).toBeLessThanOrEqual(512);
      expect(admin.json.attempt_log.every((a: { latency_ms: number }) => a.latency_ms >= 0)).toBe(true);
    });

    it('honours Retry-After (it only ever lengthens the wait)', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/busy');
      receiver.reply = () => ({ status: 503, headers: { 'retry-after': '30' } });
      await order(m);
      const before = Date.now();
      await dispatcher.runOnce();
      const [row] = await deliveries('endpoint_id = $1', [ep.id]);
      expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status: 503 });
      expect(new Date(row.next_attempt_at).getTime() - before).toBeGreaterThan(28_000);
      // Not due: another pass sends nothing.
      await dispatcher.runOnce();
      expect(onPath('/busy')).toHaveLength(1);
      await t.request('DELETE', `/v1/webhook-endpoints/${ep.id}`, { token: m.apiKey });
    });

    it('a redirect is a failure and is not followed (not even to loopback)', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/redirect');
      receiver.reply = ({ path }) => (path === '/redirect' ? { status: 307, headers: { location: receiver.url('/landed') } } : { status: 200 });
      await order(m);
      await dispatcher.runOnce();
      expect(onPath('/landed')).toHaveLength(0);
      const [row] = await deliveries('endpoint_id = $1', [ep.id]);
      expect(row).toMatchObject({ status: 'failed', last_status: 307 });
      expect(row.last_error).toMatch(/redirects are not followed/);
      await t.request('DELETE', `/v1/webhook-endpoints/${ep.id}`, { token: m.apiKey });
    });

    it('a receiver that does not answer in time is a timed-out attempt, retried', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/slow');
      receiver.reply = ({ count }) => (count === 1 ? { status: 200, delayMs: 1500 } : { status: 200 });
      await order(m);
      await dispatcher.runOnce();
      const [row] = await deliveries('endpoint_id = $1', [ep.id]);
      expect(row.status).toBe('failed');
      expect(row.last_error).toMatch(/^timeout/);
      expect(row.last_status).toBeNull();
      await pump(async () => (await deliveries('endpoint_id = $1', [ep.id]))[0].status === 'delivered');
      expect((await deliveries('endpoint_id = $1', [ep.id]))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    });

    it('410 Gone disables the endpoint and dead-letters what was waiting', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/gone');
      receiver.reply = () => ({ status: 410 });
      await order(m);
      await order(m);
      await dispatcher.runOnce(1);
      const view = await t.request('GET', `/v1/webhook-endpoints/${ep.id}`, { token: m.apiKey });
      expect(view.json).toMatchObject({ status: 'disabled', disabled_reason: expect.stringContaining('410') });
      const rows = await deliveries('endpoint_id = $1', [ep.id]);
      expect(rows.map((r) => r.status)).toEqual(['dead', 'dead']);
      await order(m);
      expect(await deliveries('endpoint_id = $1', [ep.id])).toHaveLength(2);
      await dispatcher.drain();
      expect(onPath('/gone')).toHaveLength(1);
      const retry = await t.request('POST', `/admin/webhook-deliveries/${rows[1].id}/retry`, { token: TEST_ADMIN_TOKEN });
      expect(retry.status).toBe(409);
      expect(retry.json.code).toBe('endpoint_disabled');
    });

    it('a dead-lettered delivery can be replayed by an admin, with the same webhook-id', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/dead');
      receiver.reply = () => ({ status: 500 });
      const o = await order(m);
      await pump(async () => (await deliveries('endpoint_id = $1', [ep.id]))[0].status === 'dead');
      const [row] = await deliveries('endpoint_id = $1', [ep.id]);
      expect(row).toMatchObject({ status: 'dead', attempts: SCHEDULE.split(',').length + 1 });
      expect(onPath('/dead')).toHaveLength(SCHEDULE.split(',').length + 1);

      const listed = await t.request('GET', `/admin/webhook-deliveries?status=dead&merchant_id=${m.id}`, { token: TEST_ADMIN_TOKEN });
      expect(listed.status).toBe(200);
      expect(listed.json.data).toEqual([
        expect.objectContaining({ id: row.id, status: 'dead', event_type: 'order.created', last_status: 500, next_attempt_at: null }),
      ]);
      expect((await t.request('GET', '/admin/webhook-deliveries?status=dead')).status).toBe(401);
      expect((await t.request('GET', '/admin/webhook-deliveries?status=lost', { token: TEST_ADMIN_TOKEN })).status).toBe(400);
      expect((await t.request('POST', '/admin/webhook-deliveries/whd_01jd0000000000000000000000/retry', { token: TEST_ADMIN_TOKEN })).status).toBe(404);

      receiver.reply = () => ({ status: 200 });
      const retry = await t.request('POST', `/admin/webhook-deliveries/${row.id}/retry`, { token: TEST_ADMIN_TOKEN });
      expect(retry.status).toBe(202);
      expect(retry.json).toMatchObject({ id: row.id, status: 'pending' });
      await dispatcher.drain();
      const got = onPath('/dead');
      expect(got.at(-1)).toMatchObject({ answered: 200, webhookId: got[0].webhookId });
      expect(got.at(-1)?.body.data.order.id).toBe(o.id);
      expect((await deliveries('id = $1', [row.id]))[0]).toMatchObject({ status: 'delivered' });
    });

    it('lists failed deliveries for operators, paginated', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/failing');
      receiver.reply = () => ({ status: 502 });
      for (let i = 0; i < 3; i++) await order(m);
      await dispatcher.runOnce();
      const page1 = await t.request('GET', `/admin/webhook-deliveries?status=failed&endpoint_id=${ep.id}&limit=2`, { token: TEST_ADMIN_TOKEN });
      expect(page1.json.data).toHaveLength(2);
      expect(page1.json.has_more).toBe(true);
      const page2 = await t.request('GET', `/admin/webhook-deliveries?status=failed&endpoint_id=${ep.id}&limit=2&starting_after=${page1.json.data[1].id}`, {
        token: TEST_ADMIN_TOKEN,
      });
      expect(page2.json.data).toHaveLength(1);
      expect(page2.json.has_more).toBe(false);
      expect(
        [...page1.json.data, ...page2.json.data].every(
          (d: { status: string; last_status: number; url: string }) => d.status === 'failed' && d.last_status === 502 && d.url === receiver.url('/failing'),
        ),
      ).toBe(true);
      await t.request('DELETE', `/v1/webhook-endpoints/${ep.id}`, { token: m.apiKey });
    });

    it('rotation: during the grace period both signatures are sent; afterwards only the new one', async () => {
      const m = await merchant();
      const ep = await endpoint(m, '/rotate');
      const rotated = await t.request('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { token: m.apiKey, body: { grace_period_seconds: 3600 } });
      expect(rotated.status).toBe(200);
      expect(rotated.json.secret).toMatch(/^whsec_/);
      expect(rotated.json.secret).not.toBe(ep.secret);
      expect(new Date(rotated.json.previous_secret_expires_at).getTime()).toBeGreaterThan(Date.now() + 3500_000);
      await order(m);
      await dispatcher.drain();
      const during = onPath('/rotate').at(-1)!;
      expect(during.signature.split(' ')).toHaveLength(2);
      const headers = { 'webhook-id': during.webhookId, 'webhook-timestamp': during.timestamp, 'webhook-signature': during.signature };
      expect(new Webhook(ep.secret).verify(during.rawBody, headers)).toEqual(during.body);
      expect(new Webhook(rotated.json.secret).verify(during.rawBody, headers)).toEqual(during.body);

      const again = await t.request('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { token: m.apiKey, body: { grace_period_seconds: 0 } });
      expect(again.json.previous_secret_expires_at).toBeNull();
      receiver.secrets.push(rotated.json.secret, again.json.secret);
      await order(m);
      await dispatcher.drain();
      const after = onPath('/rotate').at(-1)!;
      expect(after.signature.split(' ')).toHaveLength(1);
      const h2 = { 'webhook-id': after.webhookId, 'webhook-timestamp': after.timestamp, 'webhook-signature': after.signature };
      expect(new Webhook(again.json.secret).verify(after.rawBody, h2)).toEqual(after.body);
      expect(() => new Webhook(rotated.json.secret).verify(after.rawBody, h2)).toThrow();
      expect(() => new Webhook(ep.secret).verify(after.rawBody, h2)).toThrow();
      const bad = await t.request('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { token: m.apiKey, body: { grace_period_seconds: -1 } });
      expect(bad.status).toBe(400);
    });
  });
});
