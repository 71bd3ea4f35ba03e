import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Scope } from '../common/scope';

/** The time zone the dashboard's days are counted in: Cambodia's (UTC+7, no daylight saving). */
export const REPORT_TIME_ZONE = 'Asia/Phnom_Penh';

/** One (day, gateway, currency) group of the merchant's orders, counted in SQL. */
export interface DailyGroupRow {
  day: string;
  provider: string;
  currency: string;
  orders: number;
  pending: number;
  paid: number;
  expired: number;
  cancelled: number;
  failed: number;
  /** Sum of paid_amount_minor of the PAID orders, as text (bigint). */
  paid_minor: string;
}

/** Aggregates over the orders table for the dashboard's overview; every query is scoped by merchant and mode. */
@Injectable()
export class ReportsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * The merchant's orders created from `fromDay` (a YYYY-MM-DD day in REPORT_TIME_ZONE) to now,
   * grouped by their creation day in that zone, gateway and currency.
   */
  async dailyGroups(scope: Scope, fromDay: string): Promise<DailyGroupRow[]> {
    const rows: DailyGroupRow[] = await this.db.query(
      `SELECT to_char(created_at AT TIME ZONE $3, 'YYYY-MM-DD') AS day, provider, currency,
              count(*)::int AS orders,
              count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
              count(*) FILTER (WHERE status = 'PAID')::int AS paid,
              count(*) FILTER (WHERE status = 'EXPIRED')::int AS expired,
              count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled,
              count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
              COALESCE(sum(paid_amount_minor) FILTER (WHERE status = 'PAID'), 0)::text AS paid_minor
         FROM orders
        WHERE merchant_id = $1 AND livemode = $4 AND created_at >= ($2::date::timestamp AT TIME ZONE $3)
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
      [scope.merchantId, fromDay, REPORT_TIME_ZONE, scope.livemode],
    );
    return rows;
  }
}
