/**
 * Pure helpers of the sweeper: how claimed transactions become gateway calls, and the
 * per-provider statistics of a run.
 */

/**
 * Groups for a batch-verify gateway (Bakong Open API: ≤ 50 md5 per call): one call checks one
 * merchant account's transactions, so they are grouped by merchant first, then cut into
 * chunks of at most `batchSize`, preserving claim order inside each merchant.
 */
export function planBatches<T extends { merchantId: string }>(txns: readonly T[], batchSize: number): { merchantId: string; txns: T[] }[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer (got ${batchSize})`);
  const byMerchant = new Map<string, T[]>();
  for (const txn of txns) {
    const list = byMerchant.get(txn.merchantId);
    if (list) list.push(txn);
    else byMerchant.set(txn.merchantId, [txn]);
  }
  const out: { merchantId: string; txns: T[] }[] = [];
  for (const [merchantId, list] of byMerchant) {
    for (let i = 0; i < list.length; i += batchSize) out.push({ merchantId, txns: list.slice(i, i + batchSize) });
  }
  return out;
}

/** Nearest-rank percentile of durations (ms); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return Math.round(sorted[rank - 1]);
}

export interface ProviderRunStats {
  calls: number;
  errors: number;
  p50_ms: number;
  p99_ms: number;
}

/** Counters of one run, filled concurrently by the provider loops. */
export class RunTally {
  claimed = 0;
  checked = 0;
  paid = 0;
  expired = 0;
  flagged = 0;
  errors = 0;
  private readonly calls = new Map<string, { calls: number; errors: number; latencies: number[] }>();

  /** One gateway call (a batch call counts once). */
  call(provider: string, ms: number, ok: boolean): void {
    let entry = this.calls.get(provider);
    if (!entry) this.calls.set(provider, (entry = { calls: 0, errors: 0, latencies: [] }));
    entry.calls++;
    if (!ok) entry.errors++;
    entry.latencies.push(ms);
  }

  /** Make a provider appear in the record even when it made no call (e.g. expiry-only providers). */
  touch(provider: string): void {
    if (!this.calls.has(provider)) this.calls.set(provider, { calls: 0, errors: 0, latencies: [] });
  }

  providers(): Record<string, ProviderRunStats> {
    const out: Record<string, ProviderRunStats> = {};
    for (const [id, e] of [...this.calls].sort(([a], [b]) => a.localeCompare(b))) {
      out[id] = { calls: e.calls, errors: e.errors, p50_ms: percentile(e.latencies, 50), p99_ms: percentile(e.latencies, 99) };
    }
    return out;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
