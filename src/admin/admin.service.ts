import { AuditLogRepository, AuditRow } from '../audit/audit-log.repository';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound, ProblemException } from '../common/problem';
import { AppConfig } from '../config/config';
import { ApiKeysService } from '../merchants/api-keys.service';
import { Merchant } from '../merchants/merchant.entity';
import { MerchantView, presentMerchant } from '../merchants/merchants.service';
import { Order, Transaction } from '../orders/order.entity';
import { OrderView, presentOrder } from '../orders/order.presenter';
import { OrderTransitions } from '../orders/order-transitions.service';
import { OrdersService } from '../orders/orders.service';
import { AdminListOrdersQuery, ApiKeyView, AuditEntryView, AuditLogQuery, DEFAULT_OVERLAP_SECONDS, RotatedKeyView } from './admin.dto';
import { returnedRows } from '../database/rows';

export type AdminOrderView = OrderView & { merchant_id: string };

interface ApiKeyRow {
  id: string;
  last4: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function presentApiKey(row: ApiKeyRow, now = Date.now()): ApiKeyView {
  const expires = row.expires_at ? new Date(row.expires_at).getTime() : null;
  const status = row.revoked_at ? 'revoked' : expires !== null && expires <= now ? 'expired' : expires !== null ? 'expiring' : 'active';
  return { id: row.id, object: 'api_key', last4: row.last4, status, created_at: iso(row.created_at)!, expires_at: iso(row.expires_at), revoked_at: iso(row.revoked_at) };
}

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
    private readonly db: DataSource,
    private readonly keys: ApiKeysService,
    private readonly transitions: OrderTransitions,
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly audits: AuditLogRepository,
  ) {}

  async merchant(id: string): Promise<MerchantView> {
    const merchant = await this.db.getRepository(Merchant).findOneBy({ id });
    if (!merchant) throw notFound('merchant');
    return presentMerchant(merchant);
  }

  /** Disables or re-enables a merchant. A disabled merchant's API keys stop authenticating; callbacks for its orders still land (money that arrived is never dropped). */
  async setMerchantStatus(id: string, status: 'active' | 'disabled', actor: string, reason?: string): Promise<MerchantView> {
    const view = await this.db.transaction(async (manager) => {
      const rows: { status: string }[] = await manager.query(`SELECT status FROM merchants WHERE id = $1 FOR UPDATE`, [id]);
      if (!rows[0]) throw notFound('merchant');
      if (rows[0].status !== status) {
        await manager.query(`UPDATE merchants SET status = $2, updated_at = now() WHERE id = $1`, [id, status]);
        await this.audits.record(manager, { actor, action: status === 'disabled' ? 'merchant.disable' : 'merchant.enable', subjectId: id, reason: reason ?? null, details: { from: rows[0].status, to: status } });
      }
      return presentMerchant(await manager.findOneByOrFail(Merchant, { id }));
    });
    // This instance forgets at once; other instances' 5-second auth caches age out on their own.
    this.keys.invalidate();
    return view;
  }

  async listKeys(merchantId: string): Promise<{ data: ApiKeyView[]; has_more: false }> {
    await this.merchant(merchantId);
    const rows: ApiKeyRow[] = await this.db.query(
      `SELECT id, last4, created_at, expires_at, revoked_at FROM api_keys WHERE merchant_id = $1 ORDER BY id DESC`,
      [merchantId],
    );
    return { data: rows.map((r) => presentApiKey(r)), has_more: false };
  }

  /**
   * Issues a new key and schedules every key in use now to stop working after the overlap
   * (never extending one that already expires sooner). The merchant row is locked so two
   * rotations at once cannot both leave their old keys alive.
   */
  async rotateKey(merchantId: string, overlapSeconds = DEFAULT_OVERLAP_SECONDS, actor: string, reason?: string): Promise<RotatedKeyView> {
    const result = await this.db.transaction(async (manager) => {
      const rows: unknown[] = await manager.query(`SELECT 1 FROM merchants WHERE id = $1 FOR UPDATE`, [merchantId]);
      if (!rows.length) throw notFound('merchant');
      const [{ cutoff }]: { cutoff: Date }[] = await manager.query(`SELECT now() + make_interval(secs => $1) AS cutoff`, [overlapSeconds]);
      const retired: { id: string }[] = await manager.query(
        `UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, $2::timestamptz), $2::timestamptz)
          WHERE merchant_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
          RETURNING id`,
        [merchantId, cutoff],
      );
      const retiredIds = returnedRows<{ id: string }>(retired).map((r) => r.id);
      const issued = await this.keys.issue(manager, merchantId);
      await this.audits.record(manager, { actor, action: 'api_key.rotate', subjectId: merchantId, reason: reason ?? null, details: {
        new_key_id: issued.id,
        retired_key_ids: retiredIds,
        overlap_seconds: overlapSeconds,
        retired_keys_expire_at: new Date(cutoff).toISOString(),
      } });
      const [row]: ApiKeyRow[] = await manager.query(`SELECT id, last4, created_at, expires_at, revoked_at FROM api_keys WHERE id = $1`, [issued.id]);
      return { view: presentApiKey(row), key: issued.key, cutoff: retiredIds.length ? new Date(cutoff).toISOString() : null };
    });
    this.keys.invalidate();
    return { ...result.view, api_key: result.key, previous_keys_expire_at: result.cutoff };
  }

  async revokeKey(merchantId: string, keyId: string, actor: string, reason?: string): Promise<ApiKeyView> {
    const view = await this.db.transaction(async (manager) => {
      const [row]: ApiKeyRow[] = await manager.query(
        `SELECT id, last4, created_at, expires_at, revoked_at FROM api_keys WHERE id = $1 AND merchant_id = $2 FOR UPDATE`,
        [keyId, merchantId],
      );
      if (!row) throw notFound('API key');
      if (!row.revoked_at) {
        await manager.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
        await this.audits.record(manager, { actor, action: 'api_key.revoke', subjectId: keyId, reason: reason ?? null, details: { merchant_id: merchantId } });
      }
      const [fresh]: ApiKeyRow[] = await manager.query(`SELECT id, last4, created_at, expires_at, revoked_at FROM api_keys WHERE id = $1`, [keyId]);
      return presentApiKey(fresh);
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
    const order = await this.db.getRepository(Order).findOneBy({ id });
    if (!order) throw notFound('order');
    const txn = await this.db.getRepository(Transaction).findOne({ where: { orderId: id }, order: { createdAt: 'DESC' } });
    return this.presentOrder(order, txn);
  }

  /**
   * Manual resolution of a stuck transaction: PENDING → PAID (verification `manual`) or FAILED,
   * through the state machine, with the audit row and the normal order event written in the
   * same database transaction. 409 when the order is already final.
   */
  async resolve(transactionId: string, status: 'PAID' | 'FAILED', reason: string, actor: string): Promise<AdminOrderView> {
    const txn = await this.db.getRepository(Transaction).findOneBy({ id: transactionId });
    if (!txn) throw notFound('transaction');
    const result = await this.transitions.apply(txn.orderId, { kind: 'resolve', to: status, reason: reason.trim() }, { transactionId: txn.id, actor, reason: reason.trim() });
    if (result.decision.outcome === 'rejected') {
      throw new ProblemException(409, 'transaction_final', result.decision.reason, { order_status: result.order.status });
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
