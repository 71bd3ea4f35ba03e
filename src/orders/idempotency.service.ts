import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { constantTimeEqual, sha256Hex } from '../common/crypto';
import { problem, ProblemException } from '../common/problem';
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

  /**
   * Runs `create` under an Idempotency-Key (POST endpoints that create something): without a key
   * it just runs; a repeat of a finished request answers the first response (status and body, with
   * `Idempotent-Replayed: true`, written onto `reply`); deterministic refusals (4xx but 409/429) are
   * remembered like successes; failures worth retrying free the key.
   */
  async run<T>(
    scope: Scope,
    key: string | undefined,
    request: { path: string; body: unknown },
    reply: { status(code: number): unknown; header(name: string, value: string): unknown },
    create: () => Promise<T>,
  ): Promise<T | unknown> {
    if (key === undefined) return create();
    if (!IdempotencyService.validKey(key)) throw problem(ORDERS_ERRORS.bad_idempotency_key, 'Idempotency-Key must be 1–255 printable ASCII characters');
    const start = await this.start(scope, key, { method: 'POST', path: request.path, body: request.body });
    if (start.kind === 'replay') {
      reply.status(start.status);
      reply.header('Idempotent-Replayed', 'true');
      if (start.status >= 400) reply.header('content-type', 'application/problem+json; charset=utf-8');
      return start.body;
    }
    try {
      const created = await create();
      await this.finish(scope, key, 201, created);
      return created;
    } catch (err) {
      if (err instanceof ProblemException && err.status < 500 && err.status !== 409 && err.status !== 429) {
        await this.finish(scope, key, err.status, err.toBody(request.path));
      } else {
        await this.release(scope, key);
      }
      throw err;
    }
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
