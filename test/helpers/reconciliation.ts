import { configureAhnajak } from './ahnajak';
import { configureBakong, configureBakongapi } from './bakong';
import { configureHostedCheckout } from './hosted-checkout';
import { configureRaksmeypay } from './raksmeypay';
import { TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './test-app';

/** Limits loose enough that the sweeps in these specs are quick; the limits themselves are tested separately. */
export const FAST_SWEEP_ENV = { RECONCILE_RATE_PER_S: '2000', RECONCILE_CONCURRENCY: '8' };
/**
 * For sweeps that assert "no errors": gateway calls to the in-process sandbox get 10 s instead of
 * the suite's 1.5 s, so a loaded CI machine cannot turn a slow answer into a timeout (the specs
 * that test timeouts use FAST_SWEEP_ENV alone).
 */
export const FAST_SWEEP_NO_TIMEOUTS_ENV = { ...FAST_SWEEP_ENV, PROVIDER_TIMEOUT_MS: '10000' };

let seq = 0;

export interface CreatedOrder {
  id: string;
  provider: string;
  amount: string;
  ref: string;
}

/** Runs `fn` over items, `limit` at a time. */
export async function inBatches<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export async function createOrders(t: TestApp, m: TestMerchant, provider: string, count: number, body: Record<string, unknown> = {}): Promise<CreatedOrder[]> {
  return inBatches(Array.from({ length: count }), 16, async () => {
    const n = ++seq;
    // Distinct amounts (5.00–9.99): a KHQR gateway gives two identical requests in the same millisecond the same QR, hence the same md5.
    const amount = (5 + (n % 500) / 100).toFixed(2);
    const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider, amount, reference: `REC-${process.pid}-${n}`, ...body } });
    if (res.status !== 201) throw new Error(`create ${provider} order: ${res.status} ${res.text}`);
    return { id: res.json.id, provider, amount: res.json.amount, ref: res.json.transaction.provider_reference };
  });
}

/** The customer pays at the simulated gateway (optionally another amount). */
export async function pay(t: TestApp, o: CreatedOrder, amount?: string): Promise<void> {
  const res = await t.request('POST', '/sandbox/control/pay', { body: { provider: o.provider, provider_reference: o.ref, ...(amount ? { amount } : {}) } });
  if (res.status !== 200) throw new Error(`sandbox pay: ${res.status} ${res.text}`);
}

/** Moves orders (and their transactions) past expiry, as if time had passed. */
export async function expireInDb(t: TestApp, ids: string[], agoSeconds = 60): Promise<void> {
  await t.db.query(`UPDATE orders SET expires_at = now() - make_interval(secs => $2) WHERE id = ANY($1)`, [ids, agoSeconds]);
  await t.db.query(`UPDATE transactions SET expires_at = now() - make_interval(secs => $2) WHERE order_id = ANY($1)`, [ids, agoSeconds]);
}

export async function manualRun(t: TestApp) {
  const res = await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
  if (res.status !== 201) throw new Error(`run: ${res.status} ${res.text}`);
  return res.json;
}

export async function statuses(t: TestApp, ids: string[]): Promise<Map<string, { status: string; flags: string[] }>> {
  const { rows } = await t.db.query(`SELECT id, status, flags FROM orders WHERE id = ANY($1)`, [ids]);
  return new Map(rows.map((r) => [r.id as string, { status: r.status as string, flags: r.flags as string[] }]));
}

export async function sandboxCalls(t: TestApp): Promise<Record<string, number>> {
  return (await t.request('GET', '/sandbox/control/stats')).json.calls;
}

export async function merchantWithRaksmeypay(t: TestApp, name: string): Promise<TestMerchant> {
  const m = await t.createMerchant(name);
  await configureRaksmeypay(t, m, `key-${name}-0001`);
  return m;
}

/** A merchant with every provider pointed at this app's sandbox. */
export async function merchantWithEveryProvider(t: TestApp, name: string): Promise<TestMerchant> {
  const m = await merchantWithRaksmeypay(t, name);
  await configureBakongapi(t, m);
  await configureBakong(t, m);
  await configureAhnajak(t, m, { secretKey: `aj-secret-${name}-0001` });
  await configureHostedCheckout(t, m, { apiKey: `co-key-${name}-0001` });
  return m;
}
