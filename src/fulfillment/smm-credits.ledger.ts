import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { OutboxEvent, OutboxWriter } from '../events/outbox.writer';

/**
 * The credit ledger: one row per paid top-up order (primary key order_id), created in the same
 * database transaction as the order's `order.paid` event. So a paid top-up always has exactly
 * one credit to perform, and a credit never exists without its payment.
 *
 * Row states:  pending ──claim──▶ attempting ──panel confirmed──▶ done
 *                 ▲                   │
 *                 └──failed, retry────┘──too many / unknowable──▶ failed (order flagged)
 * `last_outcome` is written *before* every panel call ('unknown') and only cleared by a
 * definite answer, so a crash between the call and its record leaves 'unknown' behind, and
 * the next attempt looks the payment up at the panel before calling again.
 */
export type CreditStatus = 'pending' | 'attempting' | 'done' | 'failed';
export const CREDIT_STATUSES: CreditStatus[] = ['pending', 'attempting', 'done', 'failed'];

export interface CreditRow {
  order_id: string;
  merchant_id: string;
  username: string;
  email: string | null;
  amount: string;
  currency: string;
  status: CreditStatus;
  attempts: number;
  last_outcome: 'rejected' | 'unknown' | null;
  panel_type: string | null;
  panel_payment_id: string | null;
  last_error: string | null;
  next_attempt_at: Date;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function presentCredit(r: CreditRow) {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    object: 'smm_credit' as const,
    order_id: r.order_id,
    merchant_id: r.merchant_id,
    username: r.username,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    attempts: r.attempts,
    panel_type: r.panel_type,
    panel_payment_id: r.panel_payment_id,
    last_error: r.last_error,
    next_attempt_at: r.status === 'pending' || r.status === 'attempting' ? iso(r.next_attempt_at) : null,
    completed_at: iso(r.completed_at),
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
  };
}

interface PaidOrderView {
  id: string;
  amount: string;
  currency: string;
  paid_amount: string | null;
  metadata: Record<string, unknown> | null;
}

@Injectable()
export class SmmCreditsLedger implements OnModuleInit {
  constructor(
    private readonly db: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  onModuleInit(): void {
    this.outbox.onAppend((manager, event) => this.onEvent(manager, event));
  }

  /** Inside the transaction that writes the event: a paid top-up order gets its ledger row, once. */
  async onEvent(manager: EntityManager, event: OutboxEvent): Promise<void> {
    if (event.type !== 'order.paid') return;
    const order = (event.data as { order?: PaidOrderView }).order;
    const md = order?.metadata;
    if (!order || !md || md.source !== 'smm_topup' || typeof md.smm_user !== 'string' || !md.smm_user) return;
    await manager.query(
      `INSERT INTO smm_credits (order_id, merchant_id, username, email, amount, currency, status, panel_type)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', (SELECT type FROM smm_panels WHERE merchant_id = $2))
       ON CONFLICT (order_id) DO NOTHING`,
      [order.id, event.merchantId, md.smm_user, typeof md.smm_email === 'string' ? md.smm_email : null, order.paid_amount ?? order.amount, order.currency],
    );
  }

  async list(q: { status?: string; merchantId?: string; limit: number; startingAfter?: string }): Promise<{ rows: CreditRow[] }> {
    const params: unknown[] = [q.limit + 1];
    const where: string[] = [];
    if (q.status) where.push(`status = $${params.push(q.status)}`);
    if (q.merchantId) where.push(`merchant_id = $${params.push(q.merchantId)}`);
    if (q.startingAfter) where.push(`order_id < $${params.push(q.startingAfter)}`);
    const rows: CreditRow[] = await this.db.query(
      `SELECT * FROM smm_credits ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY order_id DESC LIMIT $1`,
      params,
    );
    return { rows };
  }

  async get(orderId: string): Promise<CreditRow | null> {
    const rows: CreditRow[] = await this.db.query(`SELECT * FROM smm_credits WHERE order_id = $1`, [orderId]);
    return rows[0] ?? null;
  }
}
