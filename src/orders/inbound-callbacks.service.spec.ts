import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { sha256Hex } from '../common/crypto';
import { ProblemException } from '../common/problem';
import { AppConfig } from '../config/config';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { InboundCallback, InboundLookup, InboundRequest, InboundVerdict } from '../providers/inbound';
import { ProviderError } from '../providers/provider';
import { CONFIRM_CHECK_INTERVAL_SECONDS, InboundCallbacksService } from './inbound-callbacks.service';
import { Order, Transaction } from './order.entity';
import { OrderTransitions, TransitionResult } from './order-transitions.service';
import { PaymentVerifier } from './payment-verifier.service';
import { Decision } from './state-machine';
import { ProofAlreadyUsedError, TransactionsRepository } from './transactions.repository';

const NOW = new Date('2026-01-01T00:00:00Z');
const BASE = 'https://orchestrator.example';
const REQUEST: InboundRequest = { params: {}, query: {}, headers: {} };
const MANAGER = {} as EntityManager;

const txn = (over: Partial<Transaction> = {}): Transaction =>
  Object.assign(
    new Transaction(),
    {
      id: 'txn_1',
      orderId: 'ord_1',
      merchantId: 'mer_1',
      livemode: true,
      provider: 'checkout',
      providerReference: 'REF1',
      amountMinor: 1250,
      currency: 'USD',
      returnTokenUsedAt: null,
    },
    over,
  );
const order = (status: Order['status']): Order =>
  Object.assign(new Order(), { id: 'ord_1', status, successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/cancel' });
const transitionTo = (to: Order['status']): Decision => ({ outcome: 'transition', from: 'PENDING', to, event: 'order.paid', addFlags: [] });
const result = (status: Order['status'], decision: Decision, changed = true): TransitionResult => ({
  order: order(status),
  transaction: txn(),
  decision,
  changed,
});

const PAY: InboundVerdict = {
  kind: 'pay',
  providerReference: 'REF1',
  verification: 'browser_return',
  paidAmountMinor: 1250,
  paidAt: NOW,
  proof: 'P1',
  reason: 'because',
};
const CANCEL: InboundVerdict = { kind: 'cancel', reason: 'the customer cancelled' };

function callback(lookup: InboundLookup, verdict: InboundVerdict, singleUseReturnToken = false): InboundCallback & { interpret: jest.Mock } {
  return { provider: 'checkout', locate: () => lookup, interpret: jest.fn(() => verdict), singleUseReturnToken };
}

function setup() {
  const repo = {
    findByReference: jest.fn(),
    findByReturnTokenHash: jest.fn(),
    findByCancelTokenHash: jest.fn(),
    orderOf: jest.fn(),
    claimReturnToken: jest.fn(),
    claimConfirmCheck: jest.fn(() => Promise.resolve(true)),
    inTransaction: jest.fn((work: (m: EntityManager) => Promise<unknown>) => work(MANAGER)),
  };
  const accounts = { credentials: jest.fn(), configuredCredentials: jest.fn() };
  const transitions = { apply: jest.fn(), tryApply: jest.fn() };
  const clock = { now: () => NOW } as Clock;
  const verifier = { verifyOne: jest.fn() };
  const service = new InboundCallbacksService(
    repo as unknown as TransactionsRepository,
    accounts as unknown as ProviderAccountsService,
    transitions as unknown as OrderTransitions,
    { publicBaseUrl: BASE } as AppConfig,
    clock,
    verifier as unknown as PaymentVerifier,
  );
  return { service, repo, accounts, transitions, verifier };
}

async function problemOf(promise: Promise<unknown>): Promise<{ status: number; code: string; detail: string }> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemException);
  const { status, code, detail } = err as ProblemException;
  return { status, code, detail };
}

