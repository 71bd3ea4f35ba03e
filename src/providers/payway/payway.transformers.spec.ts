import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../provider';
import {
  checkRequestBody,
  checkRsaPublicKey,
  lifetimeMinutes,
  merchantAuth,
  parseCheckResponse,
  parseQrResponse,
  parseRefundCheck,
  parseRefundResponse,
  paywayAmount,
  paywayHash,
  qrRequestBody,
  refundAmount,
  refundAuthPayload,
  refundRequestBody,
  reqTime,
  sameAmount,
} from './payway.transformers';

/** Golden vectors: golden/payway_hash.php and golden/merchant_auth.php, the document's PHP samples run with php-cli (golden/README.md). */
const golden = (name: string) => JSON.parse(readFileSync(join(__dirname, 'golden', name), 'utf8'));
const HASH = golden('hash.vectors.json');
const AUTH = golden('merchant-auth.vectors.json');
const KEY = 'API KEY PROVIDED BY ABA BANK';
const NOW = new Date('2026-12-04T17:00:00Z');

/** PKCS#1 v1.5 blocks decrypted raw and unpadded (Node refuses PKCS#1 v1.5 private decryption since CVE-2023-46809). */
function decryptHexBlocks(hex: string, privateKeyPem: string, blockBytes: number): string {
  const data = Buffer.from(hex, 'hex');
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += blockBytes) {
    const block = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_NO_PADDING }, data.subarray(i, i + blockBytes));
    expect([block[0], block[1]]).toEqual([0, 2]);
    out.push(block.subarray(block.indexOf(0, 2) + 1));
  }
  return Buffer.concat(out).toString('utf8');
}

describe('payway hashes (golden vectors from the document’s PHP)', () => {
  it('QR API: the document’s own example request, field order as documented', () => {
    const f = HASH.qr_document_example.fields;
    const parts = [f.req_time, f.merchant_id, f.tran_id, String(f.amount), f.items, f.first_name, f.last_name, f.email, f.phone, f.purchase_type];
    parts.push(
      f.payment_option,
      f.callback_url,
      f.return_deeplink,
      f.currency,
      f.custom_fields,
      f.return_params,
      f.payout,
      String(f.lifetime),
      f.qr_image_template,
    );
    expect(paywayHash(parts, KEY)).toBe(HASH.qr_document_example.hash);
  });

  it.each(['USD', 'KHR'] as const)('QR API: the body we send (%s) carries the hash PHP computes over the same fields', (currency) => {
    const v = HASH[`qr_ours_${currency}`];
    const minor = currency === 'USD' ? 1250 : 5000;
    expect(paywayAmount(minor, currency)).toBe(v.fields.amount_text);
    const body = JSON.parse(
      qrRequestBody({
        merchantId: 'ec000002',
        apiKey: KEY,
        tranId: v.fields.tran_id,
        amount: paywayAmount(minor, currency),
        currency,
        callbackUrl: 'https://pay.example.com/callbacks/payway/pushback',
        lifetime: 15,
        reqTime: '20261204170000',
      }),
    );
    expect(body).toEqual({
      req_time: '20261204170000',
      merchant_id: 'ec000002',
      tran_id: v.fields.tran_id,
      amount: v.fields.amount,
      currency,
      purchase_type: 'purchase',
      payment_option: 'abapay_khqr',
      callback_url: v.fields.callback_url,
      lifetime: 15,
      qr_image_template: 'template3_color',
      hash: v.hash,
    });
  });

  it('the amount literal on the wire is the hashed text (12.5, not 12.50; KHR without decimals)', () => {
    const body = qrRequestBody({
      merchantId: 'm',
      apiKey: KEY,
      tranId: '1',
      amount: '12.5',
      currency: 'USD',
      callbackUrl: 'https://x',
      lifetime: 3,
      reqTime: 't',
    });
    expect(body).toContain('"amount":12.5,');
    expect(paywayAmount(1000, 'USD')).toBe('10');
    expect(paywayAmount(1, 'USD')).toBe('0.01');
    expect(refundAmount(1250, 'USD')).toBe('12.50');
    expect(refundAmount(5000, 'KHR')).toBe('5000');
  });

  it('Check Transaction and Refund API: the documents’ example values', () => {
    const c = HASH.check_document_example;
    expect(JSON.parse(checkRequestBody({ merchantId: c.merchant_id, apiKey: KEY, tranId: c.tran_id, reqTime: c.req_time })).hash).toBe(c.hash);
    const r = HASH.refund_document_example;
    const body = JSON.parse(refundRequestBody({ merchantId: r.merchant_id, apiKey: KEY, merchantAuth: r.merchant_auth, requestTime: r.request_time }));
    expect(body).toEqual({ request_time: r.request_time, merchant_id: r.merchant_id, merchant_auth: r.merchant_auth, hash: r.hash });
  });

  it('req_time is UTC YYYYMMDDHHmmss; lifetime is minutes within 3..43200', () => {
    expect(reqTime(new Date('2025-03-12T09:54:39.123Z'))).toBe('20250312095439');
    expect(lifetimeMinutes(NOW, new Date(NOW.getTime() + 60_000))).toBe(3);
    expect(lifetimeMinutes(NOW, new Date(NOW.getTime() + 3_600_000))).toBe(60);
    expect(lifetimeMinutes(NOW, new Date(NOW.getTime() + 90 * 86_400_000))).toBe(43_200);
  });
});

