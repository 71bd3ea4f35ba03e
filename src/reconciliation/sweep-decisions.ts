/**
 * The sweeper's decisions about one claimed transaction, pure so they are unit-tested: what an
 * answer, an expiry or a failure leads to (a check recorded in the batch's book, a transition,
 * a release with its next check). The sweeper carries them out.
 */
import { ProblemException } from '../common/problem';
import type { Transaction } from '../orders/order.entity';
import type { TransitionResult } from '../orders/order-transitions.service';
import type { NextCheck } from '../orders/transactions.repository';
import { ProviderError, VerifyOutcome } from '../providers/provider';
import { nextCheckAt, shouldGiveUp } from './backoff';
import type { RunTally } from './plan';
import { NotCalledError } from './provider-limits';

/** What the decisions read of a claimed transaction. */
export type ClaimedTransaction = Pick<Transaction, 'id' | 'checkCount' | 'expiresAt'>;

/**
 * A gateway's answer. PENDING before expiry changes nothing: only the check is recorded (in the
 * batch's book, no statement of its own). Anything else goes through the state machine; past
 * expiry it is the final check.
 */
export type AnswerPlan = { kind: 'record'; check: NextCheck } | { kind: 'apply'; finalCheck: boolean };

export function planAnswer(txn: ClaimedTransaction, outcome: VerifyOutcome, now: Date): AnswerPlan {
  const finalCheck = now.getTime() >= txn.expiresAt.getTime();
  if (outcome.status === 'PENDING' && !finalCheck) return { kind: 'record', check: { id: txn.id, nextCheckAt: nextAfterCheck(txn, now) } };
  return { kind: 'apply', finalCheck };
}

/**
 * After the state machine applied an answer (null: it had nothing to apply). A transaction still
 * PENDING after its final check expires now (or its order was already final, e.g. paid through
 * another transaction): nothing is left to check.
 */
export function planAfterAnswer(
  txn: ClaimedTransaction,
  result: TransitionResult | null,
  finalCheck: boolean,
  now: Date,
): { expire: boolean; check: NextCheck } {
  const stillPending = !result || result.transaction.status === 'PENDING';
  if (stillPending && finalCheck) return { expire: true, check: { id: txn.id, nextCheckAt: null } };
  return { expire: false, check: { id: txn.id, nextCheckAt: stillPending ? nextAfterCheck(txn, now) : null } };
}

/**
 * Providers without a verify API (their callbacks confirm payments): before expiry the
 * transaction is released unchecked until expires_at; from then on it expires.
 */
export function planExpiry(txn: ClaimedTransaction, now: Date): { kind: 'release'; release: NextCheck } | { kind: 'expire' } {
  if (now.getTime() < txn.expiresAt.getTime()) return { kind: 'release', release: { id: txn.id, nextCheckAt: txn.expiresAt } };
  return { kind: 'expire' };
}

/** How a failure is recorded on the transaction. */
export type FailureRecord =
  /** The gateway was not asked (open circuit, paused host): not a check, so the count (and the back-off) stays; the reason is kept for the operator. */
  | { kind: 'skipped'; reason: string }
  /** A failed check: it counts. `unexpected` when the error is neither a gateway's nor a known problem (a bug worth its stack in the log). */
  | { kind: 'failed'; unexpected: boolean };

export interface FailurePlan {
  record: FailureRecord;
  /** The gateway could not be reached for a final check within the give-up time after expiry: expire anyway. */
  expire: boolean;
  release: NextCheck;
}

/** The gateway did not answer usably (or was not asked: open circuit, paused host, missing account). */
export function planFailure(txn: ClaimedTransaction, err: unknown, now: Date): FailurePlan {
  const skipped = err instanceof NotCalledError;
  const record: FailureRecord = skipped
    ? { kind: 'skipped', reason: `${err.reason}: ${err.message}` }
    : { kind: 'failed', unexpected: !(err instanceof ProviderError) && !(err instanceof ProblemException) };
  if (shouldGiveUp(txn.expiresAt, now)) return { record, expire: true, release: { id: txn.id, nextCheckAt: null } };
  const checkCount = skipped ? txn.checkCount : txn.checkCount + 1;
  const retryAfterSeconds = err instanceof ProviderError ? err.retryAfterSeconds : undefined;
  return { record, expire: false, release: { id: txn.id, nextCheckAt: nextCheckAt({ checkCount, expiresAt: txn.expiresAt, now, retryAfterSeconds }) } };
}

/** The next check of a transaction still PENDING after the check just made (counted). */
export function nextAfterCheck(txn: ClaimedTransaction, now: Date): Date {
  return nextCheckAt({ checkCount: txn.checkCount + 1, expiresAt: txn.expiresAt, now });
}

/** One payment's part of a batch answer; a payment the answer left out is a bad response. */
export function batchAnswerFor(
  answers: ReadonlyMap<string, VerifyOutcome | ProviderError>,
  provider: ProviderError['provider'],
  reference: string,
): VerifyOutcome | Error {
  return answers.get(reference) ?? new ProviderError(provider, 'bad_response', 'the batch answer did not mention this payment');
}

/** Counts a transition this run wrote (a racing no-op counts nothing). */
export function tallyTransition(tally: RunTally, result: TransitionResult | null): void {
  if (!result?.changed) return;
  const d = result.decision;
  if (d.outcome === 'flag') tally.flagged++;
  else if (d.outcome === 'transition') {
    if (d.to === 'PAID') tally.paid++;
    else if (d.to === 'EXPIRED') tally.expired++;
    if (d.addFlags.length) tally.flagged++;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ProviderError) return `${err.kind}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
