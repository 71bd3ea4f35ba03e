import { Logger } from '@nestjs/common';
import type { AuditLogRepository } from '../audit/audit-log.repository';
import type { Clock } from '../common/clock';
import { ProblemException } from '../common/problem';
import type { AppConfig } from '../config/config';
import type { OutboxWriter } from '../events/outbox.writer';
import type { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { Order, Transaction } from '../orders/order.entity';
import type { OrdersRepository } from '../orders/orders.repository';
import type { TransactionsRepository } from '../orders/transactions.repository';
import { PaymentProvider, ProviderError, ProviderRegistry, RefundOutcome } from '../providers/provider';
import type { Refund } from './refund.presenter';
import { RefundOutcomes } from './refund-outcomes';
import { firstRefundCheckAt, nextRefundCheckAt, REFUND_CHECK_DELAYS_MS } from './refund-schedule';
import type { RefundsRepository } from './refunds.repository';
import { RefundsService } from './refunds.service';

/** The refund services against mocked repositories and a mocked gateway: what is written, in which order, and what never happens. */

const NOW = new Date('2026-01-01T00:00:00Z');
const clock = { now: () => NOW, nowMs: () => NOW.getTime() } as Clock;
const config = { publicBaseUrl: 'https://pay.example', providerTimeoutMs: 10_000 } as AppConfig;

const order = (over: Partial<Order> = {}): Order =>
  Object.assign(new Order(), {
    id: 'ord_1',
    merchantId: 'mer_1',
    reference: 'R1',
    status: 'PAID',
    amountMinor: 1250,
    currency: 'USD',
    provider: 'raksmeypay',
    flags: [],
    paidAmountMinor: 1250,
    paidCurrency: 'USD',
    refundedMinor: 0,
    eventSeq: 3,
    expiresAt: NOW,
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  });
const txn = Object.assign(new Transaction(), {
  id: 'txn_1',
  orderId: 'ord_1',
  merchantId: 'mer_1',
  livemode: true,
  providerReference: 'P1',
  status: 'PAID',
  createdAt: NOW,
  expiresAt: NOW,
});
const refundRow = (over: Partial<Refund> = {}): Refund => ({
  id: 're_1',
  merchantId: 'mer_1',
  livemode: true,
  orderId: 'ord_1',
  transactionId: 'txn_1',
  provider: 'raksmeypay',
  amountMinor: 500,
  currency: 'USD',
  status: 'PENDING',
  method: 'provider_api',
  reason: null,
  failureReason: null,
  providerRefundId: null,
  checkCount: 0,
  createdAt: NOW,
  updatedAt: NOW,
  ...over,
});

function setup(gateway: Partial<PaymentProvider> = {}) {
  const manager = {};
  const refunds = {
    inTransaction: jest.fn((work: (m: unknown) => Promise<unknown>) => work(manager)),
    insert: jest.fn((_m: unknown, r: Partial<Refund>) => Promise.resolve(refundRow({ ...r, id: 're_1', checkCount: 0 }))),
    settle: jest.fn((_m: unknown, id: string, f: { status: 'SUCCEEDED' | 'FAILED'; failureReason: string | null }) =>
      Promise.resolve(refundRow({ id, status: f.status, failureReason: f.failureReason })),
    ),
    recordPending: jest.fn(() => Promise.resolve()),
    findForMerchant: jest.fn(() => Promise.resolve(refundRow())),
  };
  const orders = {
    findForMerchant: jest.fn(() => Promise.resolve(order())),
    reserveRefund: jest.fn((_m: unknown, q: { amountMinor: number | null; events: number }) =>
      Promise.resolve({ order: order({ refundedMinor: q.amountMinor ?? 1250, eventSeq: 3 + q.events }), amountMinor: q.amountMinor ?? 1250 }),
    ),
    settleRefund: jest.fn((_m: unknown, _id: string, release: number) => Promise.resolve(order({ refundedMinor: 500 - release, eventSeq: 5 }))),
  };
  const transactions = { latestOf: jest.fn(() => Promise.resolve(txn)), findById: jest.fn(() => Promise.resolve(txn)) };
  const accounts = { credentials: jest.fn(() => Promise.resolve({ base_url: 'https://gw.example' })) };
  const outbox = { append: jest.fn(() => Promise.resolve('evt_1')) };
  const audit = { record: jest.fn(() => Promise.resolve()) };
  const provider = {
    id: 'raksmeypay',
    capabilities: { refund: true },
    refund: jest.fn((): Promise<RefundOutcome> => Promise.resolve({ status: 'SUCCEEDED' })),
    checkRefund: jest.fn((): Promise<RefundOutcome> => Promise.resolve({ status: 'PENDING' })),
    ...gateway,
  } as unknown as PaymentProvider;
  const registry = new ProviderRegistry();
  registry.register(provider);
  const outcomes = new RefundOutcomes(
    refunds as unknown as RefundsRepository,
    orders as unknown as OrdersRepository,
    transactions as unknown as TransactionsRepository,
    accounts as unknown as ProviderAccountsService,
    registry,
    outbox as unknown as OutboxWriter,
    config,
    clock,
  );
  const service = new RefundsService(
    refunds as unknown as RefundsRepository,
    orders as unknown as OrdersRepository,
    transactions as unknown as TransactionsRepository,
    registry,
    accounts as unknown as ProviderAccountsService,
    outcomes,
    outbox as unknown as OutboxWriter,
    audit as unknown as AuditLogRepository,
    config,
    clock,
  );
  return { service, outcomes, refunds, orders, outbox, audit, provider, accounts };
}

const who = { scope: { merchantId: 'mer_1', livemode: true }, actor: 'api_key:key_1' };
const types = (outbox: { append: jest.Mock }) => outbox.append.mock.calls.map((c) => [c[1].type, c[1].sequence]);

beforeAll(() => Logger.overrideLogger(false));

describe('RefundsService.create through a gateway', () => {
  it('commits the PENDING refund, its reservation and refund.created before calling the gateway, then applies SUCCEEDED', async () => {
    const s = setup();
    const order = [] as string[];
    s.refunds.inTransaction.mockImplementationOnce(async (work) => {
      const out = await work({});
      order.push('committed');
      return out;
    });
    (s.provider.refund as jest.Mock).mockImplementationOnce(() => {
      order.push('gateway');
      return Promise.resolve({ status: 'SUCCEEDED', providerRefundId: 'gw-1' });
    });
    const view = await s.service.create(who, 'ord_1', { amount: '5.00' });
    expect(order).toEqual(['committed', 'gateway']);
    expect(s.orders.reserveRefund).toHaveBeenCalledWith(expect.anything(), {
      scope: { merchantId: 'mer_1', livemode: true },
      orderId: 'ord_1',
      amountMinor: 500,
      events: 1,
    });
    expect(s.refunds.insert.mock.calls[0][1]).toMatchObject({
      status: 'PENDING',
      method: 'provider_api',
      amountMinor: 500,
      nextCheckAt: firstRefundCheckAt(NOW, 10_000),
    });
    expect(s.provider.refund).toHaveBeenCalledWith(expect.objectContaining({ refundId: 're_1', amountMinor: 500, currency: 'USD' }));
    expect(s.refunds.settle).toHaveBeenCalledWith(expect.anything(), 're_1', { status: 'SUCCEEDED', failureReason: null, providerRefundId: 'gw-1' });
    expect(s.orders.settleRefund).toHaveBeenCalledWith(expect.anything(), 'ord_1', 0);
    expect(types(s.outbox)).toEqual([
      ['refund.created', 4],
      ['refund.succeeded', 5],
    ]);
    expect(view.status).toBe('SUCCEEDED');
    expect(s.audit.record).not.toHaveBeenCalled();
  });

  it('a gateway that throws (ProviderError or anything else) leaves the refund PENDING with a next check, and answers it', async () => {
    for (const err of [new ProviderError('raksmeypay', 'rate_limited', 'slow down', 45), new Error('socket hang up')]) {
      const s = setup({ refund: jest.fn(() => Promise.reject(err)) });
      const view = await s.service.create(who, 'ord_1', {});
      expect(view.status).toBe('PENDING');
      const next = err instanceof ProviderError ? new Date(NOW.getTime() + 45_000) : new Date(NOW.getTime() + REFUND_CHECK_DELAYS_MS[0]);
      expect(s.refunds.recordPending).toHaveBeenCalledWith('re_1', { providerRefundId: null, nextCheckAt: next, error: expect.any(String) });
      expect(s.refunds.settle).not.toHaveBeenCalled();
      expect(types(s.outbox)).toEqual([['refund.created', 4]]);
    }
  });

  it('refuses before writing anything: no refund API without manual (409), a non-PAID order (409), a bad amount (400), a refused reservation (422)', async () => {
    const noApi = setup({ capabilities: { refund: false } as PaymentProvider['capabilities'], refund: undefined });
    await expect(noApi.service.create(who, 'ord_1', {})).rejects.toMatchObject({ status: 409, code: 'refund_not_supported' });
    const pending = setup();
    pending.orders.findForMerchant.mockResolvedValue(order({ status: 'PENDING', paidAmountMinor: null }));
    await expect(pending.service.create(who, 'ord_1', {})).rejects.toMatchObject({ status: 409, code: 'order_not_refundable' });
    const bad = setup();
    await expect(bad.service.create(who, 'ord_1', { amount: '1.001' })).rejects.toMatchObject({ status: 400 });
    const full = setup();
    full.orders.reserveRefund.mockResolvedValue(null as never);
    full.orders.findForMerchant.mockResolvedValue(order({ refundedMinor: 1000 }));
    const err = (await full.service.create(who, 'ord_1', { amount: '3.00' }).catch((e: unknown) => e)) as ProblemException;
    expect(err).toMatchObject({ status: 422, code: 'amount_exceeds_refundable' });
    expect(err.extra.amount_refundable).toBe('2.50');
    for (const s of [noApi, pending, bad, full]) {
      expect(s.refunds.insert).not.toHaveBeenCalled();
      expect(s.outbox.append).not.toHaveBeenCalled();
      expect(s.provider.refund ?? jest.fn()).not.toHaveBeenCalled();
    }
  });

  it('manual: SUCCEEDED in the same transaction, audited, created + succeeded; the gateway is never called', async () => {
    const s = setup({ capabilities: { refund: false } as PaymentProvider['capabilities'] });
    const view = await s.service.create(who, 'ord_1', { manual: true, reason: 'cash' });
    expect(view).toMatchObject({ status: 'SUCCEEDED', method: 'manual', amount: '12.50' });
    expect(s.audit.record).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ actor: 'api_key:key_1', action: 'refund.manual', reason: 'cash' }),
    );
    expect(types(s.outbox)).toEqual([
      ['refund.created', 4],
      ['refund.succeeded', 5],
    ]);
    expect(s.provider.refund).not.toHaveBeenCalled();
    expect(s.accounts.credentials).not.toHaveBeenCalled();
  });
});

