import { OrderTransitions, TransitionRequest } from '../src/orders/order-transitions.service';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

/**
 * OrderTransitions.applyMany on the real database (the sweeper applies a Bakong batch call's payments with it):
 * one database transaction for all, each order its own compare-and-set and event; a failure of one order's
 * transition loses none of the others.
 */
describe('OrderTransitions.applyMany (real PostgreSQL)', () => {
  let t: TestApp;
  let transitions: OrderTransitions;
  let m: TestMerchant;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp();
    transitions = t.app.get(OrderTransitions);
    m = await t.createMerchant();
    await configureRaksmeypay(t, m);
  });
  afterAll(() => t.close());

  async function order(): Promise<{ orderId: string; transactionId: string }> {
    const res = await t.request('POST', '/v1/orders', {
      token: m.apiKey,
      body: { provider: 'raksmeypay', amount: '10.00', reference: `batch-${Date.now()}-${seq++}` },
    });
    expect(res.status).toBe(201);
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM transactions WHERE order_id = $1', [res.json.id]);
    return { orderId: String(res.json.id), transactionId: rows[0].id };
  }

  const pay = (o: { orderId: string; transactionId: string }, proof: string): TransitionRequest => ({
    orderId: o.orderId,
    command: { kind: 'pay', verification: 'provider_api', paidAmountMinor: 1000, paidCurrency: 'USD', paidAt: new Date() },
    ctx: { transactionId: o.transactionId, actor: 'sweeper', proof, reason: 'the gateway reported the payment' },
  });

  async function state(orderId: string): Promise<{ status: string; txn: string; proof: string | null; events: number; updated: string }> {
    const { rows } = await t.db.query(
      `SELECT o.status, t.status AS txn, t.provider_proof AS proof, o.updated_at::text AS updated,
              (SELECT count(*)::int FROM events e WHERE e.order_id = o.id AND e.type = 'order.paid') AS events
         FROM orders o JOIN transactions t ON t.order_id = o.id WHERE o.id = $1`,
      [orderId],
    );
    return rows[0];
  }

  it('applies several orders in ONE database transaction, each with its own compare-and-set, transaction and event', async () => {
    const a = await order();
    const b = await order();
    const results = await transitions.applyMany([pay(a, `batch-proof-a-${seq}`), pay(b, `batch-proof-b-${seq}`)]);
    expect(results.map((r) => r.status === 'fulfilled' && r.value.changed)).toEqual([true, true]);
    const [sa, sb] = [await state(a.orderId), await state(b.orderId)];
    expect(sa).toMatchObject({ status: 'PAID', txn: 'PAID', events: 1 });
    expect(sb).toMatchObject({ status: 'PAID', txn: 'PAID', events: 1 });
    // now() is the database transaction's start: one transaction gave both rows the same updated_at.
    expect(sa.updated).toBe(sb.updated);

    // Applied again (a second sweep, a racing callback): a no-op, no second event.
    const again = await transitions.applyMany([pay(a, 'other'), pay(b, 'other')]);
    expect(again.map((r) => r.status === 'fulfilled' && r.value.changed)).toEqual([false, false]);
    expect((await state(a.orderId)).events).toBe(1);
  });

  it("one order's failure (a proof already recorded for another payment) loses none of the others", async () => {
    const a = await order();
    const b = await order();
    const c = await order();
    const taken = `batch-proof-taken-${seq}`;
    await transitions.apply(c.orderId, pay(c, taken).command, pay(c, taken).ctx);

    const results = await transitions.applyMany([pay(a, taken), pay(b, `batch-proof-ok-${seq}`)]);
    expect(results[0].status).toBe('rejected');
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { changed: true } });
    expect(await state(a.orderId)).toMatchObject({ status: 'PENDING', txn: 'PENDING', proof: null, events: 0 });
    expect(await state(b.orderId)).toMatchObject({ status: 'PAID', txn: 'PAID', events: 1 });
  });
});
