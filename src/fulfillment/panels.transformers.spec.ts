import type { OutboundResponse } from '../common/http/outbound-http';
import {
  memoFor,
  parsePerfectPanelAdd,
  parsePerfectPanelPayments,
  parseSocPanelIncrement,
  perfectPanelAddPayment,
  perfectPanelListPayments,
  socPanelIncrementBalance,
  transportOutcome,
} from './panels.transformers';

const res = (status: number, body: string): OutboundResponse => ({ status, body, headers: {}, durationMs: 1 });
const ORDER = 'ord_01jd0000000000000000000000';

describe('PerfectPanel wire format', () => {
  it('writes the amount as a JSON number literal straight from the decimal string', () => {
    const req = perfectPanelAddPayment('https://panel.example.com', 'key-1', { username: 'al"ice', amount: '12.50', orderId: ORDER });
    expect(req).toMatchObject({
      method: 'POST',
      url: 'https://panel.example.com/adminapi/v2/payments/add',
      headers: { 'x-api-key': 'key-1', 'content-type': 'application/json' },
    });
    expect(req.body).toBe(`{"username":"al\\"ice","amount":12.50,"method":"KHQR","memo":"KHQR top-up ${ORDER}"}`);
    expect(JSON.parse(req.body!)).toEqual({ username: 'al"ice', amount: 12.5, method: 'KHQR', memo: memoFor(ORDER) });
    expect(() => perfectPanelAddPayment('https://p', 'k', { username: 'a', amount: '1e3', orderId: ORDER })).toThrow();
  });

  it('looks up by username', () => {
    expect(perfectPanelListPayments('https://p.example.com', 'k', 'bob smith').url).toBe(
      'https://p.example.com/adminapi/v2/payments?username=bob+smith&limit=100',
    );
  });

  it.each([
    [res(200, '{"data":{"payment_id":42,"user":{"balance":"3.00"}},"error_code":0,"error_message":""}'), { kind: 'credited', paymentId: '42' }],
    [res(200, '{"data":null,"error_code":"0"}'), { kind: 'credited', paymentId: null }],
    [
      res(200, '{"data":null,"error_code":102,"error_message":"User not found"}'),
      { kind: 'rejected', message: 'the panel refused (error_code 102): User not found' },
    ],
    [res(401, '{"error_code":401,"error_message":"Invalid API key"}'), { kind: 'rejected', message: 'the panel answered HTTP 401: Invalid API key' }],
    [res(429, ''), { kind: 'rejected', message: 'the panel answered HTTP 429' }],
    [res(500, '<html>'), { kind: 'unknown', message: 'the panel answered HTTP 500' }],
    [res(200, '<!DOCTYPE html>'), { kind: 'unknown', message: 'the panel answered with a body that is not a JSON object' }],
    [res(200, '{"data":{}}'), { kind: 'unknown', message: 'the panel answered JSON without error_code' }],
    [res(302, ''), { kind: 'unknown', message: 'the panel answered HTTP 302' }],
  ])('classifies a payments/add answer %#', (r, expected) => {
    expect(parsePerfectPanelAdd(r)).toEqual(expected);
  });

  it('finds a past credit by the order id in the memo', () => {
    const list = (items: unknown[]) => res(200, JSON.stringify({ data: { list: items }, error_code: 0 }));
    expect(
      parsePerfectPanelPayments(
        list([
          { id: 1, memo: 'other' },
          { id: 7, memo: memoFor(ORDER) },
        ]),
        ORDER,
      ),
    ).toEqual({ kind: 'found', paymentId: '7' });
    expect(parsePerfectPanelPayments(list([{ id: 1, memo: 'KHQR top-up ord_other' }, { id: 2 }]), ORDER)).toEqual({ kind: 'absent' });
    expect(parsePerfectPanelPayments(res(200, JSON.stringify({ data: [{ id: 3, memo: memoFor(ORDER) }], error_code: 0 })), ORDER)).toEqual({
      kind: 'found',
      paymentId: '3',
    });
    expect(() => parsePerfectPanelPayments(res(500, ''), ORDER)).toThrow(/look-up failed: HTTP 500/);
    expect(() => parsePerfectPanelPayments(res(200, '{"error_code":5,"error_message":"nope"}'), ORDER)).toThrow(/nope/);
    expect(() => parsePerfectPanelPayments(res(200, '{"error_code":0,"data":{}}'), ORDER)).toThrow(/no list/);
  });
});

describe('SocPanel wire format', () => {
  it('puts login, amount and token in the query', () => {
    const req = socPanelIncrementBalance('https://soc.example.com', 't&k', { username: 'ivy', amount: '4.00' });
    expect(req).toMatchObject({ method: 'GET', url: 'https://soc.example.com/privateApi/incrementUserBalance?login=ivy&amount=4.00&token=t%26k' });
  });

  it.each([
    [res(200, '{"status":"success","balance":"4.00"}'), 'credited'],
    [res(200, '{"error":"User not found"}'), 'rejected'],
    [res(200, '{"status":"error","message":"bad"}'), 'rejected'],
    [res(401, '{"error":"Invalid token"}'), 'rejected'],
    [res(503, ''), 'unknown'],
    [res(200, 'OK'), 'unknown'],
  ])('classifies an incrementUserBalance answer %#', (r, kind) => {
    expect(parseSocPanelIncrement(r).kind).toBe(kind);
  });
});

describe('transport failures', () => {
  it('only a call that never left is certainly not credited', () => {
    expect(transportOutcome('refused', 'outbound call refused: private address').kind).toBe('rejected');
    expect(transportOutcome('network', 'network error: ECONNREFUSED').kind).toBe('rejected');
    expect(transportOutcome('network', 'network error: ECONNRESET').kind).toBe('unknown');
    expect(transportOutcome('timeout', 'no answer within 1500 ms').kind).toBe('unknown');
  });
});
