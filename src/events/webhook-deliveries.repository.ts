import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { DataSource, EntityManager } from 'typeorm';
import { BREAKER_FAILURES } from './webhook-policy';
import { preparedQuery } from '../database/prepared';
import type { NewEvent } from './events.repository';
import { CLAIMED_NULLS, ClaimParams, fairClaimCtes, OUTCOME_CTES, outcomeValues } from './webhook-claims.repository';

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
/** The claim on its own: claimDue's values. */
const CLAIM_ALONE: ClaimParams = {
  limit: '$1',
  claimant: '$2',
  leaseSeconds: '$3',
  endpointConcurrency: '$4',
  breakerFailures: '$5',
  merchantCap: '$6',
  notOnTheWire: '$7',
};
/** The claim after the outcomes ($1 the claimant, $2 the written ids, …, $12: outcomeValues), recordOutcomesAndClaim's values. */
const CLAIM_AFTER_OUTCOMES: ClaimParams = {
  claimant: '$1',
  exclude: '$2',
  limit: '$13',
  leaseSeconds: '$14',
  endpointConcurrency: '$15',
  breakerFailures: '$16',
  merchantCap: '$17',
  notOnTheWire: '$18',
};

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
    // Not prepared: a generic plan made while the table's statistics are young costs ~37 ms a call instead of ~1 (docs/benchmarks.md).
    return this.db.query(`WITH RECURSIVE ${fairClaimCtes(CLAIM_ALONE)} SELECT * FROM claimed`, [
      claim.limit,
      claim.claimant,
      claim.leaseSeconds,
      claim.endpointConcurrency,
      BREAKER_FAILURES,
      claim.merchantCap,
      claim.notOnTheWire,
    ]);
  }

  /**
   * The group commit, one statement (atomic on its own, one round trip): the deliveries
   * `claimant` still holds get their new state, and every attempt made is logged (it happened
   * whether or not the claim is still held). Returns the ids whose state was written.
   */
  async recordOutcomes(claimant: string, outcomes: DeliveryOutcome[]): Promise<Set<string>> {
    const rows = await preparedQuery<{ id: string }>(
      this.db,
      'khqr_webhook_outcomes',
      `WITH ${OUTCOME_CTES} SELECT id FROM updated`,
      outcomeValues(claimant, outcomes),
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * The group commit and the next claim in one statement (one round trip where there were two):
   * the outcomes are written as by recordOutcomes, and the slots they free are claimed as by
   * claimDue. The claim counts in flight what the database shows less `claim.notOnTheWire`, which
   * holds every row written here (their attempts are over), so it sees the slots they free; it
   * never takes a row written here (their leases make them not due, and they are excluded by id).
   */
  async recordOutcomesAndClaim(claimant: string, outcomes: DeliveryOutcome[], claim: ClaimRequest): Promise<{ held: Set<string>; claimed: ClaimedDelivery[] }> {
    // Not prepared, as claimDue.
    const rows: (ClaimedDelivery & { held_id: string | null })[] = await this.db.query(
      `WITH RECURSIVE ${OUTCOME_CTES}, ${fairClaimCtes(CLAIM_AFTER_OUTCOMES)}
       SELECT NULL AS held_id, * FROM claimed UNION ALL SELECT id, ${CLAIMED_NULLS} FROM updated`,
      [
        ...outcomeValues(claimant, outcomes),
        claim.limit,
        claim.leaseSeconds,
        claim.endpointConcurrency,
        BREAKER_FAILURES,
        claim.merchantCap,
        claim.notOnTheWire,
      ],
    );
    const held = new Set<string>();
    const claimed: ClaimedDelivery[] = [];
    for (const { held_id, ...row } of rows) {
      if (held_id !== null) held.add(held_id);
      else claimed.push(row);
    }
    return { held, claimed };
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