describe('merchant_auth (Refund API)', () => {
  const priv = readFileSync(join(__dirname, 'golden', 'test-rsa-1024.key.pem'), 'utf8');
  const pub = readFileSync(join(__dirname, 'golden', 'test-rsa-1024.pub.pem'), 'utf8');

  it.each(['short', 'two_chunks'])('PHP’s merchant_auth (%s) and ours have the same form: hex of 117-byte chunks, PKCS#1 v1.5', (name) => {
    const v = AUTH[name];
    expect(decryptHexBlocks(v.merchant_auth, priv, 128)).toBe(v.plaintext);
    const ours = merchantAuth(v.plaintext, pub);
    expect(ours).toMatch(/^[0-9a-f]+$/);
    expect(ours.length).toBe(v.merchant_auth.length);
    expect(decryptHexBlocks(ours, priv, 128)).toBe(v.plaintext);
  });

  it('the payload is the document’s JSON in its field order; keys are checked when configured', () => {
    expect(refundAuthPayload('ec000002', '00002894', '0.01')).toBe('{"mc_id":"ec000002","tran_id":"00002894","refund_amount":"0.01"}');
    expect(checkRsaPublicKey(pub)).toBeNull();
    expect(checkRsaPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }))).toMatch(/RSA/);
    expect(checkRsaPublicKey('hello')).toMatch(/PEM/);
  });
});

