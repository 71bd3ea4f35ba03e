import { MAX_RETRY_AFTER_SECONDS } from '../providers/provider';

/**
 * When the sweeper looks at a PENDING transaction again. Pure, so the schedule is unit-tested.
 *
 * The first check is FIRST_CHECK_DELAY_MS after creation (set by OrdersService). After the
 * n-th check the next one waits CHECK_DELAYS_MS[n-1] (the last entry repeats), but never past
 * expires_at: there is always one final check at expiry. Past expiry a check only happens
 * again when the final one failed (the gateway was down): it is retried on the same curve
 * until the gateway answers or GIVE_UP_AFTER_EXPIRY_MS has passed.
 */
export const CHECK_DELAYS_MS = [30_000, 60_000, 120_000, 300_000, 600_000] as const;

/** How long after expiry the sweeper keeps retrying a final check that fails before expiring anyway. */
export const GIVE_UP_AFTER_EXPIRY_MS = 24 * 3600_000;

/** The wait after `checkCount` checks (1-based: after the first check, the first delay). */
export function checkDelayMs(checkCount: number): number {
  const i = Math.min(Math.max(checkCount, 1), CHECK_DELAYS_MS.length) - 1;
  return CHECK_DELAYS_MS[i];
}

export interface ScheduleInput {
  /** Checks done so far, including the one just made. */
  checkCount: number;
  expiresAt: Date;
  now: Date;
  /** The gateway asked us to wait (HTTP 429 Retry-After), in seconds; at most MAX_RETRY_AFTER_SECONDS counts. */
  retryAfterSeconds?: number;
}

/** The next check for a transaction that is still PENDING after a check (or a failed one). */
export function nextCheckAt({ checkCount, expiresAt, now, retryAfterSeconds }: ScheduleInput): Date {
  let next = now.getTime() + checkDelayMs(checkCount);
  // Capped here too: past expiry nothing else bounds it, and a final check must not move years out.
  if (retryAfterSeconds && retryAfterSeconds > 0) next = Math.max(next, now.getTime() + Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * 1000);
  // Before expiry: never later than expires_at, so the final check happens on time.
  if (now.getTime() < expiresAt.getTime()) next = Math.min(next, expiresAt.getTime());
  return new Date(next);
}

/** A final check that keeps failing stops blocking expiry this long after expires_at. */
export function shouldGiveUp(expiresAt: Date, now: Date): boolean {
  return now.getTime() >= expiresAt.getTime() + GIVE_UP_AFTER_EXPIRY_MS;
}
