import { ProviderError, ProviderRegistry, RefundInput, RefundOutcome, type PaymentProvider } from '../src/providers/provider';
import { configureBakong } from './helpers/bakong';
import { gatewayKit } from './helpers/gateway-kit';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';
import { expectRefundEventsDelivered } from './helpers/refund-webhooks';
import { WebhookReceiver } from './helpers/webhook-receiver';

/**
 * Refunds end to end over HTTP on the real database: manual refunds on a gateway without a refund API
 * (bakong), limits (full, partial, over the remaining amount, non-PAID), 20 concurrent refunds that
 * together exceed the payment, idempotency, tenant isolation, and webhooks verified with standardwebhooks.
 * The gateway path runs against a test-only refund API added to raksmeypay's provider in this app's
 * registry (no gateway in this branch has one): succeeded, failed, and pending then settled by a sweep.
 */
describe('refunds', () => {
  let t: TestApp;
  let m: TestMerchant;
  let other: TestMerchant;
  let receiver: WebhookReceiver;
  const bakong = gatewayKit({ provider: 'bakong', app: () => t, merchant: () => m, referencePrefix: 'RF', orderDefaults: { amount: '12.50' } });
  const raksmeypay = gatewayKit({ provider: 'raksmeypay', app: () => t, merchant: () => m, referencePrefix: 'RFR', orderDefaults: { amount: '12.50' } });
  /** The test gateway's refund API: what refund() and checkRefund() answer, and what they were asked. */
  const gateway = {
    refund: (_: RefundInput): Promise<RefundOutcome> => Promise.resolve({ status: 'SUCCEEDED' }),
    check: (_: RefundInput & { providerRefundId: string | null }): Promise<RefundOutcome> => Promise.resolve({ status: 'PENDING' }),
    calls: [] as { kind: string; refundId: string; amountMinor: number; providerRefundId?: string | null }[],
  };

  const refund = (orderId: string, body: Record<string, unknown>, token = m.apiKey, headers: Record<string, string> = {}) =>
    t.request('POST', `/v1/orders/${orderId}/refunds`, { token, body, headers });
  const orderOf = (id: string) => bakong.getOrder(id);
  const counts = async (orderId: string) =>
    (
      await t.db.query(
        `SELECT (SELECT count(*) FROM refunds WHERE order_id = $1)::int AS refunds, (SELECT count(*) FROM events WHERE order_id = $1)::int AS events,
                (SELECT count(*) FROM audit_log WHERE details->>'order_id' = $1)::int AS audits, o.event_seq, o.refunded_minor::int, o.updated_at
           FROM orders o WHERE o.id = $1`,
        [orderId],
      )
    ).rows[0];
  const eventsOf = (orderId: string) => bakong.eventsOf(orderId);

  async function paid(kit = bakong, amount = '12.50') {
    const order = await kit.createOrder({ amount });
    await kit.sandboxPay(order.transaction.provider_reference);
    const verified = await kit.verify(order.id);
    expect(verified.json.status).toBe('PAID');
    return verified.json;
  }

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_RETRY_SCHEDULE_MS: '20,20', WEBHOOK_TIMEOUT_MS: '2000' } });
    m = await t.createMerchant('Refund Shop');
    other = await t.createMerchant('Other Shop');
    await configureBakong(t, m);
    await configureRaksmeypay(t, m);
    receiver = await WebhookReceiver.start();
    const endpoint = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/refunds') } });
    expect(endpoint.status).toBe(201);
    receiver.secrets.push(endpoint.json.secret);
    // The test-only refund API, on raksmeypay's real provider (its payments, verify and account stay real).
    const registry = t.app.get(ProviderRegistry);
    const real = registry.require('raksmeypay');
    const withRefunds: PaymentProvider = Object.assign(Object.create(real) as PaymentProvider, {
      capabilities: { ...real.capabilities, refund: true },
      refund: (input: RefundInput) => {
        gateway.calls.push({ kind: 'refund', refundId: input.refundId, amountMinor: input.amountMinor });
        return gateway.refund(input);
      },
      checkRefund: (input: RefundInput & { providerRefundId: string | null }) => {
        gateway.calls.push({ kind: 'check', refundId: input.refundId, amountMinor: input.amountMinor, providerRefundId: input.providerRefundId });
        return gateway.check(input);
      },
    });
    registry.register(withRefunds);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  describe('manual refunds (bakong: no refund API)', () => {
    it('a full refund: SUCCEEDED at once, audited, amount_refunded on the order, two events; nothing more can be refunded', async () => {
      const order = await paid();
      const res = await refund(order.id, { manual: true, reason: 'returned in cash' });
      expect(res.status).toBe(201);
      expect(res.json).toEqual({
        id: expect.stringMatching(/^re_[0-9a-z]{26}$/),
        object: 'refund',
        livemode: true,
        order_id: order.id,
        amount: '12.50',
        currency: 'USD',
        status: 'SUCCEEDED',
        method: 'manual',
        reason: 'returned in cash',
        failure_reason: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const after = await orderOf(order.id);
      expect(after).toMatchObject({ status: 'PAID', paid_amount: '12.50', amount_refunded: '12.50' });
      expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.succeeded']);
      const audit = await t.db.query(`SELECT actor, action, reason, details FROM audit_log WHERE subject_id = $1`, [res.json.id]);
      expect(audit.rows).toEqual([
        {
          actor: expect.stringMatching(/^api_key:/),
          action: 'refund.manual',
          reason: 'returned in cash',
          details: { order_id: order.id, amount: '12.50', currency: 'USD' },
        },
      ]);
      expect(audit.rows[0].actor).not.toContain(m.apiKey);

      const before = await counts(order.id);
      const again = await refund(order.id, { manual: true });
      expect(again.status).toBe(422);
      expect(again.json).toMatchObject({ code: 'amount_exceeds_refundable', amount_refundable: '0.00' });
      const one = await refund(order.id, { manual: true, amount: '0.01' });
      expect(one.status).toBe(422);
      expect(await counts(order.id)).toEqual(before);
    });

    it('two partial refunds, one over what is left (422, nothing written), then the rest by default; listed and retrieved', async () => {
      const order = await paid();
      const first = await refund(order.id, { manual: true, amount: '5.00' });
      const second = await refund(order.id, { manual: true, amount: 4 });
      expect([first.status, second.status, first.json.amount, second.json.amount]).toEqual([201, 201, '5.00', '4.00']);
      expect((await orderOf(order.id)).amount_refunded).toBe('9.00');

      const before = await counts(order.id);
      const over = await refund(order.id, { manual: true, amount: '3.51' });
      expect(over.status).toBe(422);
      expect(over.headers.get('content-type')).toContain('application/problem+json');
      expect(over.json).toMatchObject({ code: 'amount_exceeds_refundable', amount_refundable: '3.50' });
      expect(await counts(order.id)).toEqual(before);

      const rest = await refund(order.id, { manual: true });
      expect(rest.json).toMatchObject({ status: 'SUCCEEDED', amount: '3.50' });
      expect((await orderOf(order.id)).amount_refunded).toBe('12.50');

      const list = await t.request('GET', `/v1/orders/${order.id}/refunds`, { token: m.apiKey });
      expect(list.status).toBe(200);
      expect(list.json.data.map((r: { id: string }) => r.id)).toEqual([rest.json.id, second.json.id, first.json.id]);
      const page = await t.request('GET', `/v1/orders/${order.id}/refunds?limit=1&starting_after=${rest.json.id}`, { token: m.apiKey });
      expect(page.json).toEqual({ data: [second.json], has_more: true });
      const one = await t.request('GET', `/v1/refunds/${first.json.id}`, { token: m.apiKey });
      expect(one.json).toEqual(first.json);
    });

    it('without manual: 409 refund_not_supported, nothing written', async () => {
      const order = await paid();
      const before = await counts(order.id);
      const res = await refund(order.id, { amount: '1.00' });
      expect(res.status).toBe(409);
      expect(res.json.code).toBe('refund_not_supported');
      expect(await counts(order.id)).toEqual(before);
    });

    it('a non-PAID order: 409 order_not_refundable, nothing written; bad input: 400', async () => {
      const pending = await bakong.createOrder();
      const before = await counts(pending.id);
      const res = await refund(pending.id, { manual: true });
      expect(res.status).toBe(409);
      expect(res.json.code).toBe('order_not_refundable');
      const cancelled = await bakong.createOrder();
      await t.request('POST', `/v1/orders/${cancelled.id}/cancel`, { token: m.apiKey });
      expect((await refund(cancelled.id, { manual: true })).status).toBe(409);

      const order = await paid();
      for (const body of [
        { amount: '0' },
        { amount: '-1' },
        { amount: '1.234' },
        { amount: 'abc' },
        { amount: '1e3' },
        { amount: null },
        { manual: 'yes' },
        { reason: 'x'.repeat(501) },
        { colour: 'red' },
      ]) {
        const bad = await refund(order.id, { manual: true, ...body });
        expect({ body, status: bad.status }).toEqual({ body, status: 400 });
      }
      expect(await counts(pending.id)).toEqual(before);
      expect((await counts(order.id)).refunds).toBe(0);
      expect((await refund('ord_00000000000000000000000000', { manual: true })).status).toBe(404);
    });

    it('20 concurrent refunds that together exceed the payment: the refunds that did not fail never add up to more than paid_amount', async () => {
      const order = await paid(bakong, '12.50');
      const answers = await Promise.all(Array.from({ length: 20 }, () => refund(order.id, { manual: true, amount: '1.00' })));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(12);
      expect(statuses.filter((s) => s === 422)).toHaveLength(8);
      const sums = await t.db.query(
        `SELECT (SELECT sum(amount_minor)::int FROM refunds WHERE order_id = $1 AND status <> 'FAILED') AS refunds, refunded_minor::int, paid_amount_minor::int FROM orders WHERE id = $1`,
        [order.id],
      );
      expect(sums.rows[0]).toEqual({ refunds: 1200, refunded_minor: 1200, paid_amount_minor: 1250 });
      // Whole-payment refunds racing: exactly one wins.
      const order2 = await paid(bakong, '3.00');
      const all = await Promise.all(Array.from({ length: 10 }, () => refund(order2.id, { manual: true })));
      expect(all.filter((a) => a.status === 201).map((a) => a.json.amount)).toEqual(['3.00']);
      expect((await orderOf(order2.id)).amount_refunded).toBe('3.00');
      const seqs = await t.db.query(`SELECT sequence FROM events WHERE order_id = $1 ORDER BY sequence`, [order.id]);
      expect(seqs.rows.map((r) => r.sequence)).toEqual(Array.from({ length: 2 + 24 }, (_, i) => i + 1));
    });

    it('the database itself refuses more refunded than paid (CHECK), whatever the code does', async () => {
      const order = await paid();
      await expect(t.db.query(`UPDATE orders SET refunded_minor = paid_amount_minor + 1 WHERE id = $1`, [order.id])).rejects.toThrow(
        /orders_refunded_within_paid/,
      );
    });

    it('Idempotency-Key: the same request replays the first refund, another body answers 422', async () => {
      const order = await paid();
      const key = { 'idempotency-key': `rf-${order.id}` };
      const first = await refund(order.id, { manual: true, amount: '2.00' }, m.apiKey, key);
      const replay = await refund(order.id, { manual: true, amount: '2.00' }, m.apiKey, key);
      expect(first.status).toBe(201);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.json).toEqual(first.json);
      expect((await refund(order.id, { manual: true, amount: '3.00' }, m.apiKey, key)).status).toBe(422);
      expect((await counts(order.id)).refunds).toBe(1);
    });

    it("another merchant's order or refund answers 404 and changes nothing", async () => {
      const order = await paid();
      const mine = await refund(order.id, { manual: true, amount: '1.00' });
      const before = await counts(order.id);
      expect((await refund(order.id, { manual: true }, other.apiKey)).status).toBe(404);
      const list = await t.request('GET', `/v1/orders/${order.id}/refunds`, { token: other.apiKey });
      const get = await t.request('GET', `/v1/refunds/${mine.json.id}`, { token: other.apiKey });
      expect([list.status, get.status]).toEqual([404, 404]);
      expect(get.text).not.toContain(order.id);
      expect(await counts(order.id)).toEqual(before);
      expect((await t.request('GET', `/v1/refunds/${mine.json.id}`)).status).toBe(401);
    });
  });

  describe('through the gateway refund API (test-only on raksmeypay)', () => {
    beforeEach(() => {
      gateway.calls.length = 0;
    });

    it('SUCCEEDED: asked once with our refund id after the PENDING refund was committed; created + succeeded', async () => {
      const order = await paid(raksmeypay);
      gateway.refund = async (input) => {
        // The refund and its reservation are committed before the gateway is called.
        const row = await t.db.query(`SELECT status FROM refunds WHERE id = $1`, [input.refundId]);
        expect(row.rows[0]?.status).toBe('PENDING');
        return { status: 'SUCCEEDED', providerRefundId: 'gw-1' };
      };
      const res = await refund(order.id, { amount: '2.50' });
      expect(res.json).toMatchObject({ status: 'SUCCEEDED', method: 'provider_api', amount: '2.50' });
      expect(gateway.calls).toEqual([{ kind: 'refund', refundId: res.json.id, amountMinor: 250 }]);
      expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.succeeded']);
      expect((await raksmeypay.getOrder(order.id)).amount_refunded).toBe('2.50');
    });

    it('FAILED: the refund is FAILED with the reason, its amount is refundable again, refund.failed', async () => {
      const order = await paid(raksmeypay);
      gateway.refund = () => Promise.resolve({ status: 'FAILED', reason: 'insufficient merchant balance' });
      const res = await refund(order.id, {});
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ status: 'FAILED', amount: '12.50', failure_reason: 'insufficient merchant balance' });
      expect((await raksmeypay.getOrder(order.id)).amount_refunded).toBe('0.00');
      expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.failed']);
      gateway.refund = () => Promise.resolve({ status: 'SUCCEEDED' });
      expect((await refund(order.id, {})).json).toMatchObject({ status: 'SUCCEEDED', amount: '12.50' });
      const metrics = await t.request('GET', '/metrics');
      expect(metrics.text).toMatch(/khqr_refunds_total\{provider="raksmeypay",status="FAILED"\} [1-9]/);
      expect(metrics.text).toMatch(/khqr_refunds_total\{provider="bakong",status="SUCCEEDED"\} [1-9]/);
    });

    it('no usable answer: PENDING (reserved), re-checked by reconciliation with checkRefund until final, never refunded twice', async () => {
      const order = await paid(raksmeypay);
      gateway.refund = () => Promise.reject(new ProviderError('raksmeypay', 'timeout', 'the gateway did not answer in time'));
      const res = await refund(order.id, { amount: '4.00' });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ status: 'PENDING', amount: '4.00' });
      expect((await raksmeypay.getOrder(order.id)).amount_refunded).toBe('4.00');
      // Over what is left while it is pending: refused.
      expect((await refund(order.id, { amount: '8.51' })).status).toBe(422);

      gateway.check = () => Promise.resolve({ status: 'PENDING', providerRefundId: 'gw-77' });
      const run1 = await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
      expect(run1.status).toBe(201);
      expect((await t.request('GET', `/v1/refunds/${res.json.id}`, { token: m.apiKey })).json.status).toBe('PENDING');
      gateway.check = (input) => Promise.resolve(input.providerRefundId === 'gw-77' ? { status: 'SUCCEEDED' } : { status: 'FAILED', reason: 'lost id' });
      await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
      expect((await t.request('GET', `/v1/refunds/${res.json.id}`, { token: m.apiKey })).json.status).toBe('SUCCEEDED');
      expect(gateway.calls.map((c) => c.kind)).toEqual(['refund', 'check', 'check']);
      expect(gateway.calls[2].providerRefundId).toBe('gw-77');
      // Final: further sweeps leave it alone.
      await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
      expect(gateway.calls).toHaveLength(3);
      expect(await eventsOf(order.id)).toEqual(['order.created', 'order.paid', 'refund.created', 'refund.succeeded']);
    });
  });

  it('every refund event reached the webhook endpoint, signed (verified with standardwebhooks), with {refund, order}', async () => {
    await expectRefundEventsDelivered(t, m, receiver, { refund: { object: 'refund' }, order: { object: 'order', status: 'PAID' } });
  });
});