describe('InboundCallbacksService', () => {
  describe("confirm_with_gateway (an unsigned notice: only the gateway's verify API counts)", () => {
    const CONFIRM: InboundVerdict = { kind: 'confirm_with_gateway', reason: 'pushback' };
    const cb = () => callback({ by: 'reference', reference: 'REF1' }, CONFIRM);

    it('asks the gateway and reports a payment it confirmed', async () => {
      const { service, repo, accounts, verifier, transitions } = setup();
      repo.findByReference.mockResolvedValue(txn({ status: 'PENDING' }));
      accounts.credentials.mockResolvedValue({});
      verifier.verifyOne.mockResolvedValue(result('PAID', transitionTo('PAID')));
      expect(await service.handle(cb(), REQUEST)).toEqual({ location: 'https://shop.example/ok', result: 'paid' });
      expect(verifier.verifyOne).toHaveBeenCalledWith(expect.objectContaining({ id: 'txn_1' }), 'provider:checkout');
      expect(transitions.apply).not.toHaveBeenCalled();
    });

    it('a flag the gateway\'s answer raised is "flagged"; nothing new (PENDING there), or an expiry it reported, is "unchanged"', async () => {
      const { service, repo, accounts, verifier } = setup();
      repo.findByReference.mockResolvedValue(txn({ status: 'PENDING' }));
      repo.orderOf.mockResolvedValue(order('PENDING'));
      accounts.credentials.mockResolvedValue({});
      verifier.verifyOne.mockResolvedValueOnce(result('PENDING', { outcome: 'flag', from: 'PENDING', event: 'order.flagged', addFlags: ['amount_mismatch'] }));
      expect((await service.handle(cb(), REQUEST)).result).toBe('flagged');
      verifier.verifyOne.mockResolvedValueOnce(null);
      expect(await service.handle(cb(), REQUEST)).toEqual({ location: `${BASE}/pay/ord_1`, result: 'unchanged' });
      verifier.verifyOne.mockResolvedValueOnce(
        result('EXPIRED', { outcome: 'transition', from: 'PENDING', to: 'EXPIRED', event: 'order.expired', addFlags: [] }),
      );
      expect((await service.handle(cb(), REQUEST)).result).toBe('unchanged');
    });

    it('asks nothing for a transaction already PAID (a replayed notice)', async () => {
      const { service, repo, accounts, verifier } = setup();
      repo.findByReference.mockResolvedValue(txn({ status: 'PAID' }));
      repo.orderOf.mockResolvedValue(order('PAID'));
      accounts.credentials.mockResolvedValue({});
      expect(await service.handle(cb(), REQUEST)).toEqual({ location: `${BASE}/pay/ord_1`, result: 'unchanged' });
      expect(verifier.verifyOne).not.toHaveBeenCalled();
    });

    it('a notice for a transaction checked for a notice moments ago asks nothing: 429 with Retry-After', async () => {
      const { service, repo, accounts, verifier } = setup();
      repo.findByReference.mockResolvedValue(txn({ status: 'PENDING' }));
      accounts.credentials.mockResolvedValue({});
      repo.claimConfirmCheck.mockResolvedValue(false);
      const err = await service.handle(cb(), REQUEST).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProblemException);
      expect(err).toMatchObject({ status: 429, code: 'rate_limited' });
      expect((err as ProblemException).extra.headers).toEqual({ 'Retry-After': String(CONFIRM_CHECK_INTERVAL_SECONDS) });
      expect(repo.claimConfirmCheck).toHaveBeenCalledWith('txn_1', CONFIRM_CHECK_INTERVAL_SECONDS);
      expect(verifier.verifyOne).not.toHaveBeenCalled();
    });

    it('a gateway failure is its 502/504 problem', async () => {
      const { service, repo, accounts, verifier } = setup();
      repo.findByReference.mockResolvedValue(txn({ status: 'PENDING' }));
      accounts.credentials.mockResolvedValue({});
      verifier.verifyOne.mockRejectedValue(new ProviderError('payway', 'timeout', 'the gateway did not answer in time'));
      expect(await problemOf(service.handle(cb(), REQUEST))).toMatchObject({ status: 504, code: 'provider_timeout' });
    });
  });

  it('answers a refusal from locate() without touching the database', async () => {
    const { service, repo } = setup();
    const refusing: InboundCallback = {
      provider: 'checkout',
      locate: () => ({ kind: 'refuse', status: 404, code: 'not_found', detail: 'x was not found' }),
      interpret: jest.fn(),
    };
    expect(await problemOf(service.handle(refusing, REQUEST))).toEqual({ status: 404, code: 'not_found', detail: 'x was not found' });
    expect(repo.findByReference).not.toHaveBeenCalled();
  });

  describe('by reference (a signed return)', () => {
    it('interprets an unknown reference with no account and no transaction, and answers its refusal', async () => {
      const { service, repo, accounts } = setup();
      repo.findByReference.mockResolvedValue(null);
      const cb = callback(
        { by: 'reference', reference: '42' },
        { kind: 'refuse', status: 400, code: 'invalid_signature', detail: 'success_hash does not match' },
      );
      expect(await problemOf(service.handle(cb, REQUEST))).toMatchObject({ status: 400, code: 'invalid_signature' });
      expect(cb.interpret).toHaveBeenCalledWith({ request: REQUEST, account: null, transaction: null, now: NOW });
      expect(accounts.credentials).not.toHaveBeenCalled();
    });

    it("verifies with the transaction's merchant's account and pays through OrderTransitions", async () => {
      const { service, repo, accounts, transitions } = setup();
      repo.findByReference.mockResolvedValue(txn());
      accounts.credentials.mockResolvedValue({ profile_key: 'k' });
      transitions.apply.mockResolvedValue(result('PAID', transitionTo('PAID')));
      const cb = callback({ by: 'reference', reference: 'REF1' }, PAY);
      expect(await service.handle(cb, REQUEST)).toEqual({ location: 'https://shop.example/ok', result: 'paid' });
      expect(accounts.credentials).toHaveBeenCalledWith({ merchantId: 'mer_1', livemode: true }, 'checkout');
      expect(cb.interpret).toHaveBeenCalledWith({
        request: REQUEST,
        account: { profile_key: 'k' },
        transaction: { providerReference: 'REF1', amountMinor: 1250, currency: 'USD' },
        now: NOW,
      });
      expect(transitions.apply).toHaveBeenCalledWith(
        'ord_1',
        { kind: 'pay', verification: 'browser_return', paidAmountMinor: 1250, paidCurrency: 'USD', paidAt: NOW },
        { transactionId: 'txn_1', actor: 'provider:checkout', proof: 'P1', reason: 'because' },
      );
    });

    it('leads to the status page when the payment was only flagged', async () => {
      const { service, repo, accounts, transitions } = setup();
      repo.findByReference.mockResolvedValue(txn());
      accounts.credentials.mockResolvedValue({});
      transitions.apply.mockResolvedValue(result('PENDING', { outcome: 'flag', from: 'PENDING', event: 'order.flagged', addFlags: ['amount_mismatch'] }));
      expect(await service.handle(callback({ by: 'reference', reference: 'REF1' }, PAY), REQUEST)).toEqual({
        location: `${BASE}/pay/ord_1`,
        result: 'flagged',
      });
    });
  });

  describe('by merchant (a webhook)', () => {
    const lookup: InboundLookup = { by: 'merchant', merchantId: 'mer_1' };

    it('answers 404 for a merchant without an account of this gateway', async () => {
      const { service, accounts } = setup();
      accounts.configuredCredentials.mockRejectedValue(new ProblemException(422, 'provider_account_missing', 'none'));
      expect(await problemOf(service.handle(callback(lookup, PAY), REQUEST))).toEqual({
        status: 404,
        code: 'not_found',
        detail: 'checkout account was not found',
      });
    });

    it('looks the named transaction up within that merchant only', async () => {
      const { service, repo, accounts } = setup();
      accounts.configuredCredentials.mockResolvedValue({ secret_key: 's' });
      repo.findByReference.mockResolvedValue(null);
      expect(await problemOf(service.handle(callback(lookup, PAY), REQUEST))).toEqual({
        status: 404,
        code: 'not_found',
        detail: 'transaction REF1 was not found',
      });
      expect(repo.findByReference).toHaveBeenCalledWith('checkout', 'REF1', { merchantId: 'mer_1', livemode: true });
    });

    it('decides the mode by the account whose secret verifies the call: the test-mode one looks in test mode only', async () => {
      const { service, repo, accounts } = setup();
      accounts.configuredCredentials.mockImplementation(async (scope: { livemode: boolean }) => ({ secret_key: scope.livemode ? 'live' : 'test' }));
      const cb = callback(lookup, PAY);
      cb.interpret.mockImplementation((input: { account: { secret_key: string } }) =>
        input.account.secret_key === 'test' ? PAY : { kind: 'refuse', status: 400, code: 'invalid_signature', detail: 'bad signature' },
      );
      repo.findByReference.mockResolvedValue(null);
      expect(await problemOf(service.handle(cb, REQUEST))).toMatchObject({ status: 404 });
      expect(repo.findByReference).toHaveBeenCalledTimes(1);
      expect(repo.findByReference).toHaveBeenCalledWith('checkout', 'REF1', { merchantId: 'mer_1', livemode: false });
    });

    it('answers the refusal when no account of either mode verifies the call', async () => {
      const { service, repo, accounts } = setup();
      accounts.configuredCredentials.mockResolvedValue({ secret_key: 's' });
      const refusal = { kind: 'refuse', status: 400, code: 'invalid_signature', detail: 'bad signature' } as const;
      expect(await problemOf(service.handle(callback(lookup, refusal), REQUEST))).toMatchObject({ status: 400, code: 'invalid_signature' });
      expect(repo.findByReference).not.toHaveBeenCalled();
    });

    it('reports a repeated webhook as unchanged', async () => {
      const { service, repo, accounts, transitions } = setup();
      accounts.configuredCredentials.mockResolvedValue({ secret_key: 's' });
      repo.findByReference.mockResolvedValue(txn());
      transitions.apply.mockResolvedValue(result('PAID', { outcome: 'noop', reason: 'already paid' }, false));
      expect(await service.handle(callback(lookup, PAY), REQUEST)).toMatchObject({ result: 'unchanged' });
    });
  });

  describe('by a link token', () => {
    it('finds the transaction by the sha256 of the token; an unknown token is 404 before any interpretation', async () => {
      const { service, repo } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(null);
      const cb = callback({ by: 'return_token', token: 'tok' }, PAY);
      expect(await problemOf(service.handle(cb, REQUEST))).toEqual({ status: 404, code: 'not_found', detail: 'return link was not found' });
      expect(repo.findByReturnTokenHash).toHaveBeenCalledWith('checkout', sha256Hex('tok'));
      expect(cb.interpret).not.toHaveBeenCalled();
    });

    it('leads a return that is no evidence back to the order, changing nothing', async () => {
      const { service, repo, transitions } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(txn({ returnTokenUsedAt: new Date() }));
      repo.orderOf.mockResolvedValue(order('PENDING'));
      expect(await service.handle(callback({ by: 'return_token', token: 'tok' }, { kind: 'lead_to_order' }), REQUEST)).toEqual({
        location: `${BASE}/pay/ord_1`,
        result: 'unchanged',
      });
      expect(transitions.apply).not.toHaveBeenCalled();
    });

    it('refuses a spent single-use return token before interpreting the call', async () => {
      const { service, repo } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(txn({ returnTokenUsedAt: new Date() }));
      const cb = callback({ by: 'return_token', token: 'tok' }, PAY, true);
      expect(await problemOf(service.handle(cb, REQUEST))).toMatchObject({ status: 409, code: 'return_token_used' });
      expect(cb.interpret).not.toHaveBeenCalled();
    });

    it('claims the token with the proof and pays in the same database transaction', async () => {
      const { service, repo, transitions } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(txn());
      repo.claimReturnToken.mockResolvedValue(true);
      transitions.tryApply.mockResolvedValue(result('PAID', transitionTo('PAID')));
      expect(await service.handle(callback({ by: 'return_token', token: 'tok' }, PAY, true), REQUEST)).toEqual({
        location: 'https://shop.example/ok',
        result: 'paid',
      });
      expect(repo.claimReturnToken).toHaveBeenCalledWith(MANAGER, txn(), 'P1');
      expect(transitions.tryApply).toHaveBeenCalledWith(MANAGER, 'ord_1', expect.objectContaining({ kind: 'pay' }), expect.objectContaining({ proof: 'P1' }));
      expect(transitions.apply).not.toHaveBeenCalled();
    });

    it('answers 409 return_token_used when a racing return spent the token first', async () => {
      const { service, repo, transitions } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(txn());
      repo.claimReturnToken.mockResolvedValue(false);
      expect(await problemOf(service.handle(callback({ by: 'return_token', token: 'tok' }, PAY, true), REQUEST))).toMatchObject({
        status: 409,
        code: 'return_token_used',
      });
      expect(transitions.tryApply).not.toHaveBeenCalled();
    });

    it('rolls the claim back with 409 order_not_payable when the state machine rejects the payment', async () => {
      const { service, repo, transitions } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(txn());
      repo.claimReturnToken.mockResolvedValue(true);
      transitions.tryApply.mockResolvedValue(result('EXPIRED', { outcome: 'rejected', reason: 'the order has expired' }, false));
      // Thrown inside inTransaction's work: the database transaction, and with it the claim, is rolled back.
      expect(await problemOf(service.handle(callback({ by: 'return_token', token: 'tok' }, PAY, true), REQUEST))).toEqual({
        status: 409,
        code: 'order_not_payable',
        detail: 'the order has expired',
      });
    });

    it('answers 409 transaction_id_reused when the proof is already another payment', async () => {
      const { service, repo } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(txn());
      repo.claimReturnToken.mockRejectedValue(new ProofAlreadyUsedError());
      expect(await problemOf(service.handle(callback({ by: 'return_token', token: 'tok' }, PAY, true), REQUEST))).toMatchObject({
        status: 409,
        code: 'transaction_id_reused',
      });
    });

    it('retries a lost race in a new database transaction, and gives up with 409 after five', async () => {
      const { service, repo, transitions } = setup();
      repo.findByReturnTokenHash.mockResolvedValue(txn());
      repo.claimReturnToken.mockResolvedValue(true);
      transitions.tryApply.mockResolvedValueOnce(null).mockResolvedValueOnce(result('PAID', transitionTo('PAID')));
      expect(await service.handle(callback({ by: 'return_token', token: 'tok' }, PAY, true), REQUEST)).toMatchObject({ result: 'paid' });
      expect(repo.inTransaction).toHaveBeenCalledTimes(2);

      transitions.tryApply.mockReset().mockResolvedValue(null);
      repo.inTransaction.mockClear();
      expect(await problemOf(service.handle(callback({ by: 'return_token', token: 'tok' }, PAY, true), REQUEST))).toMatchObject({
        status: 409,
        code: 'concurrent_update',
      });
      expect(repo.inTransaction).toHaveBeenCalledTimes(5);
    });

    it('a cancel spends the return token and cancels, leading to the cancel_url', async () => {
      const { service, repo, transitions } = setup();
      repo.findByCancelTokenHash.mockResolvedValue(txn());
      repo.claimReturnToken.mockResolvedValue(true);
      transitions.tryApply.mockResolvedValue(result('CANCELLED', transitionTo('CANCELLED')));
      expect(await service.handle(callback({ by: 'cancel_token', token: 'c' }, CANCEL, true), REQUEST)).toEqual({
        location: 'https://shop.example/cancel',
        result: 'cancelled',
      });
      expect(repo.findByCancelTokenHash).toHaveBeenCalledWith('checkout', sha256Hex('c'));
      expect(repo.claimReturnToken).toHaveBeenCalledWith(MANAGER, txn(), undefined);
      expect(transitions.tryApply).toHaveBeenCalledWith(MANAGER, 'ord_1', { kind: 'cancel' }, expect.objectContaining({ reason: 'the customer cancelled' }));
    });

    it('a cancel after the return token was spent leaves the order as it is', async () => {
      const { service, repo, transitions } = setup();
      repo.findByCancelTokenHash.mockResolvedValue(txn({ returnTokenUsedAt: new Date() }));
      repo.claimReturnToken.mockResolvedValue(false);
      repo.orderOf.mockResolvedValue(order('PAID'));
      expect(await service.handle(callback({ by: 'cancel_token', token: 'c' }, CANCEL, true), REQUEST)).toEqual({
        location: `${BASE}/pay/ord_1`,
        result: 'unchanged',
      });
      expect(repo.orderOf).toHaveBeenCalledWith(txn({ returnTokenUsedAt: expect.any(Date) }), MANAGER);
      expect(transitions.tryApply).not.toHaveBeenCalled();
    });
  });
});
