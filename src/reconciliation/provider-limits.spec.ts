import { Logger } from '@nestjs/common';
import { ProviderError } from '../providers/provider';
import { BREAKER_THRESHOLD, CircuitOpenError, isOutage, ProviderGuard } from './provider-limits';

const quiet = new Logger('test');
quiet.warn = () => undefined;
quiet.log = () => undefined;
const guard = (concurrency = 4, rate = 10_000) => new ProviderGuard('raksmeypay', concurrency, rate, 1_000, quiet);
const fail = (kind: ProviderError['kind'], retryAfter?: number) => () => Promise.reject(new ProviderError('raksmeypay', kind, kind, retryAfter));

describe('ProviderGuard (per-provider limits of the sweeper)', () => {
  it('keeps at most `concurrency` calls in flight, queueing the rest', async () => {
    const g = guard(3);
    let inFlight = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        g.call(async () => {
          peak = Math.max(peak, ++inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it(`opens the circuit after ${BREAKER_THRESHOLD} consecutive outage failures: later calls are not made`, async () => {
    const g = guard(1);
    for (let i = 0; i < BREAKER_THRESHOLD; i++) await expect(g.call(fail('unavailable'))).rejects.toBeInstanceOf(ProviderError);
    expect(g.circuitOpen).toBe(true);
    let called = false;
    await expect(
      g.call(async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
  });

  it('a success in between resets the count; refusals of one payment or account are not outages', async () => {
    const g = guard(1);
    for (let i = 0; i < BREAKER_THRESHOLD - 1; i++) await expect(g.call(fail('timeout'))).rejects.toThrow();
    await g.call(async () => 'ok');
    for (let i = 0; i < BREAKER_THRESHOLD - 1; i++) await expect(g.call(fail('bad_response'))).rejects.toThrow();
    for (let i = 0; i < 10; i++) await expect(g.call(fail('rejected'))).rejects.toThrow();
    for (let i = 0; i < 10; i++) await expect(g.call(fail('auth'))).rejects.toThrow();
    expect(g.circuitOpen).toBe(false);
    expect(['timeout', 'unavailable', 'rate_limited', 'bad_response'].every((k) => isOutage(new ProviderError('bakong', k as ProviderError['kind'], '')))).toBe(true);
    expect(isOutage(new Error('db down'))).toBe(false);
  });

  it('a 429 pauses the budget for Retry-After before the next call', async () => {
    const g = guard(1);
    await expect(g.call(fail('rate_limited', 0.3))).rejects.toThrow();
    const started = Date.now();
    await g.call(async () => undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // the first 429 pauses max(1 s back-off, Retry-After)
  });
});
