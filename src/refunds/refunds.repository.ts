import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Currency } from '../common/money';
import type { Scope } from '../common/scope';
import { returnedRows } from '../database/rows';
import type { OtherGatewayRefunds, ProviderId } from '../providers/provider';
import type { Refund, RefundMethod, RefundStatus } from './refund.presenter';

/** A new refund's columns (the reservation on its order is made by OrdersRepository.reserveRefund in the same transaction). */
export interface NewRefund {
  id: string;
  /** The order's merchant and mode: a refund is always of its order's mode. */
  scope: Scope;
  orderId: string;
  transactionId: string;
  provider: ProviderId;
  amountMinor: number;
  currency: Currency;
  status: RefundStatus;
  method: RefundMethod;
  reason: string | null;
  /** Who asked: the API key (api_key:<id>) or the operator. */
  actor: string;
  /** When the sweeper first looks at a PENDING refund (in case the gateway call never happens: a crash). */
  nextCheckAt: Date | null;
}

/** A gateway's final word on a PENDING refund. */
export interface RefundFinal {
  status: 'SUCCEEDED' | 'FAILED';
  failureReason: string | null;
  providerRefundId: string | null;
}

/** A refund the gateway has not settled yet: when to ask again, and what the last attempt said. */
export interface RefundStillPending {
  providerRefundId: string | null;
  nextCheckAt: Date;
  /** null: the gateway answered (PENDING); otherwise why it gave no usable answer. */
  error: string | null;
}

/** What a sweep claims: due PENDING refunds (every PENDING one when `everyPending`) not yet swept by this run. */
export interface DueRefundClaim {
  holder: string;
  sweptBefore: Date;
  everyPending: boolean;
  limit: number;
  leaseSeconds: number;
  /**
   * A refund never asked of its gateway yet (no last_checked_at) is left alone this long after its creation: its creating
   * request's refund() call may still be in flight, and a check racing it would find nothing and fail a refund that arrives.
   */
  inFlightSeconds: number;
}

const COLUMNS =
  'id, merchant_id, livemode, order_id, transaction_id, provider, amount_minor, currency, status, method, reason, failure_reason, provider_refund_id, check_count, created_at, updated_at';

/** The refunds table's reads and writes, by intent. Every merchant-facing read is scoped by merchant. */
@Injectable()
export class RefundsRepository {
  constructor(private readonly db: DataSource) {}

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(manager: EntityManager, r: NewRefund): Promise<Refund> {
    const rows: Record<string, unknown>[] = await manager.query(
      `INSERT INTO refunds (id, merchant_id, order_id, transaction_id, provider, amount_minor, currency, status, method, reason, actor, next_check_at, livemode)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
      [
        r.id,
        r.scope.merchantId,
        r.orderId,
        r.transactionId,
        r.provider,
        r.amountMinor,
        r.currency,
        r.status,
        r.method,
        r.reason,
        r.actor,
        r.nextCheckAt,
        r.scope.livemode,
      ],
    );
    return toRefund(rows[0]);
  }

  /** The refund `id` if it belongs to the scope's merchant and mode (another merchant's, or the other mode's, is not found). */
  async findForMerchant(scope: Scope, id: string): Promise<Refund | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT ${COLUMNS} FROM refunds WHERE id = $1 AND merchant_id = $2 AND livemode = $3`, [
      id,
      scope.merchantId,
      scope.livemode,
    ]);
    return rows[0] ? toRefund(rows[0]) : null;
  }

