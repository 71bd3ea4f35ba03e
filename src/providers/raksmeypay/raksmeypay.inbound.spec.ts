import { InboundInput, InboundVerdict } from '../inbound';
import { raksmeypaySuccessReturn } from './raksmeypay.inbound';
import { successHash } from './raksmeypay.transformers';

const KEY = 'profile-key-1';
const NUMBER = '100000001';
const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const TXN = { providerReference: NUMBER, amountMinor: 1250, currency: 'USD' as const };

const signedQuery = (time = NOW_S - 10, amount = '12.5', key = KEY) => ({
  success_time: String(time),
  success_amount: amount,
  bakong_hash: 'bh',
  success_hash: successHash(key, String(time), amount, 'bh', NUMBER),
});

const input = (query: Record<string, unknown>, known = true): InboundInput<'raksmeypay'> => ({
  request: { params: { transactionNumber: NUMBER }, query, headers: {} },
  account: known ? { profile_id: 'p-1', profile_key: KEY, base_url: 'https://raksmeypay.example' } : null,
  transaction: known ? TXN : null,
  now: NOW,
});

describe('RaksmeyPay success return (inbound port)', () => {
  it.each([
    ['100000001', { by: 'reference', reference: '100000001' }],
    ['abc', { kind: 'refuse', status: 404, code: 'not_found', detail: 'transaction was not found' }],
    ['1'.repeat(19), { kind: 'refuse', status: 404, code: 'not_found', detail: 'transaction was not found' }],
  ])('locates %s', (transactionNumber, expected) => {
    expect(raksmeypaySuccessReturn.locate({ params: { transactionNumber }, query: {}, headers: {} })).toEqual(expected);
  });

  const cases: [string, InboundInput, Partial<InboundVerdict>][] = [
    [
      'a fresh, signed return pays with the Bakong hash as proof',
      input(signedQuery()),
      { kind: 'pay', verification: 'signed_return', providerReference: NUMBER, paidAmountMinor: 1250, paidAt: new Date((NOW_S - 10) * 1000), proof: 'bh' },
    ],
    ['a different amount still pays that amount (the state machine flags it)', input(signedQuery(NOW_S - 10, '1')), { kind: 'pay', paidAmountMinor: 100 }],
    ['a wrong key is a forgery', input(signedQuery(NOW_S - 10, '12.5', 'other')), { kind: 'refuse', status: 400, code: 'invalid_signature' }],
    [
      'an unknown number answers exactly like a forgery',
      input(signedQuery(), false),
      { kind: 'refuse', status: 400, code: 'invalid_signature', detail: 'success_hash does not match' },
    ],
    ['a stale return is refused', input(signedQuery(NOW_S - 181)), { kind: 'refuse', status: 400, code: 'stale_return' }],
    [
      'a stale return for an unknown number is refused the same way',
      input(signedQuery(NOW_S - 181), false),
      { kind: 'refuse', status: 400, code: 'stale_return' },
    ],
    ['missing parameters are refused', input({}), { kind: 'refuse', status: 400, code: 'missing_parameters' }],
  ];
  it.each(cases)('%s', (_, given, expected) => {
    expect(raksmeypaySuccessReturn.interpret(given)).toMatchObject(expected);
  });

  it('is pure: the same input gives the same verdict', () => {
    const given = input(signedQuery());
    expect(raksmeypaySuccessReturn.interpret(given)).toEqual(raksmeypaySuccessReturn.interpret(given));
  });
});
