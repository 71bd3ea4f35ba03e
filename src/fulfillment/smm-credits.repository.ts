import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/rows';

/**
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

export interface NewCredit {
  orderId: string;
  merchantId: string;
  username: string;
  email: string | null;
  amount: string;
  currency: string;
}

export interface CreditFilter {
  status?: string;
  merchantId?: string;
  limit: number;
  startingAfter?: string;
}

/**
 * The smm_credits table. A worker's writes are fenced: they apply only while the row is still
 * `attempting` with the attempt number the worker claimed (`attempts` is the fencing token), so a
 * worker that lost its lease cannot overwrite a newer attempt's record.
 */
@Injectable()
export class SmmCreditsRepository {
  constructor(private readonly db: DataSource) {}

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Inside the transaction that records the payment: the order's credit row, once (a second call changes nothing). */
  async createForPaidOrder(manager: EntityManager, c: NewCredit): Promise<void> {
    await manager.query(
      `INSERT INTO smm_credits (order_id, merchant_id, username, email, amount, currency, status, panel_type)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', (SELECT type FROM smm_panels WHERE merchant_id = $2))
       ON CONFLICT (order_id) DO NOTHING`,
      [c.orderId, c.merchantId, c.username, c.email, c.amount, c.currency],
    );
  }

  /** Newest first; one row more than `limit`, so the caller can tell has_more. */
  list(q: CreditFilter): Promise<CreditRow[]> {
    const params: unknown[] = [q.limit + 1];
    const where: string[] = [];
    if (q.status) where.push(`status = $${params.push(q.status)}`);
    if (q.merchantId) where.push(`merchant_id = $${params.push(q.merchantId)}`);
    if (q.startingAfter) where.push(`order_id < $${params.push(q.startingAfter)}`);
    return this.db.query(`SELECT * FROM smm_credits ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY order_id DESC LIMIT $1`, params);
  }

  async get(orderId: string): Promise<CreditRow | null> {
    const rows: CreditRow[] = await this.db.query(`SELECT * FROM smm_credits WHERE order_id = $1`, [orderId]);
    return rows[0] ?? null;
  }

  /** Claims up to `batch` due credits (SKIP LOCKED: safe with several instances), each leased for `leaseSeconds` and its attempt counted. */
  async claimDue(batch: number, leaseSeconds: number): Promise<CreditRow[]> {
    return returnedRows(
      await this.db.query(
        `UPDATE smm_credits c SET status = 'attempting', attempts = c.attempts + 1, next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
         FROM (SELECT order_id FROM smm_credits WHERE status IN ('pending', 'attempting') AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE c.order_id = due.order_id
         RETURNING c.*`,
        [batch, leaseSeconds],
      ),
    );
  }

  /** Write-ahead before a panel call: from here until a definite answer the credit may have happened. False when the lease was lost. */
  markCallStarted(row: CreditRow, panelType: string): Promise<boolean> {
    return this.fenced(row, `last_outcome = 'unknown', panel_type = $3`, [panelType]);
  }

  markDone(row: CreditRow, panelType: string, paymentId: string | null): Promise<boolean> {
    return this.fenced(row, `status = 'done', last_outcome = NULL, last_error = NULL, completed_at = now(), panel_type = $3, panel_payment_id = $4`, [
      panelType,
      paymentId,
    ]);
  }

  scheduleRetry(row: CreditRow, outcome: 'rejected' | 'unknown', message: string, waitSeconds: number): Promise<boolean> {
    return this.fenced(row, `status = 'pending', last_outcome = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5)`, [
      outcome,
      message,
      waitSeconds,
    ]);
  }

  /** Final, inside the transaction that flags the order. */
  async markFailed(manager: EntityManager, row: CreditRow, reason: string): Promise<boolean> {
    const res = returnedRows(
      await manager.query(
        `UPDATE smm_credits SET status = 'failed', last_error = $3, updated_at = now() WHERE order_id = $1 AND status = 'attempting' AND attempts = $2 RETURNING order_id`,
        [row.order_id, row.attempts, reason],
      ),
    );
    return res.length > 0;
  }

  /** An operator's retry: failed → pending, attempts reset; `confirmedNotCredited` also clears an unknown outcome. Null unless the credit was failed. */
  reopenFailed(manager: EntityManager, orderId: string, confirmedNotCredited: boolean): Promise<CreditRow | null> {
    return this.changeFailed(
      manager,
      orderId,
      `status = 'pending', attempts = 0, next_attempt_at = now()${confirmedNotCredited ? `, last_outcome = 'rejected'` : ''}`,
    );
  }

  /** An operator credited by hand: failed → done. Null unless the credit was failed. */
  resolveFailed(manager: EntityManager, orderId: string): Promise<CreditRow | null> {
    return this.changeFailed(manager, orderId, `status = 'done', completed_at = now(), last_outcome = NULL`);
  }

  private async changeFailed(manager: EntityManager, orderId: string, sets: string): Promise<CreditRow | null> {
    const res: unknown[] = await manager.query(`UPDATE smm_credits SET ${sets}, updated_at = now() WHERE order_id = $1 AND status = 'failed' RETURNING *`, [
      orderId,
    ]);
    return returnedRows<CreditRow>(res)[0] ?? null;
  }

  /** An UPDATE that applies only while this worker's attempt is still the row's current one. */
  private async fenced(row: CreditRow, sets: string, extra: unknown[]): Promise<boolean> {
    const res = returnedRows(
      await this.db.query(
        `UPDATE smm_credits SET ${sets}, updated_at = now() WHERE order_id = $1 AND status = 'attempting' AND attempts = $2 RETURNING order_id`,
        [row.order_id, row.attempts, ...extra],
      ),
    );
    return res.length > 0;
  }
}
