import { mapLimit, percentile, planBatches, RunTally } from './plan';

const txn = (merchantId: string, ref: string) => ({ merchantId, providerReference: ref });

describe('planBatches (the sweeper grouping for batch-verify gateways)', () => {
  it('cuts one merchant into ⌈n/size⌉ batches of at most size, in order', () => {
    const txns = Array.from({ length: 120 }, (_, i) => txn('m1', `r${i}`));
    const batches = planBatches(txns, 50);
    expect(batches.map((b) => b.txns.length)).toEqual([50, 50, 20]);
    expect(batches.flatMap((b) => b.txns.map((t) => t.providerReference))).toEqual(txns.map((t) => t.providerReference));
  });

  it('never mixes merchants in one batch (each call uses one merchant account)', () => {
    const txns = [txn('a', '1'), txn('b', '2'), txn('a', '3'), txn('c', '4'), txn('b', '5'), txn('a', '6')];
    const batches = planBatches(txns, 2);
    for (const b of batches) expect(new Set(b.txns.map((t) => t.merchantId))).toEqual(new Set([b.merchantId]));
    expect(batches.map((b) => [b.merchantId, b.txns.map((t) => t.providerReference)])).toEqual([
      ['a', ['1', '3']],
      ['a', ['6']],
      ['b', ['2', '5']],
      ['c', ['4']],
    ]);
  });

  it('covers every transaction exactly once for any mix', () => {
    for (const n of [0, 1, 49, 50, 51, 100, 101, 499]) {
      const txns = Array.from({ length: n }, (_, i) => txn(`m${i % 3}`, `r${i}`));
      const batches = planBatches(txns, 50);
      const perMerchant = [0, 1, 2].map((m) => txns.filter((t) => t.merchantId === `m${m}`).length);
      expect(batches.length).toBe(perMerchant.reduce((sum, k) => sum + Math.ceil(k / 50), 0));
      expect(batches.flatMap((b) => b.txns).sort((x, y) => x.providerReference.localeCompare(y.providerReference))).toEqual(
        [...txns].sort((x, y) => x.providerReference.localeCompare(y.providerReference)),
      );
      expect(Math.max(0, ...batches.map((b) => b.txns.length))).toBeLessThanOrEqual(50);
    }
  });

  it('refuses a nonsense batch size', () => {
    expect(() => planBatches([txn('a', '1')], 0)).toThrow(/batchSize/);
  });
});

describe('run statistics', () => {
  it('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('tallies calls, errors and latencies per provider', () => {
    const t = new RunTally();
    t.call('raksmeypay', 10, true);
    t.call('raksmeypay', 30, false);
    t.touch('ahnajak');
    expect(t.providers()).toEqual({
      ahnajak: { calls: 0, errors: 0, p50_ms: 0, p99_ms: 0 },
      raksmeypay: { calls: 2, errors: 1, p50_ms: 10, p99_ms: 30 },
    });
  });

  it('mapLimit keeps at most `limit` tasks in flight and runs each item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await mapLimit(
      Array.from({ length: 25 }, (_, i) => i),
      4,
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        seen.push(i);
        inFlight--;
      },
    );
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});
