import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { constantTimeEqual, sha256Hex } from '../common/crypto';
import { ProblemException } from '../common/problem';

export type IdempotencyStart = { kind: 'proceed' } | { kind: 'replay'; status: number; body: unknown };

/** Deterministic JSON: keys sorted, so the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Idempotency-Key (IETF httpapi draft): same key + same body replays the first response;
 * same key + other body is 422; same key while the first is still running is 409. Keys are
 * kept 48 hours. A request that crashed mid-flight frees its key after the lock expires.
 */
@Injectable()
export class IdempotencyService {
  static readonly LOCK_SECONDS = 60;

  constructor(private readonly db: DataSource) {}

  static validKey(key: string): boolean {
    return /^[\x21-\x7e]{1,255}$/.test(key);
  }

  async start(merchantId: string, key: string, fingerprint: unknown): Promise<IdempotencyStart> {
    const hash = sha256Hex(canonicalJson(fingerprint));
    const inserted: unknown[] = await this.db.query(
      `INSERT INTO idempotency_keys (merchant_id, key, request_hash, state, locked_until)
       VALUES ($1, $2, $3, 'in_flight', now() + make_interval(secs => $4))
       ON CONFLICT (merchant_id, key) DO NOTHING RETURNING key`,
      [merchantId, key, hash, IdempotencyService.LOCK_SECONDS],
    );
    if (inserted.length) return { kind: 'proceed' };
    const [row]: { request_hash: string; state: string; response_status: number; response_body: unknown; lock_expired: boolean }[] = await this.db.query(
      `SELECT request_hash, state, response_status, response_body, locked_until < now() AS lock_expired FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`,
      [merchantId, key],
    );
    if (!row) return this.start(merchantId, key, fingerprint); // deleted in between: try again
    // Constant-time like every hash comparison (the fingerprint says what another request with this key contained).
    if (!constantTimeEqual(row.request_hash, hash)) {
      throw new ProblemException(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body');
    }
    if (row.state === 'done') return { kind: 'replay', status: row.response_status, body: row.response_body };
    if (row.lock_expired) {
      const taken: unknown[] = await this.db.query(
        `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3) WHERE merchant_id = $1 AND key = $2 AND state = 'in_flight' AND locked_until < now() RETURNING key`,
        [merchantId, key, IdempotencyService.LOCK_SECONDS],
      );
      if ((taken[0] as unknown[])?.length) return { kind: 'proceed' };
    }
    throw new ProblemException(409, 'idempotency_in_flight', 'a request with this Idempotency-Key is still being processed; retry shortly', {
      headers: { 'Retry-After': '1' },
    });
  }

  async finish(merchantId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.db.query(`UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4 WHERE merchant_id = $1 AND key = $2`, [
      merchantId,
      key,
      status,
      JSON.stringify(body),
    ]);
  }

  /** The request failed in a way worth retrying (5xx, gateway down): free the key. */
  async release(merchantId: string, key: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2 AND state = 'in_flight'`, [merchantId, key]);
  }

  @Cron(CronExpression.EVERY_HOUR)
  async purgeExpired(): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE created_at < now() - interval '48 hours'`);
  }
}
