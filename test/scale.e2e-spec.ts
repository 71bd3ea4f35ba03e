import { createHash } from 'node:crypto';
import { createTestDatabase, startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const PROFILE_KEY = 'scale-profile-key-42';

/** RaksmeyPay's signed success return, computed here as the gateway would. */
function signedReturn(providerReference: string, amount: string): string {
  const time = String(Math.floor(Date.now() / 1000));
  const bakong = 'bk' + providerReference;
  return `/callbacks/raksmeypay/${providerReference}/return?success_time=${time}&success_amount=${amount}&bakong_hash=${bakong}&success_hash=${sha1(PROFILE_KEY + time + amount + bakong + providerReference)}`;
}

async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/**
 * Instances are stateless: two of them on one database serve one merchant interchangeably,
 * one can stop gracefully (in-flight requests finish) and a restarted one loses nothing.
 */
describe('several instances on one database', () => {
  let databaseUrl: string;
  let a: TestApp;
  let b: TestApp;
  let m: TestMerchant;
  const eventTypes = async (t: TestApp, orderId: string) =>
    (await t.db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [orderId])).rows.map((r) => r.type);

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    [a, b] = await Promise.all([startTestApp({ databaseUrl }), startTestApp({ databaseUrl })]);
    m = await a.createMerchant('Two Door Cafe');
    // The gateway account points at B's sandbox, so A can be stopped while B's gateway keeps answering.
    const put = await a.request('PUT', '/v1/provider-accounts/raksmeypay', {
      token: m.apiKey,
      body: { profile_id: 'p-scale', profile_key: PROFILE_KEY, base_url: `${b.url}/sandbox/raksmeypay` },
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    await b?.request('DELETE', '/sandbox/control/faults');
    await Promise.all([a?.close(), b?.close()]);
  });

  it('create on one instance, see and pay on the other', async () => {
    const created = await a.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '6.50', reference: 'TWO-1' } });
    expect(created.status).toBe(201);
    const order = created.json;

    const seen = await b.request('GET', `/v1/orders/${order.id}`, { token: m.apiKey });
    expect(seen.status).toBe(200);
    expect(seen.json).toMatchObject({ id: order.id, status: 'PENDING', amount: '6.50' });
    expect((await b.request('GET', '/v1/orders?reference=TWO-1', { token: m.apiKey })).json.data.map((o: { id: string }) => o.id)).toEqual([order.id]);

    // The customer's browser comes back through instance B (the load balancer's choice).
    const back = await b.request('GET', signedReturn(order.transaction.provider_reference, '6.5'));
    expect(back.status).toBe(302);
    expect((await a.request('GET', `/v1/orders/${order.id}`, { token: m.apiKey })).json).toMatchObject({ status: 'PAID', verification: 'signed_return' });
    expect(await eventTypes(a, order.id)).toEqual(['order.created', 'order.paid']);
  });

  it('racing confirmations through both instances make one transition and one event', async () => {
    const order = (await b.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '3.00', reference: 'TWO-RACE' } })).json;
    await b.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: order.transaction.provider_reference } });
    const results = await Promise.all([
      a.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey }),
      b.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey }),
      a.request('GET', signedReturn(order.transaction.provider_reference, '3')),
      b.request('GET', signedReturn(order.transaction.provider_reference, '3')),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 302, 302]);
    expect(await eventTypes(a, order.id)).toEqual(['order.created', 'order.paid']);
  });

  it('an admin change on one instance reaches the other within the 5-second key cache', async () => {
    const other = await a.createMerchant('Soon Disabled');
    expect((await b.request('GET', '/v1/orders', { token: other.apiKey })).status).toBe(200); // now cached on B
    expect((await a.request('POST', `/admin/merchants/${other.id}/disable`, { token: TEST_ADMIN_TOKEN })).status).toBe(200);
    expect((await a.request('GET', '/v1/orders', { token: other.apiKey })).status).toBe(401);
    const started = Date.now();
    await eventually('B to refuse the disabled merchant', async () => (await b.request('GET', '/v1/orders', { token: other.apiKey })).status === 401, 7_000);
    expect(Date.now() - started).toBeLessThanOrEqual(6_000);
  });

  it('a graceful stop finishes in-flight requests; a restarted instance loses nothing', async () => {
    const orders = [];
    for (let i = 0; i < 3; i++)
      orders.push((await a.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount: '1.00', reference: `STOP-${i}` } })).json);
    await b.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: orders[0].transaction.provider_reference } });
    // The gateway is slow: the verify below is still in flight when A is told to stop.
    await b.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', latency_ms: 800 } });
    const inFlight = a.request('POST', `/v1/orders/${orders[0].id}/verify`, { token: m.apiKey });
    await new Promise((r) => setTimeout(r, 250));
    const stopping = a.close();
    const answered = await inFlight;
    await stopping;
    expect(answered.status).toBe(200);
    expect(answered.json.status).toBe('PAID');
    // A no longer accepts connections.
    await expect(fetch(`${a.url}/health/live`)).rejects.toThrow();
    await b.request('DELETE', '/sandbox/control/faults');

    // While A is down the customer pays the second order; B keeps serving.
    await b.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: orders[1].transaction.provider_reference } });
    expect((await b.request('GET', `/v1/orders/${orders[1].id}`, { token: m.apiKey })).json.status).toBe('PENDING');

    // A comes back (a new process on the same database): everything is there, and a sweep finds the payment made meanwhile.
    a = await startTestApp({ databaseUrl });
    expect((await a.request('GET', '/health/ready')).status).toBe(200);
    const listed = await a.request('GET', '/v1/orders?limit=100', { token: m.apiKey });
    expect(listed.json.data.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining(orders.map((o) => o.id)));
    const sweep = await a.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
    expect(sweep.status).toBe(201);
    const statuses = await Promise.all(orders.map(async (o) => (await a.request('GET', `/v1/orders/${o.id}`, { token: m.apiKey })).json.status));
    expect(statuses).toEqual(['PAID', 'PAID', 'PENDING']);
    for (const o of orders.slice(0, 2)) expect(await eventTypes(a, o.id)).toEqual(['order.created', 'order.paid']);
    expect(await eventTypes(a, orders[2].id)).toEqual(['order.created']);
    // Nothing was left claimed by the stopped instance.
    expect((await a.db.query(`SELECT count(*)::int AS n FROM transactions WHERE claimed_until IS NOT NULL`)).rows[0].n).toBe(0);
  });
});
