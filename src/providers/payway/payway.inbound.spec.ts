import { isRefusal } from '../inbound';
import { paywayPushback, PUSHBACK_MAX_BYTES } from './payway.inbound';

const req = (body: unknown) => ({ params: {}, query: {}, headers: {}, rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
const txn = { providerReference: '100000001', amountMinor: 1250, currency: 'USD' as const };

describe('payway pushback', () => {
  it('a documented pushback is located by its tran_id and only ever asks the gateway (never pays by itself)', () => {
    expect(paywayPushback.locate(req({ tran_id: '100000001', apv: '123456', status: '0' }))).toEqual({ by: 'reference', reference: '100000001' });
    expect(paywayPushback.locate(req({ tran_id: 100000001, apv: 123456, status: 0 }))).toEqual({ by: 'reference', reference: '100000001' });
    const verdict = paywayPushback.interpret({ request: req({ tran_id: '100000001', status: '0' }), account: null, transaction: txn, now: new Date() });
    expect(verdict.kind).toBe('confirm_with_gateway');
  });

  it.each([
    ['no body', undefined, 'malformed_payload'],
    ['not JSON', 'tran_id=1&status=0', 'malformed_payload'],
    ['an array', [1], 'malformed_payload'],
    ['no tran_id', { status: '0' }, 'malformed_payload'],
    ['a tran_id of another shape', { tran_id: '1/../2', status: '0' }, 'malformed_payload'],
    ['a tran_id too long', { tran_id: '1'.repeat(21), status: '0' }, 'malformed_payload'],
    ['no status', { tran_id: '1' }, 'malformed_payload'],
    ['too large', { tran_id: '1', status: '0', pad: 'x'.repeat(PUSHBACK_MAX_BYTES) }, 'body_too_large'],
  ])('%s is refused before any lookup', (_name, body, code) => {
    const located = paywayPushback.locate(body === undefined ? { params: {}, query: {}, headers: {} } : req(body));
    expect(isRefusal(located) && located.code).toBe(code);
  });

  it('an unknown tran_id is the uniform 404', () => {
    const verdict = paywayPushback.interpret({ request: req({ tran_id: '9', status: '0' }), account: null, transaction: null, now: new Date() });
    expect(verdict).toMatchObject({ kind: 'refuse', status: 404, code: 'not_found' });
  });
});
