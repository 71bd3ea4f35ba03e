import { WebhookDispatcher } from '../src/events/webhook-dispatcher.service';
import { OutboxWriter, StagedEvent } from '../src/events/outbox.writer';
import { WebhookEndpointsService } from '../src/events/webhook-endpoints.service';
import { asJsonb, createdEntities } from '../src/orders/created-order';
import { OrderCreationRepository } from '../src/orders/order-creation.repository';
import { presentOrder } from '../src/orders/order.presenter';
import { NewOrder, OrdersRepository } from '../src/orders/orders.repository';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';
import { waitFor, WebhookReceiver } from './helpers/webhook-receiver';

/**
 * Issue 19: the common order (no payment link, no Telegram channel on order.created) is written by ONE autocommit
 * statement (OrderCreationRepository). These specs hold it to the transactional path's rows, response, event,
 * webhook body, metrics and errors.
 */
describe('order creation in one statement', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let seq = 0;
  const ref = (p = 'ONE') => `${p}-${Date.now()}-${++seq}`;
  const mixed = { b: 1, aa: 2, a: 3, é: 4, z: { yy: [{ d: 1, c: 2 }], x: null }, '10': 'ten', '2': 'two' };

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_RETRY_SCHEDULE_MS: '20,20,20,20', WEBHOOK_TIMEOUT_MS: '1000' } });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  async function merchant(endpoints = 0): Promise<TestMerchant> {
    const m = await t.createMerchant();
    await configureRaksmeypay(t, m);
    for (let i = 0; i < endpoints; i++) {
      const res = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url(`/${m.id}/${i}`) } });
      expect(res.status).toBe(201);
      receiver.secrets.push(res.json.secret);
    }
    return m;
  }

  const metric = async () => {
    const text = (await t.request('GET', '/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith('khqr_orders_created_total{provider="raksmeypay",currency="USD"}'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  const dump = async (orderId: string) => ({
    orders: (await t.db.query(`SELECT * FROM orders WHERE id = $1`, [orderId])).rows,
    transactions: (await t.db.query(`SELECT * FROM transactions WHERE order_id = $1`, [orderId])).rows,
    events: (await t.db.query(`SELECT * FROM events WHERE order_id = $1`, [orderId])).rows,
    deliveries: (
      await t.db.query(`SELECT d.* FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.order_id = $1 ORDER BY d.endpoint_id`, [orderId])
    ).rows,
  });

  it('writes exactly the rows of the transactional path (orders, transactions, events, webhook deliveries)', async () => {
    const m = await merchant(2);
    await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/paid-only'), events: ['order.paid'] } });
    const orders = t.app.get(OrdersRepository);
    const creation = t.app.get(OrderCreationRepository);
    const endpoints = t.app.get(WebhookEndpointsService);
    const outbox = t.app.get(OutboxWriter);
    const now = new Date();
    const fixture: NewOrder = {
      orderId: `ord_fixture${seq++}`,
      scope: { merchantId: m.id, livemode: true },
      reference: ref('ROWS'),
      amountMinor: 1250,
      currency: 'USD',
      provider: 'raksmeypay',
      description: 'two coffees',
      customer: { name: 'Dara', email: 'dara@example.com' },
      metadata: mixed,
      successUrl: 'https://shop.example/ok',
      cancelUrl: null,
      checkoutUrl: 'https://gateway.example/pay/1',
      qrPayload: null,
      qrMd5: null,
      qrImageToken: null,
      deeplink: null,
      expiresAt: new Date(now.getTime() + 1_800_000),
      createdAt: now,
      paymentLinkId: null,
      transaction: {
        id: `txn_fixture${seq++}`,
        number: String(900_000 + seq),
        providerReference: `fixture-${seq}`,
        wireAmount: '12.50',
        returnTokenHash: 'a'.repeat(64),
        cancelTokenHash: null,
        nextCheckAt: new Date(now.getTime() + 15_000),
      },
    };
    const expected = createdEntities(fixture);
    const event: StagedEvent = outbox.stage({
      merchantId: m.id,
      livemode: true,
      orderId: fixture.orderId,
      type: 'order.created',
      sequence: 1,
      data: { order: presentOrder(expected.order, expected.txn, t.config.publicBaseUrl) },
    });

    const one = await creation.insertCreated(fixture, event);
    expect(one).not.toBeNull();
    expect(one!.deliveries).toBe(2);
    // The entities built before the statement are the ones it returns (the event's view is the response's).
    expect(expected.order).toEqual(one!.order);
    expect(expected.txn).toEqual(one!.txn);
    const byStatement = await dump(fixture.orderId);
    await t.db.query(`DELETE FROM webhook_deliveries WHERE event_id = $1`, [event.id]);
    await t.db.query(`DELETE FROM events WHERE id = $1`, [event.id]);
    await t.db.query(`DELETE FROM transactions WHERE order_id = $1`, [fixture.orderId]);
    await t.db.query(`DELETE FROM orders WHERE id = $1`, [fixture.orderId]);

    await orders.inTransaction(async (manager) => {
      await orders.insertWithTransaction(manager, fixture);
      await endpoints.insertEventWithFanOut(manager, event);
    });
    const byTransaction = await dump(fixture.orderId);
    // Delivery ids are drawn per call, and the deliveries' times are the statement's now(): everything else is equal.
    const strip = (rows: Record<string, unknown>[]) =>
      rows.map((r) => {
        expect(r.id).toMatch(/^whd_/);
        expect(r.next_attempt_at).toBeInstanceOf(Date);
        return { ...r, id: 'whd', next_attempt_at: null, created_at: null, updated_at: null };
      });
    expect(byStatement.orders).toHaveLength(1);
    expect(byStatement.transactions).toHaveLength(1);
    expect(byStatement.events).toHaveLength(1);
    expect(byStatement.deliveries).toHaveLength(2);
    expect({ ...byStatement, deliveries: strip(byStatement.deliveries) }).toEqual({ ...byTransaction, deliveries: strip(byTransaction.deliveries) });
  });

  it('answers what GET returns, and the event and the signed webhook body carry that view (jsonb key order)', async () => {
    const m = await merchant(1);
    const seen: unknown[] = [];
    t.app.get(OutboxWriter).onAppend(async (_manager, event) => {
      if (event.merchantId === m.id) seen.push(event.data.order);
    });
    const body = { provider: 'raksmeypay', amount: '7.25', reference: ref('VIEW'), customer: { name: 'Sok', email: 's@example.com' }, metadata: mixed };
    const created = await t.request('POST', '/v1/orders', { token: m.apiKey, body });
    expect(created.status).toBe(201);
    const got = await t.request('GET', `/v1/orders/${created.json.id}`, { token: m.apiKey });
    expect(created.text).toBe(got.text);
    expect(got.text).toContain('"metadata":{"2":"two","10":"ten","a":3,"b":1,"z":{"x":null,"yy":[{"c":2,"d":1}]},"aa":2,"é":4}');
    expect(got.text).toContain('"customer":{"name":"Sok","email":"s@example.com"}');
    // The view the listeners were handed (built before the statement) is, key for key, the later GET.
    expect(seen).toHaveLength(1);
    expect(JSON.stringify(seen[0])).toBe(got.text);
    await t.app.get(WebhookDispatcher).drain();
    const delivery = (await waitFor(() => receiver.accepted().find((d) => d.body?.data?.order?.id === created.json.id)))!;
    expect(delivery.verifiedWith).not.toBeNull();
    expect(delivery.body.type).toBe('order.created');
    // The body is the event row's jsonb (its top-level keys in jsonb order, as on the transactional path): the same
    // view, and customer and metadata key for key.
    expect(delivery.body.data.order).toEqual(got.json);
    expect(JSON.stringify(delivery.body.data.order.metadata)).toBe(JSON.stringify(got.json.metadata));
    expect(JSON.stringify(delivery.body.data.order.customer)).toBe(JSON.stringify(got.json.customer));
  });

  it('normalises like jsonb: keys by UTF-8 length then bytes, nested, arrays in order, undefined dropped', async () => {
    const value = { b: 1, aa: 2, a: 3, é: { ab: [3, { zz: 1, y: undefined, x: 2 }], b: 'x' }, ü: 1, bb: -0, '10': 1, '9': true };
    const { rows } = await t.db.query(`SELECT $1::jsonb::text AS text`, [JSON.stringify(value)]);
    expect(JSON.stringify(asJsonb(value))).toBe(JSON.stringify(JSON.parse(rows[0].text)));
    expect(Object.keys(asJsonb({ b: 1, aa: 2, a: 3 }))).toEqual(['a', 'b', 'aa']);
    expect(asJsonb(null)).toBeNull();
  });

  it('counts the order in the metrics once, after the statement; a Telegram merchant keeps the transactional path and its message', async () => {
    const m = await merchant();
    const before = await metric();
    const a = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '5.00', reference: ref() } });
    expect(a.status).toBe(201);
    expect(await metric()).toBe(before + 1);

    const put = await t.request('PUT', '/v1/notification-channels/telegram', {
      token: m.apiKey,
      body: { bot_token: '123456:TELEGRAM-one-statement-token', chat_id: '-100555', events: ['order.created'], language: 'en' },
    });
    expect(put.status).toBe(200);
    const b = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '6.00', reference: ref('TG') } });
    expect(b.status).toBe(201);
    expect(await metric()).toBe(before + 2);
    const messages = await t.db.query(
      `SELECT n.text FROM notification_deliveries n JOIN events e ON e.id = n.event_id WHERE e.order_id = $1 AND e.type = 'order.created'`,
      [b.json.id],
    );
    expect(messages.rows).toHaveLength(1);
    expect(messages.rows[0].text).toContain(b.json.reference);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM events WHERE order_id = $1`, [b.json.id])).rows[0].n).toBe(1);
    // The order made before the channel existed went the one-statement way: no message.
    const none = await t.db.query(`SELECT count(*)::int AS n FROM notification_deliveries n JOIN events e ON e.id = n.event_id WHERE e.order_id = $1`, [
      a.json.id,
    ]);
    expect(none.rows[0].n).toBe(0);
  });

  it('a failure in the fan-out part leaves nothing behind: no order, transaction, event or delivery, and no metric', async () => {
    const m = await merchant(1);
    const reference = ref('FAIL');
    const before = await metric();
    await t.db.query(`CREATE OR REPLACE FUNCTION one_statement_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.merchant_id = '${m.id}' THEN RAISE EXCEPTION 'forced fan-out failure'; END IF; RETURN NEW; END $$`);
    await t.db.query(`CREATE TRIGGER one_statement_fail BEFORE INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION one_statement_fail()`);
    try {
      const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '3.00', reference } });
      expect(res.status).toBe(500);
      expect(res.text).not.toContain('forced fan-out failure');
    } finally {
      await t.db.query(`DROP TRIGGER one_statement_fail ON webhook_deliveries`);
      await t.db.query(`DROP FUNCTION one_statement_fail()`);
    }
    expect(await metric()).toBe(before);
    const count = async (sql: string) => (await t.db.query(sql, [m.id])).rows[0].n;
    expect(await count(`SELECT count(*)::int AS n FROM orders WHERE merchant_id = $1`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM transactions WHERE merchant_id = $1`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE merchant_id = $1`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE merchant_id = $1`)).toBe(0);
    // The same reference is free afterwards: the failed statement wrote nothing.
    expect((await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '3.00', reference } })).status).toBe(201);
  });

  it('a duplicate reference inside the statement is the unique violation, and the API answers the same 409 as the probe', async () => {
    const m = await merchant();
    const reference = ref('DUP');
    const first = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '1.00', reference } });
    expect(first.status).toBe(201);
    const probe = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '1.00', reference } });
    expect(probe.status).toBe(409);

    // Past the probe (as in a race): the statement itself refuses, and writes nothing.
    const fixture: NewOrder = {
      orderId: `ord_dup${seq++}`,
      scope: { merchantId: m.id, livemode: true },
      reference,
      amountMinor: 100,
      currency: 'USD',
      provider: 'raksmeypay',
      description: null,
      customer: null,
      metadata: null,
      successUrl: null,
      cancelUrl: null,
      checkoutUrl: 'https://gateway.example/pay/2',
      qrPayload: null,
      qrMd5: null,
      qrImageToken: null,
      deeplink: null,
      expiresAt: new Date(Date.now() + 60_000),
      createdAt: new Date(),
      transaction: {
        id: `txn_dup${seq++}`,
        number: String(800_000 + seq),
        providerReference: `dup-${seq}`,
        wireAmount: '1.00',
        returnTokenHash: null,
        cancelTokenHash: null,
        nextCheckAt: new Date(),
      },
    };
    const event = t.app.get(OutboxWriter).stage({ merchantId: m.id, livemode: true, orderId: fixture.orderId, type: 'order.created', sequence: 1, data: {} });
    await expect(t.app.get(OrderCreationRepository).insertCreated(fixture, event)).rejects.toMatchObject({
      code: '23505',
      constraint: 'orders_merchant_mode_reference_key',
    });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM events WHERE id = $1`, [event.id])).rows[0].n).toBe(0);

    // Racing requests: one order; every other answer is the probe's 409 problem, whichever check caught it.
    const raced = ref('RACE');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '1.00', reference: raced } })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect({ type: r.json.type, title: r.json.title, detail: r.json.detail }).toEqual({
        type: probe.json.type,
        title: probe.json.title,
        detail: probe.json.detail.replace(reference, raced),
      });
    }
    expect((await t.db.query(`SELECT count(*)::int AS n FROM orders WHERE merchant_id = $1 AND reference = $2`, [m.id, raced])).rows[0].n).toBe(1);
  });
});