  /** The order's refunds, newest first; one row more than `limit`, so the caller can tell has_more. */
  async listForOrder(scope: Scope, orderId: string, limit: number, startingAfter?: string): Promise<Refund[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT ${COLUMNS} FROM refunds WHERE merchant_id = $1 AND livemode = $5 AND order_id = $2 AND ($3::text IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`,
      [scope.merchantId, orderId, startingAfter ?? null, limit + 1, scope.livemode],
    );
    return rows.map(toRefund);
  }

  /** Compare-and-set PENDING → final, inside the caller's transaction. Null when the refund is no longer PENDING (someone else settled it). */
  async settle(manager: EntityManager, id: string, final: RefundFinal): Promise<Refund | null> {
    const [row] = returnedRows<Record<string, unknown>>(
      await manager.query(
        `UPDATE refunds SET status = $2, failure_reason = $3, provider_refund_id = COALESCE($4, provider_refund_id), next_check_at = NULL,
           last_checked_at = now(), check_count = check_count + 1, last_error = NULL, updated_at = now()
         WHERE id = $1 AND status = 'PENDING' RETURNING ${COLUMNS}`,
        [id, final.status, final.failureReason?.slice(0, 500) ?? null, final.providerRefundId],
      ),
    );
    return row ? toRefund(row) : null;
  }

  /** The gateway was asked and the refund is still PENDING (or the call failed): counted, with the next check. */
  async recordPending(id: string, p: RefundStillPending): Promise<void> {
    await this.db.query(
      `UPDATE refunds SET provider_refund_id = COALESCE($2, provider_refund_id), next_check_at = $3, last_error = $4,
         last_checked_at = now(), check_count = check_count + 1, updated_at = now()
       WHERE id = $1 AND status = 'PENDING'`,
      [id, p.providerRefundId, p.nextCheckAt, p.error?.slice(0, 500) ?? null],
    );
  }

  /** The transaction's gateway refunds other than `refund` (manual ones went back outside the gateway): what checkRefund weighs a refunded total against. */
  async othersAtGateway(refund: Pick<Refund, 'id' | 'merchantId' | 'livemode' | 'transactionId'>): Promise<OtherGatewayRefunds> {
    const rows: { status: string; amount_minor: string }[] = await this.db.query(
      `SELECT status, amount_minor FROM refunds
        WHERE merchant_id = $1 AND livemode = $4 AND transaction_id = $2 AND id <> $3 AND method = 'provider_api' AND status IN ('SUCCEEDED', 'PENDING')`,
      [refund.merchantId, refund.transactionId, refund.id, refund.livemode],
    );
    const succeeded = rows.filter((r) => r.status === 'SUCCEEDED').reduce((sum, r) => sum + Number(r.amount_minor), 0);
    return { succeededMinor: succeeded, pendingMinor: rows.filter((r) => r.status === 'PENDING').map((r) => Number(r.amount_minor)) };
  }

  // ── The sweeper's leases (src/reconciliation/refund-checker.ts) ──

  /** Leases up to `limit` due PENDING refunds to `holder` (SKIP LOCKED: another sweeper's picks are skipped). */
  async claimDue(claim: DueRefundClaim): Promise<Refund[]> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.db.query(
        `WITH picked AS (
           SELECT id FROM refunds
            WHERE status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < now())
              AND (swept_at IS NULL OR swept_at < $1) AND ($2::boolean OR next_check_at <= now())
              AND (last_checked_at IS NOT NULL OR created_at <= now() - make_interval(secs => $6))
            ORDER BY next_check_at NULLS FIRST, id LIMIT $3
            FOR UPDATE SKIP LOCKED
         )
         UPDATE refunds r SET claimed_until = now() + make_interval(secs => $4), claimed_by = $5
           FROM picked WHERE r.id = picked.id
         RETURNING ${COLUMNS.split(', ')
           .map((c) => `r.${c}`)
           .join(', ')}`,
        [claim.sweptBefore, claim.everyPending, claim.limit, claim.leaseSeconds, claim.holder, claim.inFlightSeconds],
      ),
    );
    return rows.map(toRefund);
  }

  /** Gives a refund back, marked swept by this run. */
  async release(holder: string, id: string): Promise<void> {
    await this.db.query(`UPDATE refunds SET claimed_until = NULL, claimed_by = NULL, swept_at = now() WHERE id = $1 AND claimed_by = $2`, [id, holder]);
  }

  /** Gives back everything `holder` still leases. */
  async releaseAll(holder: string): Promise<void> {
    await this.db.query(`UPDATE refunds SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = $1`, [holder]);
  }
}

function toRefund(row: Record<string, unknown>): Refund {
  return {
    id: String(row.id),
    merchantId: String(row.merchant_id),
    livemode: Boolean(row.livemode),
    orderId: String(row.order_id),
    transactionId: String(row.transaction_id),
    provider: row.provider as ProviderId,
    amountMinor: Number(row.amount_minor),
    currency: row.currency as Currency,
    status: row.status as RefundStatus,
    method: row.method as RefundMethod,
    reason: (row.reason as string | null) ?? null,
    failureReason: (row.failure_reason as string | null) ?? null,
    providerRefundId: (row.provider_refund_id as string | null) ?? null,
    checkCount: Number(row.check_count),
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  };
}
