import { FormData, Request } from 'undici';
import linkVectors from './golden/payment-link.vectors.json';
import returnVectors from './golden/success-and-verify.vectors.json';
import { parseAmount } from '../../common/money';
import { sha1Hex } from '../../common/crypto';
import { ProviderError } from '../provider';
import {
  checkSuccessReturn,
  parseVerifyResponse,
  paymentLink,
  paymentLinkHash,
  phpAmount,
  phpUrlencode,
  successHash,
  verifyRequestBody,
} from './raksmeypay.transformers';

describe('RaksmeyPay transformers (golden vectors from the document PHP, see golden/README.md)', () => {
  it.each(linkVectors.map((v) => [v.input.amount_php, v] as const))('payment link for amount %s matches PHP byte for byte', (_, v) => {
    const minor = parseAmount(v.input.amount_php, 'USD');
    const amount = phpAmount(minor, 'USD');
    expect(amount).toBe(v.input.amount_php);
    const input = {
      baseUrl: 'https://www.uat.raksmeypay.com',
      profileId: v.input.profile_id,
      profileKey: v.input.profile_key,
      transactionId: v.input.transaction_id,
      amount,
      successUrl: v.input.success_url,
      remark: v.input.remark,
    };
    expect(paymentLinkHash(input)).toBe(v.hash);
    expect(paymentLink(input)).toBe(v.url);
  });

  it.each(returnVectors.map((v) => [v.input.transaction_id, v] as const))('success and verify hashes for %s match PHP', (_, v) => {
    const i = v.input;
    expect(successHash(i.profile_key, i.success_time, i.success_amount, i.bakong_hash, i.transaction_id)).toBe(v.success_hash);
    expect(verifyRequestBody(i.profile_key, Number(i.transaction_id)).get('hash')).toBe(v.verify_hash);
  });

  it('urlencodes like PHP (tilde and space included)', () => {
    expect(phpUrlencode('a b~c*d')).toBe('a+b%7Ec%2Ad');
    expect(phpUrlencode('ü')).toBe('%C3%BC');
  });

  describe('success return', () => {
    const key = 'k';
    const txn = '100000001';
    const now = 1_764_000_000;
    const signed = (time: number, amount = '12.5') => ({
      success_time: String(time),
      success_amount: amount,
      bakong_hash: 'bh',
      success_hash: successHash(key, String(time), amount, 'bh', txn),
    });

    it('accepts a fresh, correctly signed return', () => {
      expect(checkSuccessReturn(signed(now - 10), key, txn, 'USD', now)).toEqual({
        ok: true,
        paidAmountMinor: 1250,
        paidAt: new Date((now - 10) * 1000),
        bakongHash: 'bh',
      });
    });
    it('refuses one older than 180 s', () => {
      expect(checkSuccessReturn(signed(now - 181), key, txn, 'USD', now)).toMatchObject({ ok: false, code: 'stale_return' });
      expect(checkSuccessReturn(signed(now - 180), key, txn, 'USD', now)).toMatchObject({ ok: true });
    });
    it('refuses one from the future beyond the skew', () => {
      expect(checkSuccessReturn(signed(now + 120), key, txn, 'USD', now)).toMatchObject({ ok: false, code: 'stale_return' });
    });
    it('refuses a tampered amount, a hash for another transaction, or another key', () => {
      expect(checkSuccessReturn({ ...signed(now), success_amount: '1250' }, key, txn, 'USD', now)).toMatchObject({ ok: false, code: 'invalid_signature' });
      expect(checkSuccessReturn(signed(now), key, '100000002', 'USD', now)).toMatchObject({ ok: false, code: 'invalid_signature' });
      expect(checkSuccessReturn(signed(now), 'other', txn, 'USD', now)).toMatchObject({ ok: false, code: 'invalid_signature' });
    });
    it('refuses missing parameters', () => {
      expect(checkSuccessReturn({}, key, txn, 'USD', now)).toMatchObject({ ok: false, code: 'missing_parameters' });
    });
    it('without a key (a number that is none of ours) fails exactly where a forged return fails, even one hashed with the empty key', () => {
      const emptyKey = { ...signed(now), success_hash: successHash('', String(now), '12.5', 'bh', txn) };
      expect(checkSuccessReturn(emptyKey, null, txn, 'USD', now)).toEqual(
        checkSuccessReturn({ ...signed(now), success_hash: 'f'.repeat(40) }, key, txn, 'USD', now),
      );
      expect(checkSuccessReturn(signed(now), null, txn, 'USD', now)).toMatchObject({ ok: false, code: 'invalid_signature' });
      expect(checkSuccessReturn(signed(now - 181), null, txn, 'USD', now)).toEqual(checkSuccessReturn(signed(now - 181), key, txn, 'USD', now));
      expect(checkSuccessReturn({}, null, txn, 'USD', now)).toEqual(checkSuccessReturn({}, key, txn, 'USD', now));
    });
  });

  describe('verify response', () => {
    const now = new Date();
    it('maps the documented samples', () => {
      expect(parseVerifyResponse({ status: 1, payment_amount: 0.01, payment_status: 'SUCCESS' }, 'USD', now)).toEqual({
        status: 'PAID',
        paidAmountMinor: 1,
        paidCurrency: 'USD',
        paidAt: now,
      });
      expect(parseVerifyResponse({ status: 1, payment_amount: 0.01, payment_status: 'PENDING' }, 'USD', now)).toEqual({ status: 'PENDING' });
      expect(parseVerifyResponse({ status: 0, err_msg: 'Payment not found' }, 'USD', now)).toEqual({ status: 'PENDING' });
    });
    it('treats an unknown payment_status, status or amount as an error, never pending', () => {
      expect(() => parseVerifyResponse({ status: 1, payment_amount: 1, payment_status: 'REFUNDED' }, 'USD', now)).toThrow(ProviderError);
      expect(() => parseVerifyResponse({ status: 7 }, 'USD', now)).toThrow(/unknown status/);
      expect(() => parseVerifyResponse({ status: 1, payment_status: 'SUCCESS', payment_amount: 'lots' }, 'USD', now)).toThrow(/payment_amount/);
      expect(() => parseVerifyResponse({ status: 0, err_msg: 'Invalid hash' }, 'USD', now)).toThrow(/Invalid hash/);
    });
    it("sends the verify request as multipart/form-data fields, hashed sha1(profile_key . transaction_id), like the document's PHP curl", async () => {
      const body = verifyRequestBody('key', 42);
      expect(body).toBeInstanceOf(FormData);
      expect([...body.entries()]).toEqual([
        ['transaction_id', '42'],
        ['hash', sha1Hex('key42')],
      ]);
      // What goes on the wire: one part per field, as curl writes them. Encoded by the undici package that sends it
      // (outbound-http.ts), not by Node's bundled copy: Node 24's global Request does not know this FormData class.
      const wire = new Request('http://x/', { method: 'POST', body });
      expect(wire.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
      const text = await wire.text();
      expect(text).toContain(`Content-Disposition: form-data; name="transaction_id"\r\n\r\n42\r\n`);
      expect(text).toContain(`Content-Disposition: form-data; name="hash"\r\n\r\n${sha1Hex('key42')}\r\n`);
    });
  });
});
