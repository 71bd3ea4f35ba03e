import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { Clock } from '../common/clock';
import { Currency, formatAmount } from '../common/money';
import type { OrderStatus } from '../orders/state-machine';
import { DailyGroupRow, REPORT_TIME_ZONE, ReportsRepository } from './reports.repository';

export const SUMMARY_DAYS = 7;

export interface SummaryGroup {
  provider: string;
  currency: string;
  orders: number;
  statuses: Record<OrderStatus, number>;
  paid_amount: string;
}

/** A day (YYYY-MM-DD) in REPORT_TIME_ZONE. */
const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: REPORT_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
export const dayIn = (at: Date) => dayFormat.format(at);

/** `day` (YYYY-MM-DD) moved by `delta` calendar days. */
function addDays(day: string, delta: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + delta);
  return d.toISOString().slice(0, 10);
}

/** Sums groups by (gateway, currency) in integer minor units; formatted once at the end. */
function total(rows: DailyGroupRow[]): SummaryGroup[] {
  const byKey = new Map<string, { row: DailyGroupRow; minor: bigint }>();
  for (const r of rows) {
    const key = `${r.provider}\0${r.currency}`;
    const acc = byKey.get(key);
    if (!acc) {
      byKey.set(key, { row: { ...r }, minor: BigInt(r.paid_minor) });
      continue;
    }
    for (const f of ['orders', 'pending', 'paid', 'expired', 'cancelled', 'failed'] as const) acc.row[f] += r[f];
    acc.minor += BigInt(r.paid_minor);
  }
  return [...byKey.values()].map(({ row, minor }) => present(row, minor));
}

function present(r: DailyGroupRow, minor: bigint): SummaryGroup {
  return {
    provider: r.provider,
    currency: r.currency,
    orders: r.orders,
    statuses: { PENDING: r.pending, PAID: r.paid, EXPIRED: r.expired, CANCELLED: r.cancelled, FAILED: r.failed },
    paid_amount: formatAmount(Number(minor), r.currency as Currency),
  };
}

/** The overview's numbers: today and the last 7 days (today included), by gateway and currency. */
@Injectable()
export class ReportsService {
  constructor(
    private readonly reports: ReportsRepository,
    private readonly clock: Clock,
  ) {}

  /** The scope's mode only: a test key's overview counts test orders, a live key's live ones. */
  async summary(scope: Scope) {
    const today = dayIn(this.clock.now());
    const from = addDays(today, -(SUMMARY_DAYS - 1));
    const rows = await this.reports.dailyGroups(scope, from);
    const days = Array.from({ length: SUMMARY_DAYS }, (_, i) => addDays(from, i));
    return {
      object: 'payments_summary',
      livemode: scope.livemode,
      time_zone: REPORT_TIME_ZONE,
      today: { date: today, groups: total(rows.filter((r) => r.day === today)) },
      last_7_days: { from, to: today, groups: total(rows) },
      daily: days.map((date) => ({ date, groups: total(rows.filter((r) => r.day === date)) })),
    };
  }
}
