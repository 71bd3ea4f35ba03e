import { InboundInput, InboundVerdict } from '../inbound';
import { checkoutCancelReturn, checkoutSuccessReturn } from './checkout.inbound';

const TOKEN = 'b'.repeat(43);
const NOW = new Date('2026-01-01T00:00:00Z');
const TXN = { providerReference: 'TRX123', amountMinor: 1250, currency: 'USD' as const };
const input = (query: Record<string, unknown>, transaction: InboundInput['transaction'] = TXN): InboundInput => ({
  request: { params: { token: TOKEN }, query, headers: {} },
  account: null,
  transaction,
  now: NOW,
});

describe('hosted checkout returns (inbound port)', () => {
  it.each([
    ['success', checkoutSuccessReturn, TOKEN, { by: 'return_token', token: TOKEN }],
    ['success', checkoutSuccessReturn, 'short', { kind: 'refuse', status: 404, code: 'not_found', detail: 'return link was not found' }],
    ['cancel', checkoutCancelReturn, TOKEN, { by: 'cancel_token', token: TOKEN }],
    ['cancel', checkoutCancelReturn, 'x'.repeat(42) + '!', { kind: 'refuse', status: 404, code: 'not_found', detail: 'cancel link was not found' }],
  ])('%s return locates %s', (_, callback, token, expected) => {
    expect(callback.locate({ params: { token }, query: {}, headers: {} })).toEqual(expected);
  });

  const cases: [string, InboundInput, Partial<InboundVerdict>][] = [
    [
      "a transaction_id pays the full amount on the browser's word, with the id as proof",
      input({ transaction_id: 'CJH1D2Y4W1' }),
      { kind: 'pay', verification: 'browser_return', providerReference: 'TRX123', paidAmountMinor: 1250, paidAt: NOW, proof: 'CJH1D2Y4W1' },
    ],
    ['no transaction_id', input({}), { kind: 'refuse', status: 400, code: 'missing_transaction_id' }],
    ['an empty transaction_id', input({ transaction_id: '' }), { kind: 'refuse', status: 400, code: 'missing_transaction_id' }],
    ['a repeated transaction_id (an array)', input({ transaction_id: ['a1b2', 'c3d4'] }), { kind: 'refuse', status: 400, code: 'bad_transaction_id' }],
    ['a transaction_id outside the alphabet', input({ transaction_id: 'abc<script>' }), { kind: 'refuse', status: 400, code: 'bad_transaction_id' }],
    ['no transaction behind the token', input({ transaction_id: 'CJH1D2Y4W1' }, null), { kind: 'refuse', status: 404, code: 'not_found' }],
  ];
  it.each(cases)('success return: %s', (_, given, expected) => {
    expect(checkoutSuccessReturn.interpret(given)).toMatchObject(expected);
  });

  it('a cancel is a cancel, and both links spend the single-use return token', () => {
    expect(checkoutCancelReturn.interpret(input({}))).toEqual({ kind: 'cancel', reason: 'the customer cancelled at the hosted checkout' });
    expect(checkoutSuccessReturn.singleUseReturnToken).toBe(true);
    expect(checkoutCancelReturn.singleUseReturnToken).toBe(true);
  });
});
