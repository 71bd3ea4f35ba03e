import { Logger } from '@nestjs/common';
import { ProviderError } from '../providers/provider';
import { AppConfig } from '../config/config';
import { BREAKER_THRESHOLD, CircuitOpenError, isOutage, MAX_PAUSE_MS, PausedError, ProviderGuard, ProviderLimits } from './provider-limits';

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
    expect(['timeout', 'unavailable', 'rate_limited', 'bad_response'].every((k) => isOutage(new ProviderError('bakong', k as ProviderError['kind'], '')))).toBe(
      true,
    );
    expect(isOutage(new Error('db down'))).toBe(false);
  });

  it('a 429 pauses the budget for Retry-After before the next call', async () => {
    const g = guard(1);
    await expect(g.call(fail('rate_limited', 0.3))).rejects.toThrow();
    const started = Date.now();
    await g.call(async () => undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // the first 429 pauses max(1 s back-off, Retry-After)
  });

  it('a Retry-After of 1000000000 s pauses the host at most MAX_PAUSE_MS; a call that cannot get a slot within its deadline is not made', async () => {
    const g = guard(1);
    await expect(g.call(fail('rate_limited', 1_000_000_000))).rejects.toBeInstanceOf(ProviderError);
    expect(g.bucket.pausedForMs()).toBeGreaterThan(MAX_PAUSE_MS - 1_000);
    expect(g.bucket.pausedForMs()).toBeLessThanOrEqual(MAX_PAUSE_MS);
    let called = false;
    const refused = await g
      .call(async () => {
        called = true;
      })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(PausedError);
    expect((refused as PausedError).message).toMatch(/^not called: raksmeypay asked us to wait \(HTTP 429\)/);
    expect(called).toBe(false);
    // Not a gateway answer: it does not count towards opening the circuit.
    expect(g.circuitOpen).toBe(false);
  });

  it('keys the guards by provider and gateway host: one host paused or broken leaves the others alone', async () => {
    const limits = new ProviderLimits({ reconcileConcurrency: 2, reconcileRatePerS: 1_000, providerTimeoutMs: 1_000 } as AppConfig);
    const greedy = limits.for('raksmeypay', { base_url: 'http://127.0.0.1:4001/merchant-a' });
    expect(limits.for('raksmeypay', { base_url: 'http://127.0.0.1:4001/merchant-b' })).toBe(greedy);
    const real = limits.for('raksmeypay', { base_url: 'https://raksmeypay.com' });
    expect(real).not.toBe(greedy);
    expect(limits.for('bakongapi', { base_url: 'http://127.0.0.1:4001' })).not.toBe(greedy);
    await expect(greedy.call(fail('rate_limited', 1_000_000_000))).rejects.toBeInstanceOf(ProviderError);
    for (let i = 0; i < BREAKER_THRESHOLD; i++) await greedy.call(fail('unavailable')).catch(() => undefined);
    await expect(greedy.call(async () => 'ok')).rejects.toBeInstanceOf(PausedError);
    await expect(real.call(async () => 'ok')).resolves.toBe('ok');
    expect(real.circuitOpen).toBe(false);
  });
});