describe('payway answers', () => {
  const QR = '00020101021229230019your_bakong_id@devb520459995303840540510.505802KH5908My Store6010Phnom Penh993400131764000000000011317640009000006304B552';
  const ok = {
    qrString: QR,
    abapay_deeplink: `abamobilebank://ababank.com?type=payway&qrcode=${encodeURIComponent(QR)}`,
    status: { code: '0', message: 'Success.' },
  };

  it('QR API: the KHQR must be one for the order; the deeplink is kept only with the ABA Mobile scheme', () => {
    expect(parseQrResponse(ok, { amountMinor: 1050, currency: 'USD' })).toMatchObject({ qrString: QR, deeplink: ok.abapay_deeplink });
    expect(parseQrResponse({ ...ok, abapay_deeplink: 'javascript:alert(1)' }, { amountMinor: 1050, currency: 'USD' }).deeplink).toBeUndefined();
    expect(() => parseQrResponse(ok, { amountMinor: 1000, currency: 'USD' })).toThrow(/amount/);
    expect(() => parseQrResponse(ok, { amountMinor: 1050, currency: 'KHR' })).toThrow(/currency/);
    expect(() => parseQrResponse({ ...ok, qrString: QR.slice(0, -1) + '0' }, { amountMinor: 1050, currency: 'USD' })).toThrow(/KHQR|CRC/);
  });

  it.each([
    [{ status: { code: '1', message: 'Wrong Hash.' } }, 'auth'],
    [{ status: { code: '6', message: 'wrong domain' } }, 'auth'],
    [{ status: { code: 429, message: 'Rate limit exceeded' } }, 'rate_limited'],
    [{ status: { code: '12', message: 'currency not allowed' } }, 'rejected'],
    [{ qrString: 'x' }, 'bad_response'],
  ])('QR API error envelope %j → ProviderError %s', (body, kind) => {
    let err: unknown;
    try {
      parseQrResponse(body, { amountMinor: 1050, currency: 'USD' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe(kind);
  });

  const data = (over: Record<string, unknown>) => ({
    data: {
      payment_status_code: 0,
      total_amount: 0.1,
      original_amount: 0.1,
      refund_amount: 0,
      payment_amount: 0.1,
      payment_currency: 'USD',
      apv: '123456',
      payment_status: 'APPROVED',
      ...over,
    },
    status: { code: '00', message: 'Success!', tran_id: '1' },
  });

  it('Check Transaction: every documented payment_status_code; unknown ones are errors, never pending', () => {
    expect(parseCheckResponse(data({}), NOW)).toEqual({ status: 'PAID', paidAmountMinor: 10, paidCurrency: 'USD', paidAt: NOW, proof: 'apv:123456' });
    expect(parseCheckResponse(data({ payment_status_code: 4, payment_amount: 0.05, refund_amount: 0.05 }), NOW)).toMatchObject({
      status: 'PAID',
      paidAmountMinor: 10,
    });
    expect(parseCheckResponse(data({ payment_status_code: 2 }), NOW)).toEqual({ status: 'PENDING' });
    expect(parseCheckResponse(data({ payment_status_code: 3, payment_status: 'DECLINED' }), NOW)).toEqual({ status: 'FAILED', reason: 'PayWay: DECLINED' });
    expect(parseCheckResponse(data({ payment_status_code: 7 }), NOW).status).toBe('FAILED');
    expect(parseCheckResponse({ status: { code: 6, message: 'tran_id not found' } }, NOW)).toEqual({ status: 'PENDING' });
    expect(parseCheckResponse(data({ payment_currency: 'khr', original_amount: 4000 }), NOW)).toMatchObject({ paidAmountMinor: 4000, paidCurrency: 'KHR' });
    expect(() => parseCheckResponse(data({ payment_status_code: 1 }), NOW)).toThrow(/unknown payment_status_code/);
    expect(() => parseCheckResponse(data({ payment_currency: 'EUR' }), NOW)).toThrow(/payment_currency/);
    expect(() => parseCheckResponse(data({ original_amount: -1 }), NOW)).toThrow(/amount/);
    expect(() => parseCheckResponse({ status: { code: '1', message: 'Wrong Hash.' } }, NOW)).toThrow(expect.objectContaining({ kind: 'auth' }));
    expect(() => parseCheckResponse({ status: 'ok' }, NOW)).toThrow(expect.objectContaining({ kind: 'bad_response' }));
  });

  it('Refund API: success, a refusal by PayWay (FAILED), bad credentials (throws)', () => {
    expect(
      parseRefundResponse({
        grand_total: 1.5,
        total_refunded: 0.09,
        currency: 'USD',
        transaction_status: 'REFUNDED',
        status: { code: '00', message: 'Success!' },
      }),
    ).toEqual({
      status: 'SUCCEEDED',
    });
    expect(parseRefundResponse({ status: { code: 'PTL36', message: 'Transaction not found or is invalid' } })).toMatchObject({ status: 'FAILED' });
    expect(() => parseRefundResponse({ status: { code: 'PTL02', message: 'Wrong hash' } })).toThrow(expect.objectContaining({ kind: 'auth' }));
    expect(() => parseRefundResponse({})).toThrow(expect.objectContaining({ kind: 'bad_response' }));
    expect(parseRefundCheck(data({ refund_amount: 0.09 }), { amountMinor: 9, currency: 'USD' })).toEqual({ status: 'SUCCEEDED' });
    expect(parseRefundCheck(data({ refund_amount: 0 }), { amountMinor: 9, currency: 'USD' }).status).toBe('FAILED');
  });

  it('KHQR amounts: PayWay writes KHR with decimals in the code', () => {
    expect(sameAmount('4000.00', 4000, 'KHR')).toBe(true);
    expect(sameAmount('4000', 4000, 'KHR')).toBe(true);
    expect(sameAmount('4000.50', 4000, 'KHR')).toBe(false);
    expect(sameAmount('10.5', 1050, 'USD')).toBe(true);
    expect(sameAmount('1e3', 100000, 'USD')).toBe(false);
  });
});
