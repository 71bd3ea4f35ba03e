import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { DataSource } from 'typeorm';
import { returnedRows } from '../database/rows';

/** A key already recorded: what the first request sent and, once done, what it answered. */
export interface IdempotencyKeyRow {
  request_hash: string;
  state: 'in_flight' | 'done';
  response_status: number;
  response_body: unknown;
  /** The first request's lock has run out (it crashed mid-flight). */
  lock_expired: boolean;
}

/** The idempotency_keys table's reads and writes, by intent. */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(private readonly db: DataSource) {}

  /** Records the key as in flight, locked for `lockSeconds`; false when the merchant already used it in this mode. */
  async reserve(scope: Scope, key: string, requestHash: string, lockSeconds: number): Promise<boolean> {
    const inserted: unknown[] = await this.db.query(
      `INSERT INTO idempotency_keys (merchant_id, key, request_hash, state, locked_until, livemode)
       VALUES ($1, $2, $3, 'in_flight', now() + make_interval(secs => $4), $5)
       ON CONFLICT (merchant_id, livemode, key) DO NOTHING RETURNING key`,
      [scope.merchantId, key, requestHash, lockSeconds, scope.livemode],
    );
    return inserted.length > 0;
  }

  async find(scope: Scope, key: string): Promise<IdempotencyKeyRow | null> {
    const [row]: IdempotencyKeyRow[] = await this.db.query(
      `SELECT request_hash, state, response_status, response_body, locked_until < now() AS lock_expired FROM idempotency_keys WHERE merchant_id = $1 AND livemode = $3 AND key = $2`,
      [scope.merchantId, key, scope.livemode],
    );
    return row ?? null;
  }

  /** Takes over an in-flight key whose lock ran out, for another `lockSeconds`; false when someone else took it first. */
  async takeOverExpiredLock(scope: Scope, key: string, lockSeconds: number): Promise<boolean> {
    const taken: unknown = await this.db.query(
      `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3) WHERE merchant_id = $1 AND livemode = $4 AND key = $2 AND state = 'in_flight' AND locked_until < now() RETURNING key`,
      [scope.merchantId, key, lockSeconds, scope.livemode],
    );
    return returnedRows(taken).length > 0;
  }

  /** The response later requests with this key replay. */
  async saveResponse(scope: Scope, key: string, status: number, body: unknown): Promise<void> {
    await this.db.query(
      `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4 WHERE merchant_id = $1 AND livemode = $5 AND key = $2`,
      [scope.merchantId, key, status, JSON.stringify(body), scope.livemode],
    );
  }

  /** Frees a key whose request is still in flight (it failed in a way worth retrying). */
  async releaseInFlight(scope: Scope, key: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE merchant_id = $1 AND livemode = $3 AND key = $2 AND state = 'in_flight'`, [
      scope.merchantId,
      key,
      scope.livemode,
    ]);
  }

  /** Forgets keys older than the 48 hours they are kept. */
  async purgeExpired(): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE created_at < now() - interval '48 hours'`);
  }
}
