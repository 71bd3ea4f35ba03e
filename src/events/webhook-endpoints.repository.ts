import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/rows';
import type { BreakerTally } from './webhook-policy';

export interface EndpointRow {
  id: string;
  merchant_id: string;
  /** An endpoint belongs to one mode and receives only that mode's events. */
  livemode: boolean;
  url: string;
  events: string[];
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** An endpoint whose breaker count a group changed, as it is now. */
export interface BreakerState {
  id: string;
  paused_until: Date | null;
  consecutive_failures: number;
  /** The group's unanswered attempts to it (consecutive_failures - failed is the count before). */
  failed: number;
}

/** The webhook_endpoints table's one owner. */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(private readonly db: DataSource) {}

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * The merchant's live endpoints, counted under a lock on the merchant's row: creations for one
   * merchant queue behind each other, so the cap holds under concurrency.
   */
  async countLiveLockingMerchant(manager: EntityManager, scope: Scope): Promise<number> {
    await manager.query(`SELECT 1 FROM merchants WHERE id = $1 FOR UPDATE`, [scope.merchantId]);
    const [{ count }]: { count: string }[] = await manager.query(
      `SELECT count(*) FROM webhook_endpoints WHERE merchant_id = $1 AND livemode = $2 AND deleted_at IS NULL`,
      [scope.merchantId, scope.livemode],
    );
    return Number(count);
  }

  async insert(manager: EntityManager, row: Pick<EndpointRow, 'id' | 'merchant_id' | 'livemode' | 'url' | 'events' | 'secret_sealed'>): Promise<EndpointRow> {
    const rows: EndpointRow[] = await manager.query(
      `INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, events, secret_sealed) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [row.id, row.merchant_id, row.livemode, row.url, row.events, row.secret_sealed],
    );
    return rows[0];
  }

  async existsAt(scope: Scope, url: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM webhook_endpoints WHERE merchant_id = $1 AND livemode = $3 AND url = $2 AND deleted_at IS NULL`,
      [scope.merchantId, url, scope.livemode],
    );
    return rows.length > 0;
  }

  /** Live endpoints, newest first; one row more than `limit`, so the caller can tell has_more. */
  listForMerchant(scope: Scope, limit: number, startingAfter?: string): Promise<EndpointRow[]> {
    const params: unknown[] = [scope.merchantId, limit + 1, scope.livemode];
    let where = 'merchant_id = $1 AND livemode = $3 AND deleted_at IS NULL';
    if (startingAfter) {
      params.push(startingAfter);
      where += ` AND id < $4`;
    }
    return this.db.query(`SELECT * FROM webhook_endpoints WHERE ${where} ORDER BY id DESC LIMIT $2`, params);
  }

  /** A live endpoint of the merchant's, locked FOR UPDATE when asked (inside `manager`'s transaction). */
  async findForMerchant(scope: Scope, id: string, options: { manager?: EntityManager; lock?: boolean } = {}): Promise<EndpointRow | null> {
    const manager = options.manager ?? this.db.manager;
    const rows: EndpointRow[] = await manager.query(
      `SELECT * FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND livemode = $3 AND deleted_at IS NULL${options.lock ? ' FOR UPDATE' : ''}`,
      [id, scope.merchantId, scope.livemode],
    );
    return rows[0] ?? null;
  }

  async softDelete(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
  }

  /** The new sealed secret; the previous one keeps signing until `previousExpiresAt` (none when null). */
  async replaceSecret(
    manager: EntityManager,
    id: string,
    secretSealed: string,
    previousSealed: string | null,
    previousExpiresAt: Date | null,
  ): Promise<EndpointRow> {
    const result: unknown = await manager.query(
      `UPDATE webhook_endpoints SET secret_sealed = $2, previous_secret_sealed = $3, previous_secret_expires_at = $4, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, secretSealed, previousSealed, previousExpiresAt],
    );
    return returnedRows<EndpointRow>(result)[0];
  }

  /** Disables an enabled endpoint (a no-op when it already is). */
  async disable(manager: EntityManager, id: string, reason: string): Promise<void> {
    await manager.query(`UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, updated_at = now() WHERE id = $1 AND status = 'enabled'`, [
      id,
      reason,
    ]);
  }

  /**
   * One statement for a group's breakers. Locks the endpoint rows in id order, so it cannot
   * deadlock with another instance's update. An answer resets the count and closes the breaker;
   * otherwise the count grows by the unanswered attempts, and at `failuresToOpen` the endpoint is
   * paused for `cooldownSeconds` (again after each failed probe).
   */
  async updateBreakers(tallies: BreakerTally[], failuresToOpen: number, cooldownSeconds: number): Promise<BreakerState[]> {
    const result: unknown = await this.db.query(
      `WITH t AS (
         SELECT * FROM unnest($1::text[], $2::int[], $3::bool[]) AS t(id, failed, answered)
       ), locked AS (
         SELECT ep.id FROM webhook_endpoints ep WHERE ep.id IN (SELECT id FROM t) ORDER BY ep.id FOR NO KEY UPDATE
       )
       UPDATE webhook_endpoints ep SET
         consecutive_failures = CASE WHEN t.answered THEN 0 ELSE ep.consecutive_failures + t.failed END,
         paused_until = CASE WHEN t.answered THEN NULL
                             WHEN ep.consecutive_failures + t.failed >= $4 THEN now() + make_interval(secs => $5)
                             ELSE ep.paused_until END
       FROM t, locked
       WHERE ep.id = t.id AND locked.id = t.id
       RETURNING ep.id, ep.paused_until, ep.consecutive_failures, t.failed`,
      [tallies.map((t) => t.endpointId), tallies.map((t) => t.failed), tallies.map((t) => t.answered), failuresToOpen, cooldownSeconds],
    );
    return returnedRows<BreakerState>(result);
  }
}
