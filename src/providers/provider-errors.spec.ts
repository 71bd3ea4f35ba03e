import { MAX_RETRY_AFTER_SECONDS } from './provider';
import { retryAfterSeconds } from './provider-errors';

describe("retryAfterSeconds (a gateway 429's Retry-After)", () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds and HTTP-dates', () => {
    expect(retryAfterSeconds('7', now)).toBe(7);
    expect(retryAfterSeconds(['3', '9'], now)).toBe(3);
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:20 GMT', now)).toBe(20);
    expect(retryAfterSeconds('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it(`caps it at ${MAX_RETRY_AFTER_SECONDS} s, however far the gateway asks`, () => {
    expect(retryAfterSeconds('1000000000', now)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryAfterSeconds('99999999999999999999999999', now)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryAfterSeconds('Fri, 01 Jan 2100 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_SECONDS);
  });

  it('ignores what is absent or unreadable', () => {
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    expect(retryAfterSeconds('', now)).toBeUndefined();
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds('-5', now)).toBeUndefined();
  });
});
