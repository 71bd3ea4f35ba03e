import { ProblemException } from '../common/problem';
import { Order, Transaction } from '../orders/order.entity';
import { TransitionResult } from '../orders/order-transitions.service';
import { Decision } from '../orders/state-machine';
import { ProviderError, VerifyOutcome } from '../providers/provider';
import { CHECK_DELAYS_MS, GIVE_UP_AFTER_EXPIRY_MS } from './backoff';
import { RunTally } from './plan';
import { CircuitOpenError } from './provider-limits';
import { batchAnswerFor, describeError, planAfterAnswer, planAnswer, planExpiry, planFailure, tallyTransition } from './sweep-decisions';

const NOW = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const HOUR = 3600_000;
const txn = (expiresInMs: number, checkCount = 0) => ({ id: 'txn_1', checkCount, expiresAt: at(expiresInMs) });
const PAID: VerifyOutcome = { status: 'PAID', paidAmountMinor: 100, paidCurrency: 'USD', paidAt: NOW };
const PENDING: VerifyOutcome = { status: 'PENDING' };
const result = (status: Transaction['status'], decision: Decision, changed = true): TransitionResult => ({
  order: new Order(),
  transaction: Object.assign(new Transaction(), { status }),
  decision,
  changed,
});
const transition = (to: Order['status'], addFlags: string[] = []): Decision => ({ outcome: 'transition', from: 'PENDING', to, event: 'order.paid', addFlags });

describe('planAnswer', () => {
  it('PENDING before expiry only records the check, with the next one on the back-off curve', () => {
    expect(planAnswer(txn(HOUR, 1), PENDING, NOW)).toEqual({ kind: 'record', check: { id: 'txn_1', nextCheckAt: at(CHECK_DELAYS_MS[1]) } });
  });

  it('PENDING at or past expiry is the final check: it goes through the state machine', () => {
    expect(planAnswer(txn(0), PENDING, NOW)).toEqual({ kind: 'apply', finalCheck: true });
  });

  it('a status change goes through the state machine, final or not', () => {
    expect(planAnswer(txn(HOUR), PAID, NOW)).toEqual({ kind: 'apply', finalCheck: false });
    expect(planAnswer(txn(-1), { status: 'EXPIRED' }, NOW)).toEqual({ kind: 'apply', finalCheck: true });
  });
});

describe('planAfterAnswer', () => {
  it('still PENDING after the final check: expire, nothing left to check', () => {
    expect(planAfterAnswer(txn(0), null, true, NOW)).toEqual({ expire: true, check: { id: 'txn_1', nextCheckAt: null } });
    // The order was already final (paid through another transaction): the transition was a no-op on a PENDING transaction.
    expect(planAfterAnswer(txn(0), result('PENDING', { outcome: 'noop', reason: 'already paid' }, false), true, NOW).expire).toBe(true);
  });

  it('left PENDING: recorded with no next check', () => {
    expect(planAfterAnswer(txn(HOUR), result('PAID', transition('PAID')), false, NOW)).toEqual({ expire: false, check: { id: 'txn_1', nextCheckAt: null } });
    expect(planAfterAnswer(txn(0), result('PAID', transition('PAID')), true, NOW)).toEqual({ expire: false, check: { id: 'txn_1', nextCheckAt: null } });
  });

  it('still PENDING before expiry (a flag, say): recorded with its next check', () => {
    expect(
      planAfterAnswer(txn(HOUR, 0), result('PENDING', { outcome: 'flag', from: 'PENDING', event: 'order.flagged', addFlags: ['amount_mismatch'] }), false, NOW),
    ).toEqual({
      expire: false,
      check: { id: 'txn_1', nextCheckAt: at(CHECK_DELAYS_MS[0]) },
    });
  });
});

describe('planExpiry (providers without a verify API)', () => {
  it('before expiry: released unchecked until expires_at', () => {
    expect(planExpiry(txn(HOUR), NOW)).toEqual({ kind: 'release', release: { id: 'txn_1', nextCheckAt: at(HOUR) } });
  });

  it('at expiry: expire', () => {
    expect(planExpiry(txn(0), NOW)).toEqual({ kind: 'expire' });
  });
});

