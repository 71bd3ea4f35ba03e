import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { constantTimeEqual, sha256Hex } from '../common/crypto';
import { problem } from '../common/problem';
import { ORDERS_ERRORS } from './orders.errors';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';

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

  constructor(private readonly keys: IdempotencyKeysRepository) {}

  static validKey(key: string): boolean {
    return /^[\x21-\x7e]{1,255}$/.test(key);
  }

  async start(scope: Scope, key: string, fingerprint: unknown): Promise<IdempotencyStart> {
    const hash = sha256Hex(canonicalJson(fingerprint));
    if (await this.keys.reserve(scope, key, hash, IdempotencyService.LOCK_SECONDS)) return { kind: 'proceed' };
    const row = await this.keys.find(scope, key);
    if (!row) return this.start(scope, key, fingerprint); // deleted in between: try again
    // Constant-time like every hash comparison (the fingerprint says what another request with this key contained).
    if (!constantTimeEqual(row.request_hash, hash)) {
      throw problem(ORDERS_ERRORS.idempotency_key_reused, 'this Idempotency-Key was already used with a different request body');
    }
    if (row.state === 'done') return { kind: 'replay', status: row.response_status, body: row.response_body };
    if (row.lock_expired && (await this.keys.takeOverExpiredLock(scope, key, IdempotencyService.LOCK_SECONDS))) return { kind: 'proceed' };
    throw problem(ORDERS_ERRORS.idempotency_in_flight, 'a request with this Idempotency-Key is still being processed; retry shortly', {
      headers: { 'Retry-After': '1' },
    });
  }

  async finish(scope: Scope, key: string, status: number, body: unknown): Promise<void> {
    await this.keys.saveResponse(scope, key, status, body);
  }

  /** The request failed in a way worth retrying (5xx, gateway down): free the key. */
  async release(scope: Scope, key: string): Promise<void> {
    await this.keys.releaseInFlight(scope, key);
  }

  /** Run hourly by IdempotencyPurgeJob. */
  async purgeExpired(): Promise<void> {
    await this.keys.purgeExpired();
  }
}
