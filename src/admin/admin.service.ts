import { Injectable } from '@nestjs/common';
import { AuditLogRepository, AuditRow } from '../audit/audit-log.repository';
import { notFound, problem } from '../common/problem';
import { ADMIN_ERRORS } from './admin.errors';
import { AppConfig } from '../config/config';
import { ApiKeysRepository } from '../merchants/api-keys.repository';
import { presentApiKey } from '../merchants/api-keys.presenter';
import { ApiKeysService } from '../merchants/api-keys.service';
import { MerchantsRepository } from '../merchants/merchants.repository';
import { MerchantView, presentMerchant } from '../merchants/merchants.service';
import { Order, Transaction } from '../orders/order.entity';
import { OrderView, presentOrder } from '../orders/order.presenter';
import { OrderTransitions } from '../orders/order-transitions.service';
import { OrdersRepository } from '../orders/orders.repository';
import { OrdersService } from '../orders/orders.service';
import { TransactionsRepository } from '../orders/transactions.repository';
import { AdminListOrdersQuery, ApiKeyView, AuditEntryView, AuditLogQuery, DEFAULT_OVERLAP_SECONDS, RotatedKeyView } from './admin.dto';

export type AdminOrderView = OrderView & { merchant_id: string };

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

const presentAudit = (row: AuditRow): AuditEntryView => ({
  id: row.id,
  object: 'audit_entry',
  actor: row.actor,
  action: row.action,
  subject_id: row.subject_id,
  reason: row.reason,
  details: row.details,
  created_at: iso(row.created_at)!,
});

/**
 * What operators do across merchants. Every change here is written to audit_log in the same
 * database transaction as the change itself; order changes go through OrderTransitions (which
 * audits resolutions and emits the normal events).
 */
@Injectable()
export class AdminService {
  constructor(
    private readonly merchants: MerchantsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly keys: ApiKeysService,
    private readonly transitions: OrderTransitions,
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly orderRows: OrdersRepository,
    private readonly transactions: TransactionsRepository,
    private readonly audits: AuditLogRepository,
  ) {}

  async merchant(id: string): Promise<MerchantView> {
    const merchant = await this.merchants.findById(id);
    if (!merchant) throw notFound('merchant');
    return presentMerchant(merchant);
  }

  /** Disables or re-enables a merchant. A disabled merchant's API keys stop authenticating; callbacks for its orders still land (money that arrived is never dropped). */
  async setMerchantStatus(id: string, status: 'active' | 'disabled', actor: string, reason?: string): Promise<MerchantView> {
    const view = await this.merchants.inTransaction(async (manager) => {
      const current = await this.merchants.lockStatus(manager, id);
      if (!current) throw notFound('merchant');
      if (current !== status) {
        await this.merchants.setStatus(manager, id, status);
        await this.audits.record(manager, {
          actor,
          action: status === 'disabled' ? 'merchant.disable' : 'merchant.enable',
          subjectId: id,
          reason: reason ?? null,
          details: { from: current, to: status },
        });
      }
      return presentMerchant(await this.merchants.getById(manager, id));
    });
    // This instance forgets at once; other instances' 5-second auth caches age out on their own.
    this.keys.invalidate();
    return view;
  }

  async listKeys(merchantId: string): Promise<{ data: ApiKeyView[]; has_more: false }> {
    await this.merchant(merchantId);
    const rows = await this.apiKeys.listForMerchant(merchantId);
    return { data: rows.map((r) => presentApiKey(r)), has_more: false };
  }

