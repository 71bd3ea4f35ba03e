import { MAX_RETRY_AFTER_SECONDS } from '../providers/provider';

/**
 * When the sweeper asks a gateway again about a PENDING refund. Pure, so the schedule is unit-tested.
 * A refund is not bounded by an expiry like a payment: it is asked again on this curve (the last delay
 * repeats) until the gateway says SUCCEEDED or FAILED.
 */
export const REFUND_CHECK_DELAYS_MS = [30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000] as const;

/**
 * The first look at a new PENDING refund, set when it is written (before the gateway is called): long
 * enough for the creating request's own call to finish (twice its deadline, at least a minute), so a
 * crash between the commit and the call still gets the refund checked.
 */
export function firstRefundCheckAt(now: Date, providerTimeoutMs: number): Date {
  return new Date(now.getTime() + Math.max(60_000, 2 * providerTimeoutMs));
}

/** After `checkCount` answers or failed calls (including this one), optionally with the gateway's Retry-After (capped). */
export function nextRefundCheckAt(checkCount: number, now: Date, retryAfterSeconds?: number): Date {
  const i = Math.min(Math.max(checkCount, 1), REFUND_CHECK_DELAYS_MS.length) - 1;
  let next = now.getTime() + REFUND_CHECK_DELAYS_MS[i];
  if (retryAfterSeconds && retryAfterSeconds > 0) next = Math.max(next, now.getTime() + Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * 1000);
  return new Date(next);
}
