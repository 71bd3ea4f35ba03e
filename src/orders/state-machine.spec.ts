import { decide, ORDER_STATUSES, OrderCommand, OrderFacts, OrderStatus } from './state-machine';

const expiresAt = new Date('2026-01-01T00:15:00Z');
const before = new Date('2026-01-01T00:10:00Z');
const after = new Date('2026-01-01T00:20:00Z');
const facts = (status: OrderStatus, flags: string[] = []): OrderFacts => ({ status, amountMinor: 1250, currency: 'USD', expiresAt, flags });
const pay = (amount = 1250, currency = 'USD', paidAt = before): OrderCommand => ({
  kind: 'pay',
  verification: 'provider_api',
  paidAmountMinor: amount,
  paidCurrency: currency,
  paidAt,
});
/** The hosted checkout's return: only the customer's browser says the order was paid. */
const browserPay = (paidAt = before, amount = 1250): OrderCommand => ({
  kind: 'pay',
  verification: 'browser_return',
  paidAmountMinor: amount,
  paidCurrency: 'USD',
  paidAt,
});

describe('order state machine', () => {
  // The whole table: every status against every command. Any change to the rules must change this table.
  const table: [OrderStatus, OrderCommand, string][] = [
    ['PENDING', pay(), 'transition PAID order.paid []'],
    ['PENDING', pay(1250, 'USD', after), 'transition PAID order.paid [late_payment]'],
    ['PENDING', pay(1200), 'flag order.flagged [amount_mismatch]'],
    ['PENDING', pay(1250, 'KHR'), 'flag order.flagged [amount_mismatch]'],
    ['PENDING', { kind: 'expire' }, 'transition EXPIRED order.expired []'],
    ['PENDING', { kind: 'cancel' }, 'transition CANCELLED order.cancelled []'],
    ['PENDING', { kind: 'fail', reason: 'x' }, 'transition FAILED order.failed []'],
    ['PENDING', { kind: 'resolve', to: 'PAID', reason: 'x' }, 'transition PAID order.paid []'],
    ['PENDING', { kind: 'resolve', to: 'FAILED', reason: 'x' }, 'transition FAILED order.failed []'],
    ['PENDING', { kind: 'flag', flag: 'fulfillment_failed', reason: 'x' }, 'flag order.flagged [fulfillment_failed]'],
    ['PAID', pay(), 'noop'],
    ['PAID', pay(1), 'noop'],
    ['PAID', { kind: 'expire' }, 'noop'],
    ['PAID', { kind: 'cancel' }, 'rejected'],
    ['PAID', { kind: 'fail', reason: 'x' }, 'noop'],
    ['PAID', { kind: 'resolve', to: 'FAILED', reason: 'x' }, 'rejected'],
    ['PAID', { kind: 'flag', flag: 'fulfillment_failed', reason: 'x' }, 'flag order.flagged [fulfillment_failed]'],
    ['EXPIRED', pay(1250, 'USD', after), 'transition PAID order.paid [late_payment]'],
    ['EXPIRED', pay(1250, 'USD', before), 'transition PAID order.paid [late_payment]'],
    ['EXPIRED', pay(99), 'flag order.flagged [amount_mismatch]'],
    ['EXPIRED', { kind: 'expire' }, 'noop'],
    ['EXPIRED', { kind: 'cancel' }, 'rejected'],
    ['EXPIRED', { kind: 'fail', reason: 'x' }, 'noop'],
    ['EXPIRED', { kind: 'resolve', to: 'PAID', reason: 'x' }, 'rejected'],
    ['CANCELLED', pay(), 'transition PAID order.paid [late_payment,paid_after_cancel]'],
    ['CANCELLED', { kind: 'cancel' }, 'noop'],
    ['CANCELLED', { kind: 'expire' }, 'noop'],
    ['CANCELLED', { kind: 'resolve', to: 'PAID', reason: 'x' }, 'rejected'],
    ['FAILED', pay(), 'transition PAID order.paid [late_payment]'],
    ['FAILED', { kind: 'cancel' }, 'rejected'],
    ['FAILED', { kind: 'fail', reason: 'x' }, 'noop'],
    ['FAILED', { kind: 'resolve', to: 'PAID', reason: 'x' }, 'rejected'],
    // The browser's word pays an open order in time, and nothing else: a late payment needs the gateway's own proof.
    ['PENDING', browserPay(), 'transition PAID order.paid []'],
    ['PENDING', browserPay(after), 'rejected'],
    ['PAID', browserPay(), 'noop'],
    ['EXPIRED', browserPay(), 'rejected'],
    ['EXPIRED', browserPay(before, 99), 'rejected'],
    ['CANCELLED', browserPay(), 'rejected'],
    ['FAILED', browserPay(), 'rejected'],
  ];

  it.each(table)('%s + %j -> %s', (status, command, expected) => {
    const d = decide(facts(status), command);
    const summary =
      d.outcome === 'transition'
        ? `transition ${d.to} ${d.event} [${d.addFlags.join(',')}]`
        : d.outcome === 'flag'
          ? `flag ${d.event} [${d.addFlags.join(',')}]`
          : d.outcome;
    expect(summary).toBe(expected);
  });

  it('covers every status with every command kind', () => {
    const kinds = new Set(['pay', 'expire', 'cancel', 'fail', 'resolve', 'flag']);
    for (const status of ORDER_STATUSES) {
      for (const kind of kinds) {
        const command = {
          pay: pay(),
          expire: { kind: 'expire' },
          cancel: { kind: 'cancel' },
          fail: { kind: 'fail', reason: 'r' },
          resolve: { kind: 'resolve', to: 'PAID', reason: 'r' },
          flag: { kind: 'flag', flag: 'f', reason: 'r' },
        }[kind] as OrderCommand;
        expect(['transition', 'flag', 'noop', 'rejected']).toContain(decide(facts(status), command).outcome);
      }
    }
  });

  it('never pays from PAID, and never leaves PAID', () => {
    for (const command of [pay(), pay(5), { kind: 'expire' }, { kind: 'cancel' }, { kind: 'fail', reason: 'r' }] as OrderCommand[]) {
      const d = decide(facts('PAID'), command);
      expect(d.outcome === 'transition').toBe(false);
    }
  });

  it('flags a mismatch only once', () => {
    expect(decide(facts('PENDING', ['amount_mismatch']), pay(5)).outcome).toBe('noop');
  });

  it('a correct payment after a mismatch still pays', () => {
    const d = decide(facts('PENDING', ['amount_mismatch']), pay());
    expect(d).toMatchObject({ outcome: 'transition', to: 'PAID' });
  });
});
