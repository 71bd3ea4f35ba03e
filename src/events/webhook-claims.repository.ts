import { newId } from '../common/ids';
import type { DeliveryOutcome } from './webhook-deliveries.repository';

/**
 * The dispatcher's SQL texts, shared by WebhookDeliveriesRepository's statements: the fair claim
 * (on its own, or made by a group commit of outcomes) and the group commit. Text only: the
 * statements run in webhook-deliveries.repository.ts.
 */

/** Placeholders ($n) of a claim's values in the statement that embeds it. */
export interface ClaimParams {
  limit: string;
  claimant: string;
  leaseSeconds: string;
  endpointConcurrency: string;
  breakerFailures: string;
  merchantCap: string;
  notOnTheWire: string;
  /** Delivery ids the claim must not take (text[]): rows the same statement writes. */
  exclude?: string;
}

/** What a claim returns per row (ClaimedDelivery), `d` the claimed delivery, `e` its event, `ep` its endpoint. */
export const CLAIMED_COLUMNS = `d.id, d.attempts, d.endpoint_id, e.id AS event_id, e.type, e.livemode, e.sequence, e.data, e.created_at AS event_created_at, e.order_id,
  ep.url, ep.secret_sealed, ep.previous_secret_sealed, ep.previous_secret_expires_at,
  ep.status AS endpoint_status, ep.deleted_at AS endpoint_deleted_at, ep.consecutive_failures`;

/** ClaimedDelivery's columns in CLAIMED_COLUMNS' order, as NULLs (the other branch of a UNION ALL). */
export const CLAIMED_NULLS = Array.from({ length: 17 }, () => 'NULL').join(', ');

/**
 * The CTEs of the fair claim (to follow `WITH RECURSIVE`), ending in `claimed`: the rows taken,
 * marked delivering for the claimant, returning CLAIMED_COLUMNS. See WebhookDeliveriesRepository.claimDue.
 */
export function fairClaimCtes(p: ClaimParams): string {
  const exclude = p.exclude ? ` AND w.id <> ALL(${p.exclude}::text[])` : '';
  return `active(endpoint_id) AS (
         (SELECT endpoint_id FROM webhook_deliveries WHERE status IN ('pending', 'failed', 'delivering') ORDER BY endpoint_id LIMIT 1)
         UNION ALL
         SELECT (SELECT w.endpoint_id FROM webhook_deliveries w
                 WHERE w.status IN ('pending', 'failed', 'delivering') AND w.endpoint_id > a.endpoint_id ORDER BY w.endpoint_id LIMIT 1)
         FROM active a WHERE a.endpoint_id IS NOT NULL
       ), eps AS (
         SELECT ep.id, ep.merchant_id, f.n AS in_flight,
                CASE WHEN ep.status <> 'enabled' OR ep.deleted_at IS NOT NULL THEN ${p.limit}
                     WHEN ep.consecutive_failures >= ${p.breakerFailures} THEN 1
                     ELSE ${p.endpointConcurrency} END - f.n AS room,
                ep.status = 'enabled' AND ep.deleted_at IS NULL AND COALESCE(ep.paused_until > now(), false) AS paused
         FROM active a JOIN webhook_endpoints ep ON ep.id = a.endpoint_id
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS n FROM webhook_deliveries f
           WHERE f.endpoint_id = ep.id AND f.status = 'delivering' AND f.next_attempt_at > now() AND f.id <> ALL(${p.notOnTheWire}::text[])
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
           WHERE w.endpoint_id = e.id AND w.status IN ('pending', 'failed', 'delivering') AND w.next_attempt_at <= now()${exclude}
           ORDER BY w.next_attempt_at
           LIMIT e.room
         ) c
         WHERE e.room > 0 AND NOT e.paused
       ), due AS (
         SELECT d.id FROM webhook_deliveries d
         JOIN (SELECT id, level, next_attempt_at FROM candidates WHERE level <= ${p.merchantCap} ORDER BY level, next_attempt_at LIMIT ${p.limit}) pick ON pick.id = d.id
         WHERE d.status IN ('pending', 'failed', 'delivering') AND d.next_attempt_at <= now()
         FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d
         SET status = 'delivering', claimed_by = ${p.claimant}, claimed_until = now() + make_interval(secs => ${p.leaseSeconds}),
             next_attempt_at = now() + make_interval(secs => ${p.leaseSeconds}), updated_at = now()
         FROM due, events e, webhook_endpoints ep
         WHERE d.id = due.id AND e.id = d.event_id AND ep.id = d.endpoint_id
         RETURNING ${CLAIMED_COLUMNS}
       )`;
}

/**
 * The group commit's CTEs (values: outcomeValues): the deliveries $1 still holds get their new
 * state (`updated`: the ids written), and every attempt made is logged, whether or not the claim
 * is still held (it happened).
 */
export const OUTCOME_CTES = `o AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::int[])
      AS o(id, status, tried, next_at, started_at, http_status, latency_ms, snippet, error, attempt_id, attempt)
  ), updated AS (
    UPDATE webhook_deliveries d SET status = o.status, attempts = d.attempts + o.tried, next_attempt_at = o.next_at, claimed_by = NULL, claimed_until = NULL,
      last_attempt_at = COALESCE(o.started_at, d.last_attempt_at), last_status = CASE WHEN o.tried = 1 THEN o.http_status ELSE d.last_status END,
      last_latency_ms = COALESCE(o.latency_ms, d.last_latency_ms), last_response = CASE WHEN o.tried = 1 THEN o.snippet ELSE d.last_response END, last_error = o.error,
      delivered_at = CASE WHEN o.status = 'delivered' THEN now() ELSE d.delivered_at END, updated_at = now()
    FROM o WHERE d.id = ANY($2::text[]) AND d.id = o.id AND d.claimed_by = $1 AND d.status = 'delivering'
    RETURNING d.id
  ), logged AS (
    INSERT INTO webhook_attempts (id, delivery_id, attempt, started_at, status, latency_ms, response_snippet, error)
    SELECT attempt_id, id, attempt, started_at, http_status, latency_ms, snippet, error FROM o WHERE tried = 1
  )`;

export function outcomeValues(claimant: string, outcomes: DeliveryOutcome[]): unknown[] {
  const col = <T>(f: (o: DeliveryOutcome) => T) => outcomes.map(f);
  return [
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
  ];
}
