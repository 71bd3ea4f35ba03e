import { MAX_RETRY_AFTER_SECONDS } from '../providers/provider';
import { CHECK_DELAYS_MS, checkDelayMs, GIVE_UP_AFTER_EXPIRY_MS, nextCheckAt, shouldGiveUp } from './backoff';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const MIN = 60_000;

describe('reconciliation back-off', () => {
  it('grows 30 s, 1 min, 2 min, 5 min, then stays at 10 min', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(checkDelayMs)).toEqual([30_000, 60_000, 120_000, 300_000, 600_000, 600_000, 600_000]);
    expect(checkDelayMs(0)).toBe(CHECK_DELAYS_MS[0]);
  });

  it('follows the curve while expiry is far away', () => {
    const expiresAt = at(24 * 60 * MIN);
    expect(nextCheckAt({ checkCount: 1, expiresAt, now: at(15_000) })).toEqual(at(45_000));
    expect(nextCheckAt({ checkCount: 3, expiresAt, now: at(5 * MIN) })).toEqual(at(7 * MIN));
    expect(nextCheckAt({ checkCount: 9, expiresAt, now: at(60 * MIN) })).toEqual(at(70 * MIN));
  });

  it('never schedules past expires_at: the final check happens at expiry', () => {
    const expiresAt = at(30 * MIN);
    expect(nextCheckAt({ checkCount: 5, expiresAt, now: at(25 * MIN) })).toEqual(expiresAt);
    expect(nextCheckAt({ checkCount: 1, expiresAt, now: at(30 * MIN - 1) })).toEqual(expiresAt);
  });

  it('walks a 15-minute payment to a check exactly at expiry', () => {
    const expiresAt = at(15 * MIN);
    let now = at(15_000); // the first check, FIRST_CHECK_DELAY_MS after creation
    const checks = [now];
    for (let count = 1; now < expiresAt && count < 20; count++) {
      now = nextCheckAt({ checkCount: count, expiresAt, now });
      checks.push(now);
    }
    expect(checks.map((d) => (d.getTime() - t0.getTime()) / 1000)).toEqual([15, 45, 105, 225, 525, 900]);
  });

  it('past expiry (a failed final check), retries on the curve', () => {
    const expiresAt = at(30 * MIN);
    expect(nextCheckAt({ checkCount: 2, expiresAt, now: at(31 * MIN) })).toEqual(at(32 * MIN));
  });

  it('honours a 429 Retry-After when it is longer than the curve, capped at expiry before it', () => {
    const expiresAt = at(60 * MIN);
    expect(nextCheckAt({ checkCount: 1, expiresAt, now: t0, retryAfterSeconds: 50 })).toEqual(at(50_000));
    expect(nextCheckAt({ checkCount: 1, expiresAt, now: t0, retryAfterSeconds: 5 })).toEqual(at(30_000));
    expect(nextCheckAt({ checkCount: 1, expiresAt, now: at(59 * MIN + 30_000), retryAfterSeconds: 50 })).toEqual(expiresAt);
  });

  it(`never waits more than ${MAX_RETRY_AFTER_SECONDS} s for a Retry-After, even past expiry (the final check is not parked for years)`, () => {
    const expiresAt = at(60 * MIN);
    expect(nextCheckAt({ checkCount: 1, expiresAt, now: t0, retryAfterSeconds: 1_000_000_000 })).toEqual(at(MAX_RETRY_AFTER_SECONDS * 1000));
    const late = at(61 * MIN);
    expect(nextCheckAt({ checkCount: 1, expiresAt, now: late, retryAfterSeconds: 1_000_000_000 })).toEqual(
      new Date(late.getTime() + MAX_RETRY_AFTER_SECONDS * 1000),
    );
  });

  it('gives up on a failing final check a day after expiry', () => {
    const expiresAt = at(0);
    expect(shouldGiveUp(expiresAt, at(GIVE_UP_AFTER_EXPIRY_MS - 1))).toBe(false);
    expect(shouldGiveUp(expiresAt, at(GIVE_UP_AFTER_EXPIRY_MS))).toBe(true);
  });
});
