import { Webhook } from 'standardwebhooks';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS } from '../config/config';
import {
  breakerTallies,
  classifyStatus,
  judgeAttempt,
  MAX_RETRY_AFTER_MS,
  newWebhookSecret,
  nextRetryDelayMs,
  parseRetryAfter,
  webhookHeaders,
} from './webhook-policy';

describe('webhook policy', () => {
  it('signs so that the standardwebhooks library verifies, with either secret during rotation', () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ id: 'evt_1', type: 'order.paid', data: { order: { id: 'ord_1' } } });
    const headers = webhookHeaders('evt_1', new Date(), body, [current, previous]);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(body.replace('paid', 'cancelled'), headers)).toThrow();
  });

  it('follows the documented schedule with ±20 % jitter, then dead-letters', () => {
    const s = DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS;
    expect(s.map((ms) => ms / 1000)).toEqual([5, 15, 60, 300, 1800, 7200, 18000, 36000, 36000, 50400, 50400]);
    const total = s.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(total).toBeGreaterThan(50); // about 2.3–2.8 days with jitter
    expect(total).toBeLessThan(72);
    expect(nextRetryDelayMs(1, s, null, () => 0)).toBe(4000);
    expect(nextRetryDelayMs(1, s, null, () => 1)).toBe(6000);
    expect(nextRetryDelayMs(1, s, null, () => 0.5)).toBe(5000);
    expect(nextRetryDelayMs(11, s, null, () => 0.5)).toBe(50400 * 1000);
    expect(nextRetryDelayMs(12, s, null)).toBeNull();
    expect(nextRetryDelayMs(0, s, null)).toBeNull();
  });

  it('honours Retry-After as a floor, capped', () => {
    const s = [1000, 2000];
    expect(nextRetryDelayMs(1, s, 30_000, () => 0.5)).toBe(30_000);
    expect(nextRetryDelayMs(1, s, 10, () => 0.5)).toBe(1000);
    expect(nextRetryDelayMs(1, s, 10 * MAX_RETRY_AFTER_MS, () => 0.5)).toBe(MAX_RETRY_AFTER_MS);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(['7'], now)).toBe(7000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('classifies answers: 2xx delivered, 410 gone, anything else (3xx too) retried', () => {
    expect(classifyStatus(200)).toBe('delivered');
    expect(classifyStatus(204)).toBe('delivered');
    expect(classifyStatus(410)).toBe('gone');
    for (const status of [301, 302, 307, 400, 404, 429, 500, 503]) expect(classifyStatus(status)).toBe('retry');
  });

  it('judges an attempt: delivered, gone, retried at now + the delay, dead once the schedule is spent', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const half = () => 0.5;
    expect(judgeAttempt(200, null, 0, [1000], now, half)).toEqual({ kind: 'delivered' });
    expect(judgeAttempt(410, null, 0, [1000], now, half)).toEqual({ kind: 'gone' });
    expect(judgeAttempt(500, null, 0, [1000], now, half)).toEqual({ kind: 'retry', at: new Date(now + 1000) });
    expect(judgeAttempt(null, null, 0, [1000], now, half)).toEqual({ kind: 'retry', at: new Date(now + 1000) });
    expect(judgeAttempt(429, 60_000, 0, [1000], now, half)).toEqual({ kind: 'retry', at: new Date(now + 60_000) });
    expect(judgeAttempt(500, null, 1, [1000], now, half)).toEqual({ kind: 'dead' });
  });

  it('tallies breakers per endpoint, leaving out endpoints with nothing to change', () => {
    const seen = (endpointId: string, status: number | null, failuresWhenClaimed = 0) => ({ endpointId, failuresWhenClaimed, attempt: { status } });
    expect(breakerTallies([seen('a', 200), seen('b', 500), { endpointId: 'c', failuresWhenClaimed: 3, attempt: null }], new Set())).toEqual([]);
    expect(breakerTallies([seen('a', null), seen('a', null), seen('b', null), seen('b', 200)], new Set())).toEqual([
      { endpointId: 'a', failed: 2, answered: false },
      { endpointId: 'b', failed: 1, answered: true },
    ]);
    expect(breakerTallies([seen('a', 200), seen('b', 200, 2)], new Set(['a']))).toEqual([
      { endpointId: 'a', failed: 0, answered: true },
      { endpointId: 'b', failed: 0, answered: true },
    ]);
  });
});
