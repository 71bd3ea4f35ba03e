import checkoutVectors from './golden/checkout.vectors.json';
import webhookVectors from './golden/webhook-verdicts.vectors.json';
import { hmacSha256Hex, sha256Hex } from '../../common/crypto';
import { parseAmount } from '../../common/money';
import {
  checkoutUrl,
  checkPayloadTemplate,
  DEFAULT_FIELD_NAMES,
  fieldNames,
  interpretWebhook,
  phpAmount,
  phpFloatToString,
  phpUrlencode,
  requestHash,
  verifyWebhook,
} from './ahnajak.transformers';

/** The secret webhook_receiver.php was run with (golden/README.md). */
const SECRET = 'sk_test_ahnajak_secret_0001';
/** The document's custom payload template, as an account stores it. */
const CUSTOM_TEMPLATE = { order_id: '{{transaction_id}}', paid_amount: 'amount', payment_status: '{{status}}', signature: 'hash' };

describe('Ahnajak transformers (golden vectors from the document PHP, see golden/README.md)', () => {
  describe('checkout redirect URL (aba_checkout.php)', () => {
    it.each(checkoutVectors.map((v) => [v.input.amount_php, v.input.transaction_id, v] as const))(
      'amount %s, transaction %s: same hash and URL as PHP',
      (_, __, v) => {
        const amount = phpAmount(parseAmount(v.input.amount_php, 'USD'), 'USD');
        expect(amount).toBe(v.input.amount_php);
        const input = {
          baseUrl: 'https://abapay.kesor.cam',
          profileId: v.input.profile_id,
          secretKey: v.input.secret_key,
          transactionId: String(v.input.transaction_id),
          amount,
          successUrl: v.input.success_url,
          remark: v.input.remark,
        };
        expect(requestHash(input)).toBe(v.hash);
        expect(checkoutUrl(input)).toBe(v.url);
      },
    );

    it('prints amounts as PHP prints the float (12.50 -> 12.5, 10.00 -> 10)', () => {
      expect(phpAmount(1250, 'USD')).toBe('12.5');
      expect(phpAmount(1000, 'USD')).toBe('10');
      expect(phpAmount(1, 'USD')).toBe('0.01');
      expect(phpAmount(2005, 'USD')).toBe('20.05');
    });

    it('urlencodes like PHP', () => {
      expect(phpUrlencode('a b~c*d/é')).toBe('a+b%7Ec%2Ad%2F%C3%A9');
    });
  });

  describe('webhook verification accepts exactly what webhook_receiver.php accepts', () => {
    it.each(webhookVectors.map((v) => [v.name, v] as const))('%s', (_, v) => {
      const names = v.receiver === 'custom' ? fieldNames(CUSTOM_TEMPLATE) : DEFAULT_FIELD_NAMES;
      const result = verifyWebhook(Buffer.from(v.body_base64, 'base64'), v.signature ?? undefined, SECRET, names);
      switch (v.verdict) {
        case 'invalid_signature':
        case 'hash_mismatch':
          expect(result).toMatchObject({ ok: false, code: v.verdict });
          break;
        case 'fulfilled':
          expect(result).toMatchObject({ ok: true, status: 'SUCCESS' });
          break;
        case 'ignored':
          expect(result.ok).toBe(true);
          expect(result.ok && result.status).not.toBe('SUCCESS');
          break;
        case 'error_500':
          expect(result).toMatchObject({ ok: false, code: 'malformed_payload' });
          break;
        default:
          throw new Error(`unexpected verdict ${v.verdict}`);
      }
    });

    it('covers every verdict the PHP can give', () => {
      expect(new Set(webhookVectors.map((v) => v.verdict))).toEqual(new Set(['fulfilled', 'ignored', 'invalid_signature', 'hash_mismatch', 'error_500']));
    });

    it('hashes the amount exactly as received', () => {
      const body = (amount: string, hashed: string) =>
        Buffer.from(`{"transaction_id":"100000001","amount":${amount},"status":"SUCCESS","hash":"${sha256Hex(`100000001${hashed}${SECRET}`)}"}`);
      const check = (raw: Buffer) => verifyWebhook(raw, hmacSha256Hex(SECRET, raw), SECRET);
      expect(check(body('"12.50"', '12.50'))).toMatchObject({ ok: true, amount: '12.50' });
      expect(check(body('"12.50"', '12.5'))).toMatchObject({ ok: false, code: 'hash_mismatch' });
      expect(check(body('12.50', '12.5'))).toMatchObject({ ok: true, amount: '12.5' });
      expect(check(body('10.00', '10'))).toMatchObject({ ok: true, amount: '10' });
    });
  });

  describe('PHP float printing (precision 14)', () => {
    it.each([
      [12.5, '12.5'],
      [10, '10'],
      [0.1 + 0.2, '0.3'],
      [1e15, '1.0E+15'],
      [123456789012345, '1.2345678901234E+14'],
      [99999999999999, '99999999999999'],
      [0.0001, '0.0001'],
      [0.00001, '1.0E-5'],
      [1.5e-7, '1.5E-7'],
      [-0, '-0'],
      [-2.25, '-2.25'],
      [Infinity, 'INF'],
      [9223372036854775808, '9.2233720368548E+18'],
      // Printed by php -r 'echo $f;' (PHP 8.2): ties round half to even, 1e14 already in exponent form.
      [99999999999999.5, '1.0E+14'],
      [1e14, '1.0E+14'],
      [0.5e-4, '5.0E-5'],
      [1234567890123.45, '1234567890123.4'],
      [0.1 + 0.7, '0.8'],
      [1 / 3, '0.33333333333333'],
      [2 / 3, '0.66666666666667'],
      [5e-324, '4.9406564584125E-324'],
      [1.7976931348623157e308, '1.7976931348623E+308'],
    ])('%p prints as %s', (value, text) => {
      expect(phpFloatToString(value)).toBe(text);
    });
  });

  describe('interpreting a verified webhook', () => {
    const verified = (fields: Record<string, string>) => {
      const hash = sha256Hex((fields.transaction_id ?? '') + (fields.amount ?? '') + SECRET);
      const raw = Buffer.from(JSON.stringify({ ...fields, hash }));
      const v = verifyWebhook(raw, hmacSha256Hex(SECRET, raw), SECRET);
      if (!v.ok) throw new Error(v.detail);
      return v;
    };
    it('reads SUCCESS with the amount in minor units', () => {
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '12.50', status: 'SUCCESS' }), 'USD')).toEqual({
        ok: true,
        transactionNumber: '100000001',
        paidAmountMinor: 1250,
      });
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '12.5', status: 'SUCCESS' }), 'USD')).toEqual({
        ok: true,
        transactionNumber: '100000001',
        paidAmountMinor: 1250,
      });
    });
    it('treats any other status as an error, never pending', () => {
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '12.50', status: 'PENDING' }), 'USD')).toMatchObject({
        ok: false,
        status: 422,
        code: 'unknown_status',
      });
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '12.50', status: 'success' }), 'USD')).toMatchObject({
        ok: false,
        code: 'unknown_status',
      });
    });
    it('refuses missing fields, odd amounts and foreign transaction ids', () => {
      expect(interpretWebhook(verified({ transaction_id: '100000001', status: 'SUCCESS' }), 'USD')).toMatchObject({ ok: false, code: 'missing_fields' });
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '12.50' }), 'USD')).toMatchObject({ ok: false, code: 'missing_fields' });
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '1.0E+15', status: 'SUCCESS' }), 'USD')).toMatchObject({
        ok: false,
        code: 'bad_amount',
      });
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '12.505', status: 'SUCCESS' }), 'USD')).toMatchObject({
        ok: false,
        code: 'bad_amount',
      });
      expect(interpretWebhook(verified({ transaction_id: '100000001', amount: '0.00', status: 'SUCCESS' }), 'USD')).toMatchObject({
        ok: false,
        code: 'bad_amount',
      });
      expect(interpretWebhook(verified({ transaction_id: 'ORDER_1', amount: '1.00', status: 'SUCCESS' }), 'USD')).toMatchObject({
        ok: false,
        code: 'bad_transaction_id',
      });
    });
  });

  describe('payload_template', () => {
    it("accepts the document's template with or without braces", () => {
      expect(checkPayloadTemplate(CUSTOM_TEMPLATE)).toBeNull();
      expect(fieldNames(CUSTOM_TEMPLATE)).toEqual({ transaction_id: 'order_id', amount: 'paid_amount', status: 'payment_status', hash: 'signature' });
    });
    it('refuses a template that drops, repeats or invents a variable', () => {
      expect(checkPayloadTemplate({ order_id: 'transaction_id', paid_amount: 'amount', signature: 'hash' })).toMatch(/missing status/);
      expect(checkPayloadTemplate({ a: 'transaction_id', b: 'transaction_id', c: 'amount', d: 'status', e: 'hash' })).toMatch(/mapped twice/);
      expect(checkPayloadTemplate({ a: 'transaction_id', c: 'amount', d: 'status', e: 'hash', f: 'currency' })).toMatch(/use one of/);
    });
  });
});
