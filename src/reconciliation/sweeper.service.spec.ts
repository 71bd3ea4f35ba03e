import { Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/config';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { Order, Transaction } from '../orders/order.entity';
import { OrderTransitions, TransitionResult } from '../orders/order-transitions.service';
import { PaymentVerifier } from '../orders/payment-verifier.service';
import { Decision } from '../orders/state-machine';
import { NextCheck, TransactionsRepository } from '../orders/transactions.repository';
import { PaymentProvider, ProviderError, ProviderRegistry, VerifyOutcome } from '../providers/provider';
import { CHECK_DELAYS_MS } from './backoff';
import { BatchChecker } from './batch-checker';
import { RunTally } from './plan';
import { CircuitOpenError, ProviderLimits } from './provider-limits';
import { ReconciliationRun, RunStatus } from './reconciliation-run.entity';
import { ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { CLAIM_LEASE_SECONDS, STALE_RUN_SECONDS, SweeperService } from './sweeper.service';

/** The sweeper and its batch checker against mocked repositories: which answers become recorded checks, releases and transitions. */

const NOW = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const HOUR = 3600_000;
const PAID: VerifyOutcome = { status: 'PAID', paidAmountMinor: 500, paidCurrency: 'USD', paidAt: NOW };

const txn = (id: string, over: Partial<Transaction> = {}): Transaction =>
  Object.assign(new Transaction(), {
    id,
    orderId: `ord_${id}`,
    merchantId: 'mer_1',
    provider: 'raksmeypay',
    providerReference: `REF_${id}`,
    number: 1,
    amountMinor: 500,
    currency: 'USD',
    wireAmount: '5.00',
    createdAt: NOW,
    expiresAt: at(HOUR),
    checkCount: 0,
    nextCheckAt: null,
    ...over,
  });
const changed = (status: Transaction['status'], decision: Decision): TransitionResult => ({
  order: new Order(),
  transaction: Object.assign(new Transaction(), { status }),
  decision,
  changed: true,
});
const PAID_RESULT = changed('PAID', { outcome: 'transition', from: 'PENDING', to: 'PAID', event: 'order.paid', addFlags: [] });
const EXPIRED_RESULT = changed('EXPIRED', { outcome: 'transition', from: 'PENDING', to: 'EXPIRED', event: 'order.expired', addFlags: [] });

function provider(over: Record<string, unknown> = {}): PaymentProvider {
  return {
    id: 'raksmeypay',
    displayName: 'Test gateway',
    capabilities: { verify: true, batchVerify: false, callbacks: [], khqr: true, currencies: ['USD'], refund: false },
    credentialFields: () => [],
    ...over,
  } as unknown as PaymentProvider;
}

function setup(gateway: PaymentProvider, claimed: Transaction[]) {
  const runs = {
    closeInterrupted: jest.fn().mockResolvedValue(undefined),
    start: jest.fn().mockResolvedValue(NOW),
    heartbeat: jest.fn().mockResolvedValue(undefined),
    finish: jest.fn((id: string, status: RunStatus, tally: RunTally, error: string | null) =>
      Promise.resolve(
        Object.assign(new ReconciliationRun(), {
          id,
          status,
          error,
          startedAt: NOW,
          finishedAt: NOW,
          claimed: tally.claimed,
          checked: tally.checked,
          paid: tally.paid,
          expired: tally.expired,
          flagged: tally.flagged,
          errors: tally.errors,
        }),
      ),
    ),
  };
  const transactions = {
    claimDue: jest.fn().mockResolvedValueOnce(claimed).mockResolvedValue([]),
    renewLeases: jest.fn().mockResolvedValue(undefined),
    releaseAll: jest.fn().mockResolvedValue(undefined),
    releaseSwept: jest.fn().mockResolvedValue(undefined),
    release: jest.fn().mockResolvedValue(undefined),
    releaseMany: jest.fn().mockResolvedValue(undefined),
    recordChecks: jest.fn().mockResolvedValue(undefined),
    recordSkippedCheck: jest.fn().mockResolvedValue(undefined),
    recordUnappliedCheck: jest.fn().mockResolvedValue(undefined),
  };
  const verifier = {
    applyAnswer: jest.fn().mockResolvedValue(null),
    recordFailure: jest.fn().mockResolvedValue(undefined),
    // One batch call's answers: each settles as applyAnswer would (the single-transaction part is OrderTransitions.applyMany's, specified there).
    applyAnswers: jest.fn((answers: { txn: Transaction; outcome: VerifyOutcome }[], actor: string): Promise<PromiseSettledResult<TransitionResult | null>[]> =>
      Promise.allSettled(answers.map((a) => verifier.applyAnswer(a.txn, a.outcome, actor) as Promise<TransitionResult | null>)),
    ),
  };
  const transitions = { apply: jest.fn().mockResolvedValue(EXPIRED_RESULT) };
  const accounts = { credentials: jest.fn().mockResolvedValue({ profile_id: 'p' }) };
  const limits = { for: () => ({ call: <T>(fn: () => Promise<T>) => fn() }) };
  const config = { reconcileConcurrency: 4, reconcileBudgetSeconds: 60 } as AppConfig;
  const clock = { now: () => NOW } as Clock;
  const checker = new BatchChecker(
    transactions as unknown as TransactionsRepository,
    accounts as unknown as ProviderAccountsService,
    verifier as unknown as PaymentVerifier,
    transitions as unknown as OrderTransitions,
    limits as unknown as ProviderLimits,
    clock,
    config,
  );
  const registry = { all: () => [gateway] } as unknown as ProviderRegistry;
  const sweeper = new SweeperService(
    runs as unknown as ReconciliationRunsRepository,
    transactions as unknown as TransactionsRepository,
    registry,
    checker,
    config,
  );
  return { sweeper, runs, transactions, verifier, transitions };
}

/** The checks recorded by the batch's one bookkeeping statement, in id order. */
function recorded(transactions: { recordChecks: jest.Mock }): NextCheck[] {
  expect(transactions.recordChecks).toHaveBeenCalledTimes(1);
  return [...(transactions.recordChecks.mock.calls[0][0] as NextCheck[])].sort((a, b) => a.id.localeCompare(b.id));
}

describe('SweeperService with mocked repositories', () => {
  beforeAll(() => {
    // The sweeper logs every run and failure; the assertions here are on the repositories.
    for (const level of ['log', 'warn', 'error', 'debug'] as const) jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
  });

  it('records the run: stale runs closed, started, claims due work under a lease, releases what is left, finished with its tally', async () => {
    const { sweeper, runs, transactions } = setup(provider({ verify: jest.fn().mockResolvedValue({ status: 'PENDING' }) }), [txn('a')]);
    const run = await sweeper.run('scheduled');

    expect(runs.closeInterrupted).toHaveBeenCalledWith(STALE_RUN_SECONDS);
    expect(runs.start).toHaveBeenCalledWith(run.id, 'scheduled', expect.any(String));
    expect(transactions.claimDue).toHaveBeenCalledWith({
      provider: 'raksmeypay',
      holder: run.id,
      sweptBefore: NOW,
      everyPending: false,
      limit: 100,
      leaseSeconds: CLAIM_LEASE_SECONDS,
    });
    expect(transactions.claimDue).toHaveBeenCalledTimes(2); // the next batch is claimed while this one is checked; it is empty
    expect(transactions.releaseSwept).toHaveBeenCalledWith(run.id, ['a']);
    expect(transactions.releaseAll).toHaveBeenCalledWith(run.id);
    expect(runs.finish).toHaveBeenCalledWith(run.id, 'completed', expect.any(RunTally), null);
    expect(run).toMatchObject({ status: 'completed', claimed: 1, checked: 1, paid: 0, errors: 0 });
  });

  it('a manual run claims every PENDING transaction, not only the due ones', async () => {
    const { sweeper, transactions } = setup(provider({ verify: jest.fn() }), []);
    await sweeper.run('manual');
    expect(transactions.claimDue).toHaveBeenCalledWith(expect.objectContaining({ everyPending: true }));
  });

  it('answers: PENDING only recorded with its next check, PAID applied and recorded with none, a gateway error recorded and released on the back-off', async () => {
    const timeout = new ProviderError('raksmeypay', 'timeout', 'slow');
    const answers: Record<string, VerifyOutcome | Error> = { REF_a: { status: 'PENDING' }, REF_b: PAID, REF_c: timeout };
    const verify = jest.fn(({ transaction }: { transaction: { providerReference: string } }) => {
      const answer = answers[transaction.providerReference];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    });
    const a = txn('a');
    const b = txn('b');
    const c = txn('c', { checkCount: 1 });
    const { sweeper, transactions, verifier, transitions } = setup(provider({ verify }), [a, b, c]);
    verifier.applyAnswer.mockResolvedValue(PAID_RESULT);

    const run = await sweeper.run('scheduled');

    expect(verifier.applyAnswer).toHaveBeenCalledTimes(1);
    expect(verifier.applyAnswer).toHaveBeenCalledWith(b, PAID, 'sweeper');
    expect(recorded(transactions)).toEqual([
      { id: 'a', nextCheckAt: at(CHECK_DELAYS_MS[0]) },
      { id: 'b', nextCheckAt: null },
    ]);
    expect(transactions.recordChecks).toHaveBeenCalledWith(expect.any(Array), run.id);
    expect(verifier.recordFailure).toHaveBeenCalledWith(c, timeout);
    expect(transactions.release).toHaveBeenCalledWith(run.id, { id: 'c', nextCheckAt: at(CHECK_DELAYS_MS[1]) });
    expect(transitions.apply).not.toHaveBeenCalled();
    expect(run).toMatchObject({ claimed: 3, checked: 3, paid: 1, errors: 1 });
  });

  it('the final check at expiry that finds no payment expires the order', async () => {
    const expiring = txn('a', { expiresAt: at(-1000) });
    const { sweeper, transactions, transitions } = setup(provider({ verify: jest.fn().mockResolvedValue({ status: 'PENDING' }) }), [expiring]);
    const run = await sweeper.run('scheduled');

    expect(transitions.apply).toHaveBeenCalledWith(
      'ord_a',
      { kind: 'expire' },
      { transactionId: 'a', actor: 'sweeper', reason: 'expired: the final check at expiry found no payment' },
    );
    expect(recorded(transactions)).toEqual([{ id: 'a', nextCheckAt: null }]);
    expect(run).toMatchObject({ expired: 1, errors: 0 });
  });

  it('a gateway not called (open circuit) is no check: only the reason is recorded, the count and back-off stay', async () => {
    const open = new CircuitOpenError('api.example');
    const { sweeper, transactions, verifier } = setup(provider({ verify: jest.fn().mockRejectedValue(open) }), [txn('a', { checkCount: 2 })]);
    const run = await sweeper.run('scheduled');

    expect(transactions.recordSkippedCheck).toHaveBeenCalledWith('a', `circuit_open: ${open.message}`);
    expect(verifier.recordFailure).not.toHaveBeenCalled();
    expect(transactions.release).toHaveBeenCalledWith(run.id, { id: 'a', nextCheckAt: at(CHECK_DELAYS_MS[1]) });
    expect(run).toMatchObject({ checked: 0, errors: 1 });
  });

  it('an answer that fails to apply counts as a check with that error, and is released for a retry', async () => {
    const { sweeper, transactions, verifier } = setup(provider({ verify: jest.fn().mockResolvedValue(PAID) }), [txn('a')]);
    verifier.applyAnswer.mockRejectedValue(new Error('deadlock detected'));
    const run = await sweeper.run('scheduled');

    expect(transactions.recordUnappliedCheck).toHaveBeenCalledWith('a', 'error: deadlock detected');
    expect(transactions.release).toHaveBeenCalledWith(run.id, { id: 'a', nextCheckAt: at(CHECK_DELAYS_MS[0]) });
    expect(recorded(transactions)).toEqual([]);
    expect(run).toMatchObject({ paid: 0, errors: 1 });
  });

  it('a provider without a verify API: released until expiry before it, expired from then on, all in the batch release', async () => {
    const gateway = provider({
      id: 'ahnajak',
      capabilities: { verify: false, batchVerify: false, callbacks: ['signed_return'], khqr: false, currencies: ['USD'], refund: false },
    });
    const { sweeper, transactions, transitions } = setup(gateway, [txn('a'), txn('b', { expiresAt: at(-1) })]);
    const run = await sweeper.run('scheduled');

    expect(transitions.apply).toHaveBeenCalledTimes(1);
    expect(transitions.apply).toHaveBeenCalledWith(
      'ord_b',
      { kind: 'expire' },
      { transactionId: 'b', actor: 'sweeper', reason: 'expired: no payment was reported before expires_at' },
    );
    expect(transactions.releaseMany).toHaveBeenCalledTimes(1);
    expect([...(transactions.releaseMany.mock.calls[0][1] as NextCheck[])].sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'a', nextCheckAt: at(HOUR) },
      { id: 'b', nextCheckAt: null },
    ]);
    expect(run).toMatchObject({ checked: 0, expired: 1 });
  });

  it('a batch answer that leaves a payment out is a bad response for that payment only', async () => {
    const verifyBatch = jest.fn().mockResolvedValue(new Map([['REF_a', PAID]]));
    const gateway = provider({
      id: 'bakongapi',
      capabilities: { verify: true, batchVerify: true, callbacks: [], khqr: true, currencies: ['USD'], refund: false },
      verifyBatch,
      batchSize: 50,
    });
    const b = txn('b', { provider: 'bakongapi' });
    const { sweeper, transactions, verifier } = setup(gateway, [txn('a', { provider: 'bakongapi' }), b]);
    verifier.applyAnswer.mockResolvedValue(PAID_RESULT);
    const run = await sweeper.run('scheduled');

    expect(verifyBatch).toHaveBeenCalledTimes(1);
    expect(transactions.claimDue).toHaveBeenCalledWith(expect.objectContaining({ provider: 'bakongapi', limit: 500 }));
    expect(recorded(transactions)).toEqual([{ id: 'a', nextCheckAt: null }]);
    expect(verifier.recordFailure).toHaveBeenCalledWith(
      b,
      expect.objectContaining({ kind: 'bad_response', message: 'the batch answer did not mention this payment' }),
    );
    expect(run).toMatchObject({ checked: 2, paid: 1, errors: 1 });
  });

  it('a claim that fails fails the run, which is still recorded and releases its leases', async () => {
    const { sweeper, runs, transactions } = setup(provider({ verify: jest.fn() }), []);
    transactions.claimDue.mockReset().mockRejectedValue(new Error('connection lost'));
    const run = await sweeper.run('scheduled');

    expect(transactions.releaseAll).toHaveBeenCalledWith(run.id);
    expect(runs.finish).toHaveBeenCalledWith(run.id, 'failed', expect.any(RunTally), 'connection lost');
  });

  it("a batch call's status changes are applied together (one database transaction), a failing one recorded on its own transaction only", async () => {
    const verifyBatch = jest.fn().mockResolvedValue(
      new Map<string, VerifyOutcome>([
        ['REF_a', PAID],
        ['REF_b', { status: 'PENDING' }],
        ['REF_c', PAID],
      ]),
    );
    const gateway = provider({
      id: 'bakongapi',
      capabilities: { verify: true, batchVerify: true, callbacks: [], khqr: true, currencies: ['USD'], refund: false },
      verifyBatch,
      batchSize: 50,
    });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => txn(id, { provider: 'bakongapi' }));
    const { sweeper, transactions, verifier } = setup(gateway, [a, b, c]);
    verifier.applyAnswers.mockResolvedValueOnce([
      { status: 'fulfilled', value: PAID_RESULT },
      { status: 'rejected', reason: new Error('deadlock detected') },
    ]);
    const run = await sweeper.run('scheduled');

    expect(verifier.applyAnswers).toHaveBeenCalledTimes(1);
    expect(verifier.applyAnswers).toHaveBeenCalledWith(
      [
        { txn: a, outcome: PAID, finalCheck: false },
        { txn: c, outcome: PAID, finalCheck: false },
      ],
      'sweeper',
    );
    expect(verifier.applyAnswer).not.toHaveBeenCalled();
    expect(recorded(transactions)).toEqual([
      { id: 'a', nextCheckAt: null },
      { id: 'b', nextCheckAt: expect.any(Date) },
    ]);
    expect(transactions.recordUnappliedCheck).toHaveBeenCalledWith('c', 'error: deadlock detected');
    expect(transactions.release).toHaveBeenCalledWith(run.id, { id: 'c', nextCheckAt: expect.any(Date) });
    expect(run).toMatchObject({ checked: 3, paid: 1, errors: 1 });
  });

  it("the next batch's calls do not wait for this batch's transitions; this batch's bookkeeping does", async () => {
    const a = txn('a');
    const b = txn('b');
    const verify = jest.fn().mockResolvedValueOnce(PAID).mockResolvedValue({ status: 'PENDING' });
    const { sweeper, transactions, verifier } = setup(provider({ verify }), [a]);
    transactions.claimDue.mockReset().mockResolvedValueOnce([a]).mockResolvedValueOnce([b]).mockResolvedValue([]);
    let pay!: (r: TransitionResult) => void;
    verifier.applyAnswer.mockReturnValueOnce(new Promise<TransitionResult>((resolve) => (pay = resolve)));
    const running = sweeper.run('scheduled');
    while (verify.mock.calls.length < 2) await new Promise((r) => setImmediate(r));
    // b was asked while a's payment is still being applied, and nothing of a's batch is written yet.
    expect(transactions.recordChecks).not.toHaveBeenCalled();
    pay(PAID_RESULT);
    const run = await running;
    expect(transactions.recordChecks.mock.calls.map((c) => (c[0] as NextCheck[]).map((x) => x.id))).toEqual([['a'], ['b']]);
    expect(run).toMatchObject({ checked: 2, paid: 1, errors: 0 });
  });
});
