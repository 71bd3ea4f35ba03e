import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { DataSource, EntityManager } from 'typeorm';
import { newId } from '../common/ids';
import { returnedRows } from '../database/rows';
import { BREAKER_FAILURES } from './webhook-policy';
import { preparedQuery } from '../database/prepared';
import type { NewEvent } from './events.repository';

/** Dispatchers LISTEN here; a transaction that makes a delivery due NOTIFYs it (delivered at commit). */
export const NOTIFY_CHANNEL = 'webhook_deliveries';

/** A delivery claimed for sending, with its event and its endpoint as they were when claimed. */
export interface ClaimedDelivery {
  id: string;
  attempts: number;
  endpoint_id: string;
  event_id: string;
  type: string;
  livemode: boolean;
  sequence: number;
  data: Record<string, unknown>;
  event_created_at: Date;
  order_id: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  endpoint_status: string;
  endpoint_deleted_at: Date | null;
  /** The endpoint's breaker count when claimed: an answer then has a count to reset. */
  consecutive_failures: number;
}

export interface ClaimRequest {
  /** Who holds the claims (one dispatcher instance). */
  claimant: string;
  limit: number;
  leaseSeconds: number;
  /** Most deliveries on the wire to one endpoint (WEBHOOK_ENDPOINT_CONCURRENCY). */
  endpointConcurrency: number;
  /** Most deliveries on the wire for one merchant (merchantInFlightCap). */
  merchantCap: number;
  /** The claimant's rows still 'delivering' whose attempt is over: not counted as in flight. */
  notOnTheWire: string[];
}

/** The result of one attempt, as logged in webhook_attempts. */
export interface AttemptRecord {
  startedAt: Date;
  status: number | null;
  latencyMs: number;
  snippet: string | null;
  error: string | null;
}

/** A claimed delivery's new state, with its attempt when one was made (none for a delivery dead-lettered without a send). */
export interface DeliveryOutcome {
  id: string;
  status: 'delivered' | 'failed' | 'dead';
  /** The delivery's attempt count before this attempt. */
  attemptsBefore: number;
  attempt: AttemptRecord | null;
  nextAt: Date | null;
  error: string | null;
}

export type { AttemptRow, DeliveryFilter, DeliveryRow } from './webhook-delivery-rows';
import type { AttemptRow, DeliveryFilter, DeliveryRow } from './webhook-delivery-rows';

const SELECT_DELIVERY = `SELECT d.id, d.event_id, e.type AS event_type, d.endpoint_id, d.merchant_id, ep.livemode, ep.url, d.status, d.attempts, d.next_attempt_at,
  d.last_attempt_at, d.last_status, d.last_latency_ms, d.last_response, d.last_error, d.delivered_at, d.created_at
  FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhook_endpoints ep ON ep.id = d.endpoint_id`;

/**
 * The fan-out of the event inserted by a CTE named `ev` (returning its `id`), as the CTEs `e` (the merchant's enabled
 * endpoints of the event's mode that take its type) and `ins` (one pending delivery each, RETURNING 1), for a
 * statement that writes the event: `insertEventWithFanOut`, and order creation's one-statement path
 * (OrdersRepository.insertCreated). The arguments are the statement's placeholders; `ids` (text[]) are the delivery ids
 * to use in endpoint order, the fallback id only guards the endpoint cap.
 */
export function fanOutCtes(p: { merchant: string; livemode: string; type: string; ids: string }): string {
  return `e AS (
         SELECT id, row_number() OVER (ORDER BY id) AS i FROM webhook_endpoints
         WHERE merchant_id = ${p.merchant} AND livemode = ${p.livemode} AND status = 'enabled' AND deleted_at IS NULL AND (cardinality(events) = 0 OR ${p.type} = ANY(events))
       ), ins AS (
         INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, status, next_attempt_at)
         SELECT COALESCE((${p.ids}::text[])[e.i], ev.id || '_' || e.id), ev.id, e.id, ${p.merchant}, 'pending', now() FROM e, ev
         RETURNING 1
       )`;
}

/** The webhook_deliveries table's one owner (and of webhook_attempts, its attempt log). */
type ReplayState = { status: string; endpoint_status: string; deleted_at: Date | null };
/**
 * Scopes a by-id query to a merchant's deliveries of one mode when $2 (merchant) and $3 (livemode) are given (the
 * merchant's own log: a delivery's mode is its endpoint's), to all when they are null (operators).
 */
