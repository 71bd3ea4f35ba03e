import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What is limited per merchant on the public pages (merchant_rate_windows.bucket). */
export type MerchantBudgetBucket = 'topup_create' | 'page_check' | 'payment_link_create' | 'payment_link_create_test';

export interface MerchantBudgetAnswer {
  granted: boolean;
  /** Whole seconds until the merchant's window ends (≥ 1); meaningful when not granted. */
  retryAfterSeconds: number;
}

/** The merchant_rate_windows table: per-merchant budgets of the public pages, shared by every instance. */
@Injectable()
export class MerchantRateWindowsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Takes one unit of a merchant's budget: at most `limit` per window of `windowSeconds`, the
   * window starting at its first use. One conditional upsert on the (merchant, bucket) row, so
   * the count holds across every instance, concurrent takers serialise on that merchant's row
   * only (another merchant's traffic never waits on it), and a refused take changes nothing.
   */
  async takeBudget(merchantId: string, bucket: MerchantBudgetBucket, limit: number, windowSeconds: number): Promise<MerchantBudgetAnswer> {
    const rows: { used: number | null; retry_after: number | null }[] = await this.db.query(
      `WITH take AS (
         INSERT INTO merchant_rate_windows AS w (merchant_id, bucket, window_start, used) VALUES ($1, $2, now(), 1)
         ON CONFLICT (merchant_id, bucket) DO UPDATE
           SET window_start = CASE WHEN w.window_start <= now() - make_interval(secs => $4) THEN now() ELSE w.window_start END,
               used = CASE WHEN w.window_start <= now() - make_interval(secs => $4) THEN 1 ELSE w.used + 1 END
           WHERE w.window_start <= now() - make_interval(secs => $4) OR w.used < $3
         RETURNING used)
       SELECT (SELECT used FROM take) AS used,
              (SELECT GREATEST(1, ceil(extract(epoch FROM w.window_start + make_interval(secs => $4) - now())))::int
                 FROM merchant_rate_windows w WHERE w.merchant_id = $1 AND w.bucket = $2) AS retry_after`,
      [merchantId, bucket, limit, windowSeconds],
    );
    return { granted: rows[0]?.used != null, retryAfterSeconds: rows[0]?.retry_after ?? windowSeconds };
  }
}
