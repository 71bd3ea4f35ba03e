import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { notFound, problem } from '../common/problem';
import { FULFILLMENT_ERRORS } from './fulfillment.errors';
import { OutboxEvent, OutboxWriter } from '../events/outbox.writer';
import { CreditFilter, CreditRow, SmmCreditsRepository } from './smm-credits.repository';

/** A credit as the admin API shows it. */
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

/**
 * The credit ledger: one row per paid top-up order (primary key order_id), created in the same
 * database transaction as the order's `order.paid` event. So a paid top-up always has exactly
 * one credit to perform, and a credit never exists without its payment. The row states are
 * described in smm-credits.repository.ts.
 */
@Injectable()
export class SmmCreditsLedger implements OnModuleInit {
  constructor(
    private readonly credits: SmmCreditsRepository,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditLogRepository,
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
    await this.credits.createForPaidOrder(manager, {
      orderId: order.id,
      merchantId: event.merchantId,
      username: md.smm_user,
      email: typeof md.smm_email === 'string' ? md.smm_email : null,
      amount: order.paid_amount ?? order.amount,
      currency: order.currency,
    });
  }

  async list(q: CreditFilter): Promise<{ rows: CreditRow[] }> {
    return { rows: await this.credits.list(q) };
  }

  get(orderId: string): Promise<CreditRow | null> {
    return this.credits.get(orderId);
  }

  /** failed → pending, attempts reset; audited. 404 or 409 problem unless the credit is failed. */
  retry(orderId: string, actor: string, reason: string, confirmedNotCredited: boolean) {
    return this.changeFailed(orderId, actor, 'smm_credit.retry', reason, { confirmed_not_credited: confirmedNotCredited }, (manager) =>
      this.credits.reopenFailed(manager, orderId, confirmedNotCredited),
    );
  }

  /** failed → done (credited by hand); audited. 404 or 409 problem unless the credit is failed. */
  resolve(orderId: string, actor: string, reason: string) {
    return this.changeFailed(orderId, actor, 'smm_credit.resolve', reason, {}, (manager) => this.credits.resolveFailed(manager, orderId));
  }

  /** The change and its audit row commit together. */
  private async changeFailed(
    orderId: string,
    actor: string,
    action: string,
    reason: string,
    details: Record<string, unknown>,
    change: (manager: EntityManager) => Promise<CreditRow | null>,
  ) {
    const row = await this.credits.inTransaction(async (manager) => {
      const changed = await change(manager);
      if (changed) await this.audit.record(manager, { actor, action, subjectId: orderId, reason, details });
      return changed;
    });
    if (row) return presentCredit(row);
    const existing = await this.credits.get(orderId);
    if (!existing) throw notFound('smm credit');
    throw problem(FULFILLMENT_ERRORS.invalid_transition, `the credit is ${existing.status}; only a failed credit can be changed`);
  }
}