describe('planFailure', () => {
  it('a call not made (open circuit) is no check: the count and so the back-off stay, the reason is kept', () => {
    const err = new CircuitOpenError('api.example');
    expect(planFailure(txn(HOUR, 2), err, NOW)).toEqual({
      record: { kind: 'skipped', reason: `circuit_open: ${err.message}` },
      expire: false,
      release: { id: 'txn_1', nextCheckAt: at(CHECK_DELAYS_MS[1]) },
    });
  });

  it('a failed check counts: the next waits one step longer', () => {
    expect(planFailure(txn(HOUR, 2), new ProviderError('raksmeypay', 'timeout', 'slow'), NOW)).toEqual({
      record: { kind: 'failed', unexpected: false },
      expire: false,
      release: { id: 'txn_1', nextCheckAt: at(CHECK_DELAYS_MS[2]) },
    });
  });

  it("honours the gateway's Retry-After", () => {
    expect(planFailure(txn(HOUR, 0), new ProviderError('raksmeypay', 'rate_limited', '429', 45), NOW).release.nextCheckAt).toEqual(at(45_000));
  });

  it('only an error that is neither a gateway error nor a problem is unexpected', () => {
    expect(planFailure(txn(HOUR), new ProblemException(404, 'not_found', 'no account'), NOW).record).toEqual({ kind: 'failed', unexpected: false });
    expect(planFailure(txn(HOUR), new TypeError('boom'), NOW).record).toEqual({ kind: 'failed', unexpected: true });
  });

  it('past the give-up time after expiry: expire, no next check', () => {
    const plan = planFailure(txn(-GIVE_UP_AFTER_EXPIRY_MS), new ProviderError('raksmeypay', 'unavailable', 'down'), NOW);
    expect(plan).toEqual({ record: { kind: 'failed', unexpected: false }, expire: true, release: { id: 'txn_1', nextCheckAt: null } });
    expect(planFailure(txn(-GIVE_UP_AFTER_EXPIRY_MS + 1), new ProviderError('raksmeypay', 'unavailable', 'down'), NOW).expire).toBe(false);
  });
});

describe('batchAnswerFor', () => {
  it("a payment's answer, or a bad response when the batch left it out", () => {
    const answers = new Map<string, VerifyOutcome | ProviderError>([['A', PAID]]);
    expect(batchAnswerFor(answers, 'bakongapi', 'A')).toBe(PAID);
    const missing = batchAnswerFor(answers, 'bakongapi', 'B');
    expect(missing).toBeInstanceOf(ProviderError);
    expect(missing).toMatchObject({ provider: 'bakongapi', kind: 'bad_response', message: 'the batch answer did not mention this payment' });
  });
});

describe('tallyTransition', () => {
  it('counts what this run changed: paid, expired, flags', () => {
    const t = new RunTally();
    tallyTransition(t, result('PAID', transition('PAID', ['late_payment'])));
    tallyTransition(t, result('EXPIRED', transition('EXPIRED')));
    tallyTransition(t, result('PENDING', { outcome: 'flag', from: 'PENDING', event: 'order.flagged', addFlags: ['amount_mismatch'] }));
    expect({ paid: t.paid, expired: t.expired, flagged: t.flagged }).toEqual({ paid: 1, expired: 1, flagged: 2 });
  });

  it('a racing no-op or nothing applied counts nothing', () => {
    const t = new RunTally();
    tallyTransition(t, null);
    tallyTransition(t, result('PAID', transition('PAID'), false));
    expect({ paid: t.paid, expired: t.expired, flagged: t.flagged }).toEqual({ paid: 0, expired: 0, flagged: 0 });
  });
});

describe('describeError', () => {
  it('names a gateway error by its kind', () => {
    expect(describeError(new ProviderError('raksmeypay', 'timeout', 'no answer in 10 s'))).toBe('timeout: no answer in 10 s');
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('text')).toBe('text');
  });
});
