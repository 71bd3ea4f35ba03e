import { createRequestBody, GATEWAY_TRANSACTION_ID, parseCreateResponse, RETURN_TOKEN } from './checkout.transformers';

const answer = (status: number, body: string) => ({ status, body, headers: {}, durationMs: 1 });

describe('hosted checkout transformers (seed 003)', () => {
  describe('create request', () => {
    const input = {
      amount: '150.50',
      clientBaseUrl: 'https://your-domain.com/api',
      customer: { name: 'John Doe', email: 'john.doe@example.com' },
      successUrl: 'https://orchestrator.example/callbacks/checkout/tok/return',
      cancelUrl: 'https://orchestrator.example/callbacks/checkout/tok/cancel',
      orderId: 'ord_1',
      reference: 'INV-1',
    };

    it("has the document's shape, with amount a JSON number written from the decimal string and meta_data a JSON string", () => {
      const body = createRequestBody(input);
      expect(body.startsWith('{"amount":150.50,')).toBe(true);
      expect(JSON.parse(body)).toEqual({
        amount: 150.5,
        client_base_url: 'https://your-domain.com/api',
        customer_name: 'John Doe',
        customer_email: 'john.doe@example.com',
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
        meta_data: '{"order_id":"ord_1","reference":"INV-1"}',
      });
    });

    it('omits the optional customer fields when there is no customer', () => {
      const body = JSON.parse(createRequestBody({ ...input, customer: null, amount: '10.00' }));
      expect(body).not.toHaveProperty('customer_name');
      expect(body).not.toHaveProperty('customer_email');
      expect(createRequestBody({ ...input, amount: '10.00' })).toMatch(/^\{"amount":10\.00,/);
    });

    it('never writes something that is not a plain decimal into the JSON', () => {
      expect(() => createRequestBody({ ...input, amount: '1e3' })).toThrow();
      expect(() => createRequestBody({ ...input, amount: '1,"x":2' })).toThrow();
    });
  });

  describe('create response', () => {
    it('reads the payment_url and its trx_id', () => {
      expect(parseCreateResponse(answer(200, '{"status":"success","payment_url":"https://your-domain.com/checkout?trx_id=a1b2c3"}'))).toEqual({
        paymentUrl: 'https://your-domain.com/checkout?trx_id=a1b2c3',
        trxId: 'a1b2c3',
      });
    });

    it("carries the gateway's error message (the documented Domain mismatch)", () => {
      const run = () => parseCreateResponse(answer(400, '{"status":"error","message":"Domain mismatch. দুঃখিত, সংযোগ স্থাপন করা যায়নি।"}'));
      expect(run).toThrow(/Domain mismatch\. দুঃখিত, সংযোগ স্থাপন করা যায়নি।/);
      expect(run).toThrow(expect.objectContaining({ name: 'ProviderError', provider: 'checkout', kind: 'rejected' }));
    });

    it('treats a refused API key as an auth error', () => {
      expect(() => parseCreateResponse(answer(401, '{"status":"error","message":"Unauthorized"}'))).toThrow(expect.objectContaining({ kind: 'auth' }));
    });

    it.each([
      ['HTML', '<html>oops</html>'],
      ['an unknown status', '{"status":"pending","payment_url":"https://x/checkout?trx_id=1"}'],
      ['no payment_url', '{"status":"success"}'],
      ['a relative payment_url', '{"status":"success","payment_url":"/checkout?trx_id=1"}'],
      ['a payment_url without trx_id', '{"status":"success","payment_url":"https://x/checkout"}'],
      ['a javascript: payment_url', '{"status":"success","payment_url":"javascript:alert(1)//?trx_id=1"}'],
      ['an odd trx_id', '{"status":"success","payment_url":"https://x/checkout?trx_id=a%20b"}'],
    ])('refuses %s as a bad response', (_, body) => {
      expect(() => parseCreateResponse(answer(200, body))).toThrow(expect.objectContaining({ kind: 'bad_response' }));
    });
  });

  it('recognises return tokens and gateway transaction ids', () => {
    expect(RETURN_TOKEN.test('A'.repeat(43))).toBe(true);
    expect(RETURN_TOKEN.test('A'.repeat(42))).toBe(false);
    expect(GATEWAY_TRANSACTION_ID.test('CJH1D2Y4W1')).toBe(true);
    expect(GATEWAY_TRANSACTION_ID.test('<script>')).toBe(false);
  });
});
