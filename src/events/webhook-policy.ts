import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Pure rules of webhook delivery: secrets, signatures, the retry schedule. No I/O here. */

/** A Retry-After longer than this is capped: the receiver may slow us down, not park a delivery for days. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** Bytes of a receiver's answer kept in the attempt log. */
export const RESPONSE_SNIPPET_CHARS = 512;

/** A new Standard Webhooks secret: "whsec_" + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The webhook-signature header value: one "v1,<base64>" entry per secret, space-separated
 * (during a rotation's grace period both the new and the previous secret sign, so a receiver
 * holding either verifies).
 */
export function signatureHeader(msgId: string, timestamp: Date, body: string, secrets: string[]): string {
  return secrets.map((secret) => new Webhook(secret).sign(msgId, timestamp, body)).join(' ');
}

/** Standard Webhooks headers for one attempt. webhook-id is the event id, so it is stable across retries. */
export function webhookHeaders(eventId: string, timestamp: Date, body: string, secrets: string[]): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'khqr-orchestrator-webhooks/1',
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatureHeader(eventId, timestamp, body, secrets),
  };
}

/** Retry-After as milliseconds from now (delay-seconds or an HTTP-date), or null when absent or malformed. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  const text = raw.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/**
 * Delay before the next attempt after `attemptsMade` failed attempts, or null when the schedule
 * is exhausted (dead-letter). ±20 % jitter spreads a receiver's backlog; a Retry-After can only
 * lengthen the wait, and is capped.
 */
export function nextRetryDelayMs(attemptsMade: number, schedule: number[], retryAfterMs: number | null, random: () => number = Math.random): number | null {
  if (attemptsMade < 1 || attemptsMade > schedule.length) return null;
  const base = schedule[attemptsMade - 1];
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  if (retryAfterMs === null) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

export type AttemptOutcome = 'delivered' | 'gone' | 'retry';

/** 2xx delivered; 410 Gone disables the endpoint; everything else (3xx included: redirects are never followed) is retried. */
export function classifyStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  return 'retry';
}

/**
 * Circuit breaker: this many consecutive attempts to one endpoint without an answer (timed
 * out, refused, reset) open it for WEBHOOK_BREAKER_COOLDOWN_MS. An HTTP answer of any status
 * closes it: such an endpoint is reachable and answers, its errors follow the retry schedule.
 */
export const BREAKER_FAILURES = 5;

/** Whether an attempt counts against its endpoint's breaker: it got no HTTP answer at all. */
export function unanswered(httpStatus: number | null): boolean {
  return httpStatus === null;
}

/**
 * Most deliveries one merchant may have in flight across all instances: half an instance's
 * slots (rounded up), so one merchant's slow endpoints always leave slots for the others.
 */
export function merchantInFlightCap(concurrency: number): number {
  return Math.ceil(concurrency / 2);
}

/** What one attempt means for its delivery: delivered, retried at `at`, dead-lettered, or (410 Gone) its endpoint disabled. */
export type AttemptVerdict = { kind: 'delivered' } | { kind: 'gone' } | { kind: 'retry'; at: Date } | { kind: 'dead' };

/**
 * The verdict on an attempt that got `httpStatus` (null: no answer at all) after `attemptsBefore`
 * earlier attempts: no answer is retried like an error status; once the schedule is exhausted the
 * delivery is dead-lettered.
 */
export function judgeAttempt(
  httpStatus: number | null,
  retryAfterMs: number | null,
  attemptsBefore: number,
  schedule: number[],
  nowMs: number,
  random: () => number = Math.random,
): AttemptVerdict {
  const outcome = httpStatus === null ? 'retry' : classifyStatus(httpStatus);
  if (outcome !== 'retry') return { kind: outcome };
  const delay = nextRetryDelayMs(attemptsBefore + 1, schedule, retryAfterMs, random);
  return delay === null ? { kind: 'dead' } : { kind: 'retry', at: new Date(nowMs + delay) };
}

/** One endpoint's attempts in a group of outcomes: how many got no answer, and whether any did. */
export interface BreakerTally {
  endpointId: string;
  failed: number;
  answered: boolean;
}

/** A written outcome as the breaker sees it: its endpoint, that endpoint's count when claimed, and the attempt's answer (none when no attempt was made). */
export interface BreakerObservation {
  endpointId: string;
  failuresWhenClaimed: number;
  attempt: { status: number | null } | null;
}

/**
 * The breaker updates a group of outcomes calls for: per endpoint attempted, its unanswered
 * attempts and whether any got an answer. An endpoint is left out when nothing would change:
 * every attempt answered, and its count was zero when claimed and not raised since by this
 * instance (`suspect`). With every endpoint healthy, there is nothing to write.
 */
export function breakerTallies(group: BreakerObservation[], suspect: ReadonlySet<string>): BreakerTally[] {
  const tally = new Map<string, BreakerTally>();
  for (const o of group) {
    if (!o.attempt) continue;
    const t = tally.get(o.endpointId) ?? { endpointId: o.endpointId, failed: 0, answered: false };
    if (unanswered(o.attempt.status)) t.failed++;
    else t.answered = true;
    tally.set(o.endpointId, t);
  }
  return [...tally.values()].filter(
    (t) => t.failed > 0 || suspect.has(t.endpointId) || group.some((o) => o.endpointId === t.endpointId && o.failuresWhenClaimed > 0),
  );
}

/**
 * Where the dispatcher reports each delivery's outcome: a port, so events/ depends on no metrics code
 * (MetricsModule binds it to MetricsService; without it, nothing is counted).
 */
export abstract class DeliveryOutcomeCounter {
  abstract countDelivery(outcome: string): void;
}