const OWN = '($2::text IS NULL OR (d.merchant_id = $2 AND ep.livemode = $3))';

@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly db: DataSource) {}

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * The event row and its fan-out in one statement, inside the event's transaction (one round trip
   * on every order's path): inserts the event, matches the merchant's endpoints of the event's mode,
   * inserts their deliveries and NOTIFYs the dispatchers only when there is something to deliver.
   * `ids` are the delivery ids to use in endpoint order; the fallback id only guards the endpoint
   * cap, so an event can never fail to be written. The deliveries reference the event inserted by
   * the same statement (foreign keys are checked at the statement's end). Returns how many
   * deliveries, and whether a notification channel of the event's mode is subscribed to its type
   * (so the notifications listener skips its own query, a round trip, for the many merchants without one).
   */
  async insertEventWithFanOut(manager: EntityManager, event: NewEvent, ids: string[]): Promise<{ deliveries: number; notificationChannels: boolean }> {
    const [{ n, channels }] = await preparedQuery<{ n: number; channels: boolean }>(
      manager,
      'khqr_event_insert_fan_out',
      `WITH ev AS (
         INSERT INTO events (id, merchant_id, order_id, type, sequence, data, created_at, livemode) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
       ), ${fanOutCtes({ merchant: '$2', livemode: '$8', type: '$4', ids: '$9' })}
       SELECT c.n, CASE WHEN c.n > 0 THEN pg_notify($10, '') END AS notified,
              EXISTS (SELECT 1 FROM notification_channels WHERE merchant_id = $2 AND livemode = $8 AND $4 = ANY(events)) AS channels
         FROM (SELECT count(*)::int AS n FROM ins) c`,
      [event.id, event.merchantId, event.orderId, event.type, event.sequence, event.data, event.createdAt, event.livemode, ids, NOTIFY_CHANNEL],
    );
    return { deliveries: n, notificationChannels: channels };
  }

  /**
   * Due rows (pending, failed whose retry time has come, or delivering whose claim expired),
   * claimed for `claimant`, fairly, in one statement:
   * 1. the endpoints with waiting rows, by a skip scan of the per-endpoint index (one probe per
   *    endpoint, however many rows wait), with what each has in flight: unexpired claims, less
   *    the claimant's `notOnTheWire` rows (attempt over, outcome not yet written). Other
   *    instances' rows count as the database shows them, so across instances the count can only
   *    be too high (a row answered there but not yet written), never too low;
   * 2. per endpoint not paused by its breaker, its oldest due rows up to its free room
   *    (`endpointConcurrency`, or 1 when half-open; uncapped for a disabled or deleted
   *    endpoint, whose rows are dead-lettered without a send);
   * 3. each merchant's candidates taken in turns across its endpoints, levelled by what the
   *    merchant already has in flight; the lowest levels win the free slots (so the least-served
   *    merchant goes first) and no merchant goes past `merchantCap`;
   * 4. those rows locked with SKIP LOCKED, re-checked as still due, and marked delivering.
   * Concurrent claims see the same oldest rows per endpoint, so they skip each other's locks
   * instead of taking rows past the cap.
   */
  async claimDue(claim: ClaimRequest): Promise<ClaimedDelivery[]> {
    const rows: unknown = await this.db.query(
      `WITH RECURSIVE active(endpoint_id) AS (
         (SELECT endpoint_id FROM webhook_deliveries WHERE status IN ('pending', 'failed', 'delivering') ORDER BY endpoint_id LIMIT 1)
         UNION ALL
         SELECT (SELECT w.endpoint_id FROM webhook_deliveries w
                 WHERE w.status IN ('pending', 'failed', 'delivering') AND w.endpoint_id > a.endpoint_id ORDER BY w.endpoint_id LIMIT 1)
         FROM active a WHERE a.endpoint_id IS NOT NULL
       ), eps AS (
         SELECT ep.id, ep.merchant_id, f.n AS in_flight,
                CASE WHEN ep.status <> 'enabled' OR ep.deleted_at IS NOT NULL THEN $1
                     WHEN ep.consecutive_failures >= $5 THEN 1
                     ELSE $4 END - f.n AS room,
                ep.status = 'enabled' AND ep.deleted_at IS NULL AND COALESCE(ep.paused_until > now(), false) AS paused
         FROM active a JOIN webhook_endpoints ep ON ep.id = a.endpoint_id
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS n FROM webhook_deliveries f
           WHERE f.endpoint_id = ep.id AND f.status = 'delivering' AND f.next_attempt_at > now() AND f.id <> ALL($7::text[])
         ) f
       ), merchants AS (
         SELECT merchant_id, sum(in_flight)::int AS in_flight FROM eps GROUP BY merchant_id
       ), candidates AS (
         SELECT c.id, c.next_attempt_at,
                m.in_flight + row_number() OVER (PARTITION BY e.merchant_id ORDER BY c.turn, c.next_attempt_at) AS level
         FROM eps e JOIN merchants m ON m.merchant_id = e.merchant_id
         CROSS JOIN LATERAL (
           SELECT w.id, w.next_attempt_at, row_number() OVER (ORDER BY w.next_attempt_at) AS turn
           FROM webhook_deliveries w
           WHERE w.endpoint_id = e.id AND w.status IN ('pending', 'failed', 'delivering') AND w.next_attempt_at <= now()
           ORDER BY w.next_attempt_at
           LIMIT e.room
         ) c
         WHERE e.room > 0 AND NOT e.paused
       ), due AS (
         SELECT d.id FROM webhook_deliveries d
         JOIN (SELECT id, level, next_attempt_at FROM candidates WHERE level <= $6 ORDER BY level, next_attempt_at LIMIT $1) pick ON pick.id = d.id
         WHERE d.status IN ('pending', 'failed', 'delivering') AND d.next_attempt_at <= now()
         FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
       SET status = 'delivering', claimed_by = $2, claimed_until = now() + make_interval(secs => $3),
           next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
       FROM due, events e, webhook_endpoints ep
       WHERE d.id = due.id AND e.id = d.event_id AND ep.id = d.endpoint_id
       RETURNING d.id, d.attempts, d.endpoint_id, e.id AS event_id, e.type, e.livemode, e.sequence, e.data, e.created_at AS event_created_at, e.order_id,
                 ep.url, ep.secret_sealed, ep.previous_secret_sealed, ep.previous_secret_expires_at,
                 ep.status AS endpoint_status, ep.deleted_at AS endpoint_deleted_at, ep.consecutive_failures`,
      [claim.limit, claim.claimant, claim.leaseSeconds, claim.endpointConcurrency, BREAKER_FAILURES, claim.merchantCap, claim.notOnTheWire],
    );
    return returnedRows<ClaimedDelivery>(rows);
  }

  /**
   * The group commit, one statement (atomic on its own, one round trip): the deliveries
   * `claimant` still holds get their new state, and every attempt made is logged (it happened
   * whether or not the claim is still held). Returns the ids whose state was written.
   */
  async recordOutcomes(claimant: string, outcomes: DeliveryOutcome[]): Promise<Set<string>> {
    const col = <T>(f: (o: DeliveryOutcome) => T) => outcomes.map(f);
    const updated: unknown = await this.db.query(
      `WITH o AS (
         SELECT * FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::int[])
           AS o(id, status, tried, next_at, started_at, http_status, latency_ms, snippet, error, attempt_id, attempt)
       ), updated AS (
         UPDATE webhook_deliveries d SET status = o.status, attempts = d.attempts + o.tried, next_attempt_at = o.next_at, claimed_by = NULL, claimed_until = NULL,
           last_attempt_at = COALESCE(o.started_at, d.last_attempt_at), last_status = CASE WHEN o.tried = 1 THEN o.http_status ELSE d.last_status END,
           last_latency_ms = COALESCE(o.latency_ms, d.last_latency_ms), last_response = CASE WHEN o.tried = 1 THEN o.snippet ELSE d.last_response END, last_error = o.error,
           delivered_at = CASE WHEN o.status = 'delivered' THEN now() ELSE d.delivered_at END, updated_at = now()
         FROM o WHERE d.id = o.id AND d.claimed_by = $1 AND d.status = 'delivering'
         RETURNING d.id
       ), logged AS (
         INSERT INTO webhook_attempts (id, delivery_id, attempt, started_at, status, latency_ms, response_snippet, error)
         SELECT attempt_id, id, attempt, started_at, http_status, latency_ms, snippet, error FROM o WHERE tried = 1
       )
       SELECT id FROM updated`,
      [
        claimant,
        col((o) => o.id),
        col((o) => o.status),
        col((o) => (o.attempt ? 1 : 0)),
        col((o) => o.nextAt),
        col((o) => o.attempt?.startedAt ?? null),
        col((o) => o.attempt?.status ?? null),
        col((o) => o.attempt?.latencyMs ?? null),
        col((o) => o.attempt?.snippet ?? null),
        col((o) => o.error),
        col((o) => (o.attempt ? newId('wha') : null)),
        col((o) => o.attemptsBefore + 1),
      ],
    );
    return new Set(returnedRows<{ id: string }>(updated).map((r) => r.id));
  }

  /** At shutdown: anything still claimed by `claimant` becomes due again at once. */
  async releaseClaims(claimant: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'failed' END, next_attempt_at = now(),
         claimed_by = NULL, claimed_until = NULL, updated_at = now()
       WHERE claimed_by = $1 AND status = 'delivering'`,
      [claimant],
    );
  }

  /** The endpoint's deliveries still waiting to be sent are dead-lettered with `reason` (its endpoint was disabled or deleted). */
  async deadLetterWaiting(manager: EntityManager, endpointId: string, reason: string): Promise<void> {
    await manager.query(
      `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, last_error = $2, updated_at = now()
       WHERE endpoint_id = $1 AND status IN ('pending', 'failed')`,
      [endpointId, reason],
    );
  }

  /** The delivery log, newest first; one row more than `limit`, so the caller can tell has_more. */
  list(filter: DeliveryFilter): Promise<DeliveryRow[]> {
    const params: unknown[] = [filter.limit + 1];
    const where: string[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('d.status = ?', filter.status);
    if (filter.merchantId) add('d.merchant_id = ?', filter.merchantId);
    if (filter.livemode !== undefined) add('ep.livemode = ?', filter.livemode);
    if (filter.endpointId) add('d.endpoint_id = ?', filter.endpointId);
    if (filter.eventId) add('d.event_id = ?', filter.eventId);
    if (filter.startingAfter) add('d.id < ?', filter.startingAfter);
    return this.db.query(`${SELECT_DELIVERY} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT $1`, params);
  }

  /** By id; only among `owner`'s deliveries (its merchant and mode) when it is given (the merchant's own log). */
  async find(id: string, owner?: Scope): Promise<DeliveryRow | null> {
    const rows: DeliveryRow[] = await this.db.query(`${SELECT_DELIVERY} WHERE d.id = $1 AND ${OWN}`, [id, owner?.merchantId ?? null, owner?.livemode ?? null]);
    return rows[0] ?? null;
  }

  /** The delivery's attempt log, oldest first (the first 100). */
  attempts(deliveryId: string): Promise<AttemptRow[]> {
    return this.db.query(
      `SELECT attempt, started_at, status, latency_ms, response_snippet, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt, started_at LIMIT 100`,
      [deliveryId],
    );
  }

  /** The delivery's status and its endpoint's, the delivery row locked for a replay (among `owner`'s when given). */
  async lockForReplay(manager: EntityManager, id: string, owner?: Scope): Promise<ReplayState | null> {
    const rows: ReplayState[] = await manager.query(
      `SELECT d.status, ep.status AS endpoint_status, ep.deleted_at FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
       WHERE d.id = $1 AND ${OWN} FOR UPDATE OF d`,
      [id, owner?.merchantId ?? null, owner?.livemode ?? null],
    );
    return rows[0] ?? null;
  }

  /** Due at once, unclaimed; the dispatchers are NOTIFYed (at commit). */
  async requeueNow(manager: EntityManager, id: string): Promise<void> {
    await manager.query(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), claimed_by = NULL, claimed_until = NULL, updated_at = now() WHERE id = $1`,
      [id],
    );
    await manager.query(`SELECT pg_notify($1, '')`, [NOTIFY_CHANNEL]);
  }

  /** The backlog gauges: deliveries still owing an attempt, due now or later, and how late the oldest due one is. */
  async backlog(): Promise<{ due: number; scheduled: number; lagSeconds: number }> {
    const [w]: { due: string; scheduled: string; lag: string | null }[] = await this.db.query(
      `SELECT count(*) FILTER (WHERE next_attempt_at <= now()) AS due, count(*) FILTER (WHERE next_attempt_at > now()) AS scheduled,
              EXTRACT(EPOCH FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())) AS lag
         FROM webhook_deliveries WHERE status IN ('pending', 'failed', 'delivering')`,
    );
    return { due: Number(w?.due ?? 0), scheduled: Number(w?.scheduled ?? 0), lagSeconds: Math.max(0, Number(w?.lag ?? 0)) };
  }
}