  /**
   * Issues a new key and schedules every key in use now to stop working after the overlap
   * (never extending one that already expires sooner). The merchant row is locked so two
   * rotations at once cannot both leave their old keys alive.
   */
  async rotateKey(merchantId: string, overlapSeconds = DEFAULT_OVERLAP_SECONDS, actor: string, reason?: string, livemode = true): Promise<RotatedKeyView> {
    const result = await this.merchants.inTransaction(async (manager) => {
      if (!(await this.merchants.lock(manager, merchantId))) throw notFound('merchant');
      const cutoff = await this.apiKeys.cutoffAfter(manager, overlapSeconds);
      const retiredIds = await this.apiKeys.retireLiveKeys(manager, merchantId, livemode, cutoff);
      const issued = await this.keys.issue(manager, merchantId, null, livemode);
      await this.audits.record(manager, {
        actor,
        action: 'api_key.rotate',
        subjectId: merchantId,
        reason: reason ?? null,
        details: {
          new_key_id: issued.id,
          retired_key_ids: retiredIds,
          overlap_seconds: overlapSeconds,
          livemode,
          retired_keys_expire_at: new Date(cutoff).toISOString(),
        },
      });
      const row = await this.apiKeys.findById(manager, issued.id);
      return { view: presentApiKey(row), key: issued.key, cutoff: retiredIds.length ? new Date(cutoff).toISOString() : null };
    });
    this.keys.invalidate();
    return { ...result.view, api_key: result.key, previous_keys_expire_at: result.cutoff };
  }

  async revokeKey(merchantId: string, keyId: string, actor: string, reason?: string): Promise<ApiKeyView> {
    const view = await this.merchants.inTransaction(async (manager) => {
      const row = await this.apiKeys.findForUpdate(manager, keyId, merchantId);
      if (!row) throw notFound('API key');
      if (!row.revoked_at) {
        await this.apiKeys.revoke(manager, keyId);
        await this.audits.record(manager, { actor, action: 'api_key.revoke', subjectId: keyId, reason: reason ?? null, details: { merchant_id: merchantId } });
      }
      return presentApiKey(await this.apiKeys.findById(manager, keyId));
    });
    this.keys.invalidate();
    return view;
  }

  /** Orders across merchants, newest first, with the same filters as GET /v1/orders plus merchant_id. */
  async searchOrders(q: AdminListOrdersQuery): Promise<{ data: AdminOrderView[]; has_more: boolean }> {
    const { merchant_id: merchantId, ...filters } = q;
    const { page, hasMore } = await this.orders.search({ ...filters, merchantId });
    return { data: page.map(({ order, txn }) => this.presentOrder(order, txn)), has_more: hasMore };
  }

  async order(id: string): Promise<AdminOrderView> {
    const order = await this.orderRows.findById(id);
    if (!order) throw notFound('order');
    const txn = await this.transactions.findLatestOf(id);
    return this.presentOrder(order, txn);
  }

  /**
   * Manual resolution of a stuck transaction: PENDING → PAID (verification `manual`) or FAILED,
   * through the state machine, with the audit row and the normal order event written in the
   * same database transaction. 409 when the order is already final.
   */
  async resolve(transactionId: string, status: 'PAID' | 'FAILED', reason: string, actor: string): Promise<AdminOrderView> {
    const txn = await this.transactions.findById(transactionId);
    if (!txn) throw notFound('transaction');
    const result = await this.transitions.apply(
      txn.orderId,
      { kind: 'resolve', to: status, reason: reason.trim() },
      { transactionId: txn.id, actor, reason: reason.trim() },
    );
    if (result.decision.outcome === 'rejected') {
      throw problem(ADMIN_ERRORS.transaction_final, result.decision.reason, { order_status: result.order.status });
    }
    return this.presentOrder(result.order, result.transaction);
  }

  async auditLog(q: AuditLogQuery): Promise<{ data: AuditEntryView[]; has_more: boolean }> {
    const limit = q.limit ?? 20;
    const rows = await this.audits.list({ subjectId: q.subject_id, action: q.action, actor: q.actor, startingAfter: q.starting_after, limit });
    return { data: rows.slice(0, limit).map(presentAudit), has_more: rows.length > limit };
  }

  private presentOrder(order: Order, txn: Transaction | null): AdminOrderView {
    return { ...presentOrder(order, txn, this.config.publicBaseUrl), merchant_id: order.merchantId };
  }
}