describe('RefundOutcomes.apply', () => {
  it('FAILED gives the amount back and writes refund.failed with the reason', async () => {
    const s = setup();
    const out = await s.outcomes.apply(refundRow(), { status: 'FAILED', reason: 'balance too low' });
    expect(out).toMatchObject({ status: 'FAILED', failureReason: 'balance too low' });
    expect(s.orders.settleRefund).toHaveBeenCalledWith(expect.anything(), 'ord_1', 500);
    expect(types(s.outbox)).toEqual([['refund.failed', 5]]);
  });

  it('a refund someone else settled first (compare-and-set lost): no order change, no event', async () => {
    const s = setup();
    s.refunds.settle.mockResolvedValueOnce(null as never);
    s.refunds.findForMerchant.mockResolvedValueOnce(refundRow({ status: 'SUCCEEDED' }));
    expect((await s.outcomes.apply(refundRow(), { status: 'SUCCEEDED' })).status).toBe('SUCCEEDED');
    expect(s.orders.settleRefund).not.toHaveBeenCalled();
    expect(s.outbox.append).not.toHaveBeenCalled();
  });

  it('PENDING keeps the gateway refund id and schedules the next check on the back-off curve', async () => {
    const s = setup();
    await s.outcomes.apply(refundRow({ checkCount: 2 }), { status: 'PENDING', providerRefundId: 'gw-9' });
    expect(s.refunds.recordPending).toHaveBeenCalledWith('re_1', { providerRefundId: 'gw-9', nextCheckAt: nextRefundCheckAt(3, NOW), error: null });
    expect(s.outbox.append).not.toHaveBeenCalled();
  });
});

describe('refund schedule', () => {
  it('backs off, repeats the last delay, honours a capped Retry-After, and first looks after the creating call’s deadline', () => {
    expect(nextRefundCheckAt(1, NOW).getTime() - NOW.getTime()).toBe(30_000);
    expect(nextRefundCheckAt(3, NOW).getTime() - NOW.getTime()).toBe(120_000);
    expect(nextRefundCheckAt(99, NOW).getTime() - NOW.getTime()).toBe(3_600_000);
    expect(nextRefundCheckAt(1, NOW, 45).getTime() - NOW.getTime()).toBe(45_000);
    expect(nextRefundCheckAt(1, NOW, 10_000).getTime() - NOW.getTime()).toBe(60_000);
    expect(firstRefundCheckAt(NOW, 10_000).getTime() - NOW.getTime()).toBe(60_000);
    expect(firstRefundCheckAt(NOW, 50_000).getTime() - NOW.getTime()).toBe(100_000);
  });
});
