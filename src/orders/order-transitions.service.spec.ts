import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { ProblemException } from '../common/problem';
import { AppConfig } from '../config/config';
import { OutboxWriter } from '../events/outbox.writer';
import { Order, Transaction } from './order.entity';
import { OrderTransitions } from './order-transitions.service';
import { OrderTransitionsRepository, TransactionFollow } from './order-transitions.repository';
import { OrderChange, OrdersRepository } from './orders.repository';
import { OrderCommand, OrderStatus } from './state-machine';
import { TransactionsRepository } from './transactions.repository';

const MANAGER = {} as EntityManager;
const EXPIRES = new Date('2026-01-01T00:30:00Z');
const PAID_AT = new Date('2026-01-01T00:10:00Z');

const order = (status: OrderStatus, over: Partial<Order> = {}): Order =>
  Object.assign(
    new Order(),
    {
      id: 'ord_1',
      merchantId: 'mer_1',
      status,
      amountMinor: 1250,
      currency: 'USD',
      expiresAt: EXPIRES,
      flags: [],
      eventSeq: 1,
      createdAt: PAID_AT,
      updatedAt: PAID_AT,
    },
    over,
  );
const txn = (status: OrderStatus = 'PENDING'): Transaction =>
  Object.assign(new Transaction(), { id: 'txn_1', orderId: 'ord_1', merchantId: 'mer_1', status, createdAt: PAID_AT });
const PAY: OrderCommand = { kind: 'pay', verification: 'provider_api', paidAmountMinor: 1250, paidCurrency: 'USD', paidAt: PAID_AT };

function setup(current: Order) {
  const orders = {
    inTransaction: jest.fn((work: (m: EntityManager) => Promise<unknown>) => work(MANAGER)),
    getById: jest.fn(async () => current),
  };
  const transactions = {
    latestOf: jest.fn(async () => txn()),
    findInOrder: jest.fn(async () => txn()),
  };
  const rows = {
    read: jest.fn(async (): Promise<{ order: Order; transaction: Transaction } | null> => ({ order: current, transaction: txn() })),
    compareAndSet: jest.fn(
      async (
        _m: EntityManager,
        _id: string,
        change: OrderChange,
        follow: TransactionFollow | null,
      ): Promise<{ order: Order; transaction: Transaction | null } | null> => ({
        order: order(change.to ?? current.status, { flags: change.addFlags, eventSeq: current.eventSeq + 1 }),
        transaction: follow ? txn(change.to) : null,
      }),
    ),
  };
  const outbox = { append: jest.fn() };
  const audit = { record: jest.fn() };
  const service = new OrderTransitions(
    orders as unknown as OrdersRepository,
    transactions as unknown as TransactionsRepository,
    outbox as unknown as OutboxWriter,
    { publicBaseUrl: 'https://orchestrator.example' } as AppConfig,
    audit as unknown as AuditLogRepository,
    rows as unknown as OrderTransitionsRepository,
  );
  return { service, orders, transactions, rows, outbox, audit };
}

