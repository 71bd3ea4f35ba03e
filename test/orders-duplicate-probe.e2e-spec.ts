import { CREATION_FACTS_SQL, OrdersRepository } from '../src/orders/orders.repository';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}
const scansOf = (node: PlanNode, table: string): PlanNode[] => [
  ...(node['Relation Name'] === table ? [node] : []),
  ...(node.Plans ?? []).flatMap((child) => scansOf(child, table)),
];

/**
 * The duplicate-reference probe of order creation stays an index lookup on the reference when the table's statistics
 * predate the merchant (a merchant that signed up after the last ANALYZE and has since created many orders). With the
 * merchant's id visible to the planner it was estimated at one row and the probe walked the merchant-wide
 * (merchant, livemode, status) index, filtering the reference over all of that merchant's orders: 10–80 ms per order
 * creation at 30,000 orders, and growing (found in the bench's webhook latency run, where it held orders back by seconds).
 */
describe('order creation: the duplicate probe under statistics older than the merchant (real PostgreSQL)', () => {
  let t: TestApp;
  let old: TestMerchant;
  let fresh: TestMerchant;

  const insertOrders = (merchantId: string, count: number, tag: string) =>
    t.db.query(
      `INSERT INTO orders (id, merchant_id, reference, status, amount_minor, currency, provider, expires_at, livemode)
       SELECT $3 || g, $1, $3 || '-' || g, 'PENDING', 100, 'USD', 'raksmeypay', now() + interval '1 hour', true FROM generate_series(1, $2::int) g`,
      [merchantId, count, tag],
    );

  beforeAll(async () => {
    t = await startTestApp();
    old = await t.createMerchant();
    await insertOrders(old.id, 40_000, 'probe_old_');
    await t.db.query('ANALYZE orders');
    // Signed up after that ANALYZE, then busy: fewer new rows than autoanalyze's threshold (10 % of the table) would notice.
    fresh = await t.createMerchant();
    await insertOrders(fresh.id, 3_000, 'probe_new_');
  }, 120_000);
  afterAll(() => t.close());

  it('looks the reference up through an index on it, not by filtering the merchant’s orders', async () => {
    const { rows } = await t.db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${CREATION_FACTS_SQL}`, [
      fresh.id,
      'raksmeypay',
      'a-reference-never-used',
      true,
    ]);
    const scans = scansOf(rows[0]['QUERY PLAN'][0].Plan, 'orders');
    expect(scans).toHaveLength(1);
    expect(scans[0]['Index Cond'] ?? '').toContain('reference');
    expect(scans[0].Filter ?? '').not.toContain('reference');
  });

  it('still finds the merchant’s own reference, in its mode only, and not another merchant’s', async () => {
    const orders = t.app.get(OrdersRepository);
    const facts = (merchantId: string, reference: string, livemode: boolean) => orders.creationFacts({ merchantId, livemode }, 'raksmeypay', reference);
    expect((await facts(fresh.id, 'probe_new_-2999', true)).taken).toBe(true);
    expect((await facts(fresh.id, 'probe_new_-2999', false)).taken).toBe(false);
    expect((await facts(fresh.id, 'probe_old_-17', true)).taken).toBe(false);
    expect((await facts(old.id, 'probe_old_-17', true)).taken).toBe(true);
  });
});
