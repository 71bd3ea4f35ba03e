import { hmacSha256Hex, sha256Hex } from '../../common/crypto';
import { InboundInput, InboundRequest, InboundVerdict } from '../inbound';
import { ahnajakCustomerReturn, ahnajakWebhook } from './ahnajak.inbound';
import { AHNAJAK_SIGNATURE_HEADER, AHNAJAK_WEBHOOK_MAX_BYTES } from './ahnajak.transformers';

const SECRET = 'sk_test_ahnajak_secret_0001';
const MERCHANT = 'mer_01jd2b3c4d5e6f7g8h9j0kmnpq';
const NOW = new Date('2026-01-01T00:00:00Z');
const TOKEN = 'A'.repeat(43);

function webhook(body: Record<string, unknown>, secret = SECRET): InboundRequest {
  const rawBody = Buffer.from(JSON.stringify(body));
  return { params: { merchantId: MERCHANT }, query: {}, headers: { [AHNAJAK_SIGNATURE_HEADER]: hmacSha256Hex(secret, rawBody) }, rawBody };
}
const payload = (transactionId: string, amount: unknown, status: unknown = 'SUCCESS') => ({
  transaction_id: transactionId,
  amount,
  status,
  hash: sha256Hex(transactionId + String(amount) + SECRET),
});
const ACCOUNT = { profile_id: 'p-1', secret_key: SECRET, base_url: 'https://ahnajak.example' };
const input = (request: InboundRequest, account: InboundInput<'ahnajak'>['account'] = ACCOUNT): InboundInput<'ahnajak'> => ({
  request,
  account,
  transaction: null,
  now: NOW,
});

describe('Ahnajak webhook (inbound port)', () => {
  it.each([
    ['a merchant id', webhook(payload('100000001', '12.50')), { by: 'merchant', merchantId: MERCHANT }],
    [
      'a malformed merchant id',
      { ...webhook({}), params: { merchantId: 'not a merchant' } },
      { kind: 'refuse', status: 404, code: 'not_found', detail: 'merchant was not found' },
    ],
    ['no body', { params: { merchantId: MERCHANT }, query: {}, headers: {} }, { kind: 'refuse', status: 400, code: 'malformed_payload' }],
    [
      'a body too large',
      { params: { merchantId: MERCHANT }, query: {}, headers: {}, rawBody: Buffer.alloc(AHNAJAK_WEBHOOK_MAX_BYTES + 1) },
      { kind: 'refuse', status: 413, code: 'body_too_large' },
    ],
  ])('locates %s', (_, request, expected) => {
    expect(ahnajakWebhook.locate(request as InboundRequest)).toMatchObject(expected);
  });

  const cases: [string, InboundInput, Partial<InboundVerdict>][] = [
    [
      'a signed SUCCESS pays the transaction it names',
      input(webhook(payload('100000001', '12.50'))),
      { kind: 'pay', verification: 'signed_webhook', providerReference: '100000001', paidAmountMinor: 1250, paidAt: NOW },
    ],
    ['a bare number amount verifies as PHP prints it', input(webhook(payload('100000001', 12.5))), { kind: 'pay', paidAmountMinor: 1250 }],
    ['a body signed with another secret', input(webhook(payload('100000001', '12.50'), 'other')), { kind: 'refuse', status: 403, code: 'invalid_signature' }],
    [
      'a payload hash over other values',
      input(webhook({ ...payload('100000001', '12.50'), amount: '1.00' })),
      { kind: 'refuse', status: 403, code: 'hash_mismatch' },
    ],
    ['a status Ahnajak does not document', input(webhook(payload('100000001', '12.50', 'PENDING'))), { kind: 'refuse', status: 422, code: 'unknown_status' }],
    ['a transaction id that is not a number of ours', input(webhook(payload('abc', '12.50'))), { kind: 'refuse', status: 400, code: 'bad_transaction_id' }],
    ['an unusable amount', input(webhook(payload('100000001', '12.5.0'))), { kind: 'refuse', status: 400, code: 'bad_amount' }],
    ['a merchant without an account', input(webhook(payload('100000001', '12.50')), null), { kind: 'refuse', status: 404, code: 'not_found' }],
  ];
  it.each(cases)('%s', (_, given, expected) => {
    expect(ahnajakWebhook.interpret(given)).toMatchObject(expected);
  });

  it("reads the account's custom payload template", () => {
    const body = { order_id: '100000001', paid_amount: '12.50', payment_status: 'SUCCESS', signature: sha256Hex('100000001' + '12.50' + SECRET) };
    const account = { ...ACCOUNT, payload_template: { order_id: 'transaction_id', paid_amount: 'amount', payment_status: 'status', signature: 'hash' } };
    expect(ahnajakWebhook.interpret(input(webhook(body), account))).toMatchObject({ kind: 'pay', providerReference: '100000001', paidAmountMinor: 1250 });
  });
});

describe('Ahnajak customer return (inbound port)', () => {
  it.each([
    [TOKEN, { by: 'return_token', token: TOKEN }],
    ['100000001', { kind: 'refuse', status: 404, code: 'not_found', detail: 'return link was not found' }],
    [TOKEN + 'A', { kind: 'refuse', status: 404, code: 'not_found', detail: 'return link was not found' }],
  ])('locates %s', (token, expected) => {
    expect(ahnajakCustomerReturn.locate({ params: { token }, query: {}, headers: {} })).toEqual(expected);
  });

  it('is never evidence of payment, whatever it carries', () => {
    const request = { params: { token: TOKEN }, query: { success_hash: 'x', success_amount: '12.50', success_time: '1' }, headers: {} };
    expect(
      ahnajakCustomerReturn.interpret({
        request,
        account: null,
        transaction: { providerReference: '100000001', amountMinor: 1250, currency: 'USD' },
        now: NOW,
      }),
    ).toEqual({ kind: 'lead_to_order' });
    expect(ahnajakCustomerReturn.singleUseReturnToken).toBeFalsy();
  });
});