describe('OrderTransitions (mocked repositories)', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it('applies a transition as a compare-and-set from the decided status, moves the transaction along and writes the event', async () => {
    const { service, transactions, rows, outbox, audit } = setup(order('PENDING'));
    const result = await service.apply('ord_1', PAY, { transactionId: 'txn_1', actor: 'sweeper', proof: 'P1', reason: 'the gateway reported the payment' });

    expect(result.changed).toBe(true);
    expect(result.transaction.status).toBe('PAID');
    expect(rows.read).toHaveBeenCalledWith(MANAGER, 'ord_1', 'txn_1');
    expect(transactions.findInOrder).not.toHaveBeenCalled();
    expect(rows.compareAndSet).toHaveBeenCalledWith(
      MANAGER,
      'ord_1',
      {
        from: 'PENDING',
        addFlags: [],
        to: 'PAID',
        paid: { at: PAID_AT, amountMinor: 1250, currency: 'USD', verification: 'provider_api' },
        reason: 'the gateway reported the payment',
      },
      { id: 'txn_1', proof: 'P1' },
    );
    expect(outbox.append).toHaveBeenCalledWith(MANAGER, expect.objectContaining({ orderId: 'ord_1', type: 'order.paid', sequence: 2 }));
    expect(audit.record).not.toHaveBeenCalled();
  });

  it('writes nothing for a no-op or a rejected command', async () => {
    for (const [status, command, outcome] of [
      ['PAID', PAY, 'noop'],
      ['PAID', { kind: 'cancel' }, 'rejected'],
    ] as const) {
      const { service, rows, outbox } = setup(order(status));
      const result = await service.apply('ord_1', command, { actor: 'merchant:mer_1' });
      expect(result.decision.outcome).toBe(outcome);
      expect(result.changed).toBe(false);
      expect(rows.read).toHaveBeenCalledWith(MANAGER, 'ord_1', undefined);
      expect(rows.compareAndSet).not.toHaveBeenCalled();
      expect(outbox.append).not.toHaveBeenCalled();
    }
  });

  it('a flag changes only the flags: no status, no transaction update, the flag event carries the flags added', async () => {
    const { service, rows, outbox } = setup(order('PENDING'));
    await service.apply('ord_1', { ...PAY, paidAmountMinor: 1 } as OrderCommand, { actor: 'sweeper', reason: 'short' });
    expect(rows.compareAndSet).toHaveBeenCalledWith(MANAGER, 'ord_1', { from: 'PENDING', addFlags: ['amount_mismatch'] }, null);
    expect(outbox.append).toHaveBeenCalledWith(
      MANAGER,
      expect.objectContaining({ type: 'order.flagged', data: expect.objectContaining({ flags_added: ['amount_mismatch'], reason: 'short' }) }),
    );
  });

  it('a manual resolution pays the order amount, verification manual, and is audited in the same transaction', async () => {
    const { service, rows, audit } = setup(order('PENDING'));
    await service.apply('ord_1', { kind: 'resolve', to: 'PAID', reason: 'seen in the bank statement' }, { transactionId: 'txn_1', actor: 'admin_token:abc' });
    const change = rows.compareAndSet.mock.calls[0][2];
    expect(change.paid).toMatchObject({ amountMinor: 1250, currency: 'USD', verification: 'manual' });
    expect(change.reason).toBe('seen in the bank statement');
    expect(audit.record).toHaveBeenCalledWith(MANAGER, {
      actor: 'admin_token:abc',
      action: 'transaction.resolve',
      subjectId: 'txn_1',
      reason: 'seen in the bank statement',
      details: { order_id: 'ord_1', to: 'PAID' },
    });
  });

  it('re-reads and decides again when it loses the compare-and-set, and gives up with 409 after five tries', async () => {
    const { service, rows } = setup(order('PENDING'));
    rows.compareAndSet.mockResolvedValueOnce(null);
    const won = await service.apply('ord_1', { kind: 'expire' }, { actor: 'sweeper' });
    expect(won.changed).toBe(true);
    expect(rows.read).toHaveBeenCalledTimes(2);

    rows.compareAndSet.mockResolvedValue(null);
    const err = await service.apply('ord_1', { kind: 'expire' }, { actor: 'sweeper' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemException);
    expect((err as ProblemException).code).toBe('concurrent_update');
  });

  it('falls back to the separate reads when the pair is not found, so a missing order or a foreign transaction fails as before', async () => {
    const { service, orders, transactions, rows } = setup(order('PENDING'));
    rows.read.mockResolvedValue(null);
    const missing = new Error('EntityNotFound');
    transactions.findInOrder.mockRejectedValue(missing);
    await expect(service.apply('ord_1', PAY, { transactionId: 'txn_other', actor: 'sweeper' })).rejects.toBe(missing);
    expect(orders.getById).toHaveBeenCalledWith(MANAGER, 'ord_1');
    expect(transactions.findInOrder).toHaveBeenCalledWith(MANAGER, 'txn_other', 'ord_1');
    expect(rows.compareAndSet).not.toHaveBeenCalled();
  });

  it('applyMany: several orders in ONE database transaction, each its own compare-and-set and event, in order-id order; results in request order', async () => {
    const { service, orders, rows, outbox } = setup(order('PENDING'));
    const results = await service.applyMany([
      { orderId: 'ord_2', command: PAY, ctx: { transactionId: 'txn_2', actor: 'sweeper' } },
      { orderId: 'ord_1', command: { kind: 'expire' }, ctx: { transactionId: 'txn_1', actor: 'sweeper' } },
    ]);
    expect(orders.inTransaction).toHaveBeenCalledTimes(1);
    expect(rows.compareAndSet.mock.calls.map((c) => c[1])).toEqual(['ord_1', 'ord_2']);
    expect(outbox.append).toHaveBeenCalledTimes(2);
    expect(results.map((r) => r.status === 'fulfilled' && r.value.decision.outcome === 'transition' && r.value.decision.to)).toEqual(['PAID', 'EXPIRED']);
  });

  it('applyMany: when the shared transaction fails, each order is applied on its own, so one failure loses none of the others', async () => {
    const { service, orders, rows } = setup(order('PENDING'));
    const broken = new Error('duplicate key value violates unique constraint "transactions_provider_proof"');
    const cas = rows.compareAndSet.getMockImplementation()!;
    rows.compareAndSet.mockImplementation((m, id, change, follow) => (id === 'ord_bad' ? Promise.reject(broken) : cas(m, id, change, follow)));
    const results = await service.applyMany([
      { orderId: 'ord_bad', command: PAY, ctx: { transactionId: 'txn_bad', actor: 'sweeper' } },
      { orderId: 'ord_ok', command: PAY, ctx: { transactionId: 'txn_ok', actor: 'sweeper' } },
    ]);
    expect(orders.inTransaction).toHaveBeenCalledTimes(3); // the shared one (rolled back), then one each
    expect(results[0]).toEqual({ status: 'rejected', reason: broken });
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { changed: true } });
  });
});
