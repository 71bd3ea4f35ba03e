import { createHash } from 'node:crypto';
import { BakongKHQR } from 'bakong-khqr';
import vectors from './golden/khqr.vectors.json';
import { parseAmount } from '../../common/money';
import { ProviderError, VerifyOutcome } from '../provider';
import {
  BAKONG_ERROR_CODES,
  bakongAccount,
  billNumberFor,
  checkAccountId,
  checkByMd5Body,
  checkByMd5ListBody,
  checkByMd5ListUrl,
  checkByMd5Url,
  checkKhqrText,
  EXPIRY_GRACE_MS,
  ExpectedPayment,
  generateKhqr,
  KhqrGenerationError,
  openApiHeaders,
  parseBatchResponse,
  parseCheckResponse,
} from './bakong.transformers';

/** EMV TLV reader written from the EMVCo layout (2-digit tag, 2-digit length), not from the SDK. */
function tlv(s: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < s.length) {
    const tag = s.slice(i, i + 2);
    const len = Number(s.slice(i + 2, i + 4));
    if (!/^\d{2}$/.test(tag) || !Number.isInteger(len)) throw new Error(`bad TLV at ${i}`);
    out.set(tag, s.slice(i + 4, i + 4 + len));
    i += 4 + len;
  }
  return out;
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), bit by bit. */
function crc16(s: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(s, 'utf8')) {
    crc ^= byte << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('bakong transformers', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('KHQR generation (golden vectors from the SDK at a frozen clock)', () => {
    it.each(vectors.map((v) => [v.name, v] as const))('%s: byte-identical string and md5', (_name, v) => {
      jest.spyOn(Date, 'now').mockReturnValue(v.now);
      const currency = v.input.currency as 'USD' | 'KHR';
      const generated = generateKhqr(v.input.account, {
        amountMinor: parseAmount(v.input.amount, currency, { noMax: true }),
        currency,
        billNumber: v.input.billNumber,
        expiresAt: new Date(v.input.expirationTimestamp),
      });
      expect(generated.qr).toBe(v.qr);
      expect(generated.md5).toBe(v.md5);
      expect(generated.md5).toBe(md5(v.qr));
      expect(generated.wireAmount).toBe(v.input.amount);
      expect(generated.type).toBe('merchantId' in v.input.account ? 'merchant' : 'individual');
    });

    it.each(vectors.map((v) => [v.name, v] as const))('%s: the EMV structure read independently of the SDK', (_name, v) => {
      const tags = tlv(v.qr);
      expect(tags.get('00')).toBe('01');
      expect(tags.get('01')).toBe('12'); // dynamic: it carries an amount
      const merchant = 'merchantId' in v.input.account;
      const account = tlv(tags.get(merchant ? '30' : '29')!);
      expect(account.get('00')).toBe(v.input.account.accountId);
      if (merchant) expect(account.get('01')).toBe((v.input.account as { merchantId: string }).merchantId);
      expect(account.get('02')).toBe((v.input.account as { acquiringBank?: string }).acquiringBank);
      expect(tags.get('52')).toBe('5999');
      expect(tags.get('53')).toBe(v.input.currency === 'USD' ? '840' : '116');
      expect(tags.get('54')).toBe(v.input.amount);
      expect(tags.get('58')).toBe('KH');
      expect(tags.get('59')).toBe(v.input.account.merchantName);
      expect(tags.get('60')).toBe(v.input.account.merchantCity);
      expect(tlv(tags.get('62')!).get('01')).toBe(v.input.billNumber);
      const stamps = tlv(tags.get('99')!);
      expect(stamps.get('00')).toBe(String(v.now));
      expect(stamps.get('01')).toBe(String(v.input.expirationTimestamp));
      expect(tags.get('63')).toBe(crc16(v.qr.slice(0, -4)));
    });

    it.each(vectors.map((v) => [v.name, v] as const))('%s: the SDK verify() and decode() round trip', (_name, v) => {
      jest.spyOn(Date, 'now').mockReturnValue(v.now);
      expect(BakongKHQR.verify(v.qr).isValid).toBe(true);
      const decoded = BakongKHQR.decode(v.qr).data!;
      expect(decoded).toMatchObject({
        bakongAccountID: v.input.account.accountId,
        transactionAmount: v.input.amount,
        transactionCurrency: v.input.currency === 'USD' ? '840' : '116',
        billNumber: v.input.billNumber,
        merchantName: v.input.account.merchantName,
        expirationTimestamp: String(v.input.expirationTimestamp),
      });
      // A tampered byte breaks the CRC.
      expect(
        BakongKHQR.verify(
          v.qr.replace(
            v.input.amount,
            v.input.amount.replace(/\d$/, (d) => String((Number(d) + 1) % 10)),
          ),
        ).isValid,
      ).toBe(false);
    });

    it('the generated KHQR is refused by verify() once expired', () => {
      const now = 1_764_000_000_000;
      jest.spyOn(Date, 'now').mockReturnValue(now);
      const { qr } = generateKhqr(
        { accountId: 'a@b', merchantName: 'A', merchantCity: 'B' },
        { amountMinor: 100, currency: 'USD', billNumber: 'x', expiresAt: new Date(now + 60_000) },
      );
      expect(BakongKHQR.verify(qr).isValid).toBe(true);
      jest.spyOn(Date, 'now').mockReturnValue(now + 60_001);
      expect(BakongKHQR.verify(qr).isValid).toBe(false);
    });

    it('cuts the order reference to the 25-character bill number', () => {
      expect(billNumberFor('INV-1')).toBe('INV-1');
      expect(billNumberFor('x'.repeat(100))).toBe('x'.repeat(25));
    });

    it('surfaces what the SDK refuses as a KhqrGenerationError with its code', () => {
      const now = Date.now();
      const req = { amountMinor: 1250, currency: 'USD' as const, billNumber: 'B', expiresAt: new Date(now + 60_000) };
      const codeOf = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          expect(err).toBeInstanceOf(KhqrGenerationError);
          return (err as KhqrGenerationError).sdkErrorCode;
        }
        throw new Error('expected a KhqrGenerationError');
      };
      expect(codeOf(() => generateKhqr({ accountId: 'a@b', merchantName: 'A', merchantCity: 'B' }, { ...req, expiresAt: new Date(now - 1000) }))).toBe(50);
      expect(codeOf(() => generateKhqr({ accountId: 'a@b', merchantName: 'A', merchantCity: 'B', merchantId: '1' }, req))).toBe(31);
      expect(codeOf(() => generateKhqr({ accountId: 'a@b', merchantName: 'x'.repeat(26), merchantCity: 'B' }, req))).toBe(7);
      expect(codeOf(() => generateKhqr({ accountId: 'no-at-sign', merchantName: 'A', merchantCity: 'B' }, req))).toBe(3);
    });

    it('validates account fields the way the SDK limits them', () => {
      expect(checkAccountId('shop@aclb')).toBeNull();
      expect(checkAccountId('shop')).toMatch(/name@bank/);
      expect(checkAccountId(`${'x'.repeat(30)}@ab`)).toMatch(/32/);
      expect(checkKhqrText(25)('My Shop')).toBeNull();
      expect(checkKhqrText(25)('x'.repeat(26))).toMatch(/1–25/);
      expect(checkKhqrText(15)('ភ្នំពេញ')).toMatch(/ASCII/);
      expect(checkKhqrText(15)(' padded')).toMatch(/spaces/);
    });
  });

  describe('Open API requests', () => {
    it('builds the documented URLs, headers and bodies', () => {
      const a = bakongAccount({ account_id: 'a@b', merchant_name: 'A', merchant_city: 'B', token: 'tkn', base_url: 'https://sit-api-bakong.nbc.gov.kh/' });
      expect(a.baseUrl).toBe('https://sit-api-bakong.nbc.gov.kh');
      expect(checkByMd5Url(a.baseUrl)).toBe('https://sit-api-bakong.nbc.gov.kh/v1/check_transaction_by_md5');
      expect(checkByMd5ListUrl(a.baseUrl)).toBe('https://sit-api-bakong.nbc.gov.kh/v1/check_transaction_by_md5_list');
      expect(openApiHeaders('tkn')).toEqual({ 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer tkn' });
      expect(checkByMd5Body('abc')).toBe('{"md5":"abc"}');
      expect(checkByMd5ListBody(['a', 'b'])).toBe('["a","b"]');
      expect(bakongAccount({ account_id: 'a@b' }).baseUrl).toBe('https://api-bakong.nbc.gov.kh');
    });
  });

  describe('Open API answers', () => {
    const now = new Date('2026-01-01T00:10:00Z');
    const expected: ExpectedPayment = {
      md5: 'd'.repeat(32),
      amountMinor: 1250,
      currency: 'USD',
      expiresAt: new Date('2026-01-01T00:30:00Z'),
      accountId: 'shop@devb',
    };
    const data = {
      hash: '8465d722d7d5065f2886b0d2a6a0f2b5b7f2c7e5d2b6a0c8f3e1d9b7a5c3e1f0',
      fromAccountId: 'customer@abaa',
      toAccountId: 'shop@devb',
      currency: 'USD',
      amount: 12.5,
      description: 'INV-1',
      createdDateMs: 1767225900000,
      acknowledgedDateMs: 1767225901000,
      trackingStatus: null,
      receiverBank: null,
      receiverBankAccount: null,
      instructionRef: null,
      externalRef: '100FT36774348398',
    };
    const reply = (body: unknown, status = 200) => ({ status, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const found = (d: Record<string, unknown> = data) =>
      reply({ responseCode: 0, responseMessage: 'Getting transaction successfully.', errorCode: null, data: d });
    const notFound = reply({ responseCode: 1, responseMessage: 'Transaction could not be found. Please check and try again.', errorCode: 1, data: null });
    const errorOf = (f: () => unknown): ProviderError => {
      try {
        f();
      } catch (err) {
        if (err instanceof ProviderError) return err;
        throw err;
      }
      throw new Error('expected a ProviderError');
    };

    it('maps a found transaction to PAID at createdDateMs, with the hash as proof', () => {
      expect(parseCheckResponse(found(), expected, now)).toEqual({
        status: 'PAID',
        paidAmountMinor: 1250,
        paidCurrency: 'USD',
        paidAt: new Date(1767225900000),
        proof: data.hash,
      });
      // Java prints whole amounts as 10.0 and KHR as 5000.0; both are plain decimals.
      expect(
        parseCheckResponse(
          reply(`{"responseCode":0,"errorCode":null,"data":${JSON.stringify({ ...data, amount: 0 }).replace('"amount":0', '"amount":10.0')}}`),
          expected,
          now,
        ),
      ).toMatchObject({ paidAmountMinor: 1000 });
      expect(parseCheckResponse(found({ ...data, currency: 'KHR', amount: 5000 }), expected, now)).toMatchObject({
        paidAmountMinor: 5000,
        paidCurrency: 'KHR',
      });
    });

    it('reports another amount or currency as paid so the state machine flags it (never PAID)', () => {
      expect(parseCheckResponse(found({ ...data, amount: 1 }), expected, now)).toMatchObject({ status: 'PAID', paidAmountMinor: 100, paidCurrency: 'USD' });
      expect(parseCheckResponse(found({ ...data, currency: 'khr', amount: 50000 }), expected, now)).toMatchObject({
        paidCurrency: 'KHR',
        paidAmountMinor: 50000,
      });
    });

    it('errorCode 1 (not found) and 3 (failed attempt) are unpaid: PENDING, then EXPIRED after the grace period', () => {
      expect(parseCheckResponse(notFound, expected, now)).toEqual({ status: 'PENDING' });
      expect(parseCheckResponse(reply({ responseCode: 1, responseMessage: 'Transaction failed.', errorCode: 3, data: null }), expected, now)).toEqual({
        status: 'PENDING',
      });
      const justAfter = new Date(expected.expiresAt.getTime() + EXPIRY_GRACE_MS);
      expect(parseCheckResponse(notFound, expected, justAfter)).toEqual({ status: 'PENDING' });
      expect(parseCheckResponse(notFound, expected, new Date(justAfter.getTime() + 1))).toEqual({ status: 'EXPIRED' });
    });

    it('a rejected token is an auth error, whether HTTP 401 or errorCode 6 (JSON or not)', () => {
      const unauthorized = { responseCode: 1, responseMessage: 'Unauthorized, not yet requested for token or code invalid', errorCode: 6, data: null };
      expect(errorOf(() => parseCheckResponse(reply(unauthorized, 401), expected, now))).toMatchObject({ kind: 'auth', provider: 'bakong' });
      expect(errorOf(() => parseCheckResponse(reply(unauthorized, 200), expected, now))).toMatchObject({ kind: 'auth' });
      expect(errorOf(() => parseCheckResponse(reply('<html>401</html>', 401), expected, now)).message).toMatch(/renew_token/);
      expect(errorOf(() => parseCheckResponse(reply({ responseCode: 1, errorCode: 10, responseMessage: 'Not registered' }), expected, now))).toMatchObject({
        kind: 'auth',
      });
    });

    it('maps every documented errorCode, and refuses an unknown one', () => {
      for (const [code, { handling }] of Object.entries(BAKONG_ERROR_CODES)) {
        const r = reply({ responseCode: 1, responseMessage: 'x', errorCode: Number(code), data: null });
        if (handling === 'unpaid') expect(parseCheckResponse(r, expected, now)).toEqual({ status: 'PENDING' });
        else expect(errorOf(() => parseCheckResponse(r, expected, now)).kind).toBe(handling);
      }
      expect(errorOf(() => parseCheckResponse(reply({ responseCode: 1, errorCode: 99, responseMessage: 'new' }), expected, now))).toMatchObject({
        kind: 'bad_response',
      });
      expect(errorOf(() => parseCheckResponse(reply({ responseCode: 1, errorCode: null }), expected, now))).toMatchObject({ kind: 'bad_response' });
      expect(errorOf(() => parseCheckResponse(reply({ responseCode: 2 }), expected, now)).message).toMatch(/responseCode/);
      expect(errorOf(() => parseCheckResponse(reply({ data }), expected, now)).message).toMatch(/responseCode/);
      expect(errorOf(() => parseCheckResponse(reply('<!DOCTYPE html><p>maintenance'), expected, now)).message).toMatch(/HTML/);
      // 403 is the Open API refusing a caller outside Cambodia: a person must move the host, so it is an account problem.
      for (const body of [{ responseCode: 1, errorCode: 5 }, '<html><h1>403 Forbidden</h1></html>']) {
        expect(errorOf(() => parseCheckResponse(reply(body, 403), expected, now))).toMatchObject({
          kind: 'auth',
          message: expect.stringMatching(/Cambodian IP addresses only/),
        });
      }
    });

    it('refuses malformed or foreign payment data: nothing is marked paid', () => {
      const bad = (d: Record<string, unknown>) => errorOf(() => parseCheckResponse(found(d), expected, now));
      for (const amount of ['12.5.0', -1, 12.555, null, 'ten', 0, '1e3', true]) expect(bad({ ...data, amount }).message).toMatch(/amount/);
      expect(bad({ ...data, toAccountId: 'thief@devb' }).message).toMatch(/not to the configured account/);
      expect(bad({ ...data, toAccountId: undefined }).message).toMatch(/toAccountId/);
      expect(bad({ ...data, currency: 'EUR' }).message).toMatch(/currency/);
      expect(bad({ ...data, createdDateMs: 'yesterday' }).message).toMatch(/createdDateMs/);
      expect(bad({ ...data, createdDateMs: 1.5 }).message).toMatch(/createdDateMs/);
      expect(bad({ ...data, hash: '' }).message).toMatch(/hash/);
      expect(errorOf(() => parseCheckResponse(reply({ responseCode: 0, errorCode: null, data: null }), expected, now)).message).toMatch(/transaction data/);
    });

    describe('check_transaction_by_md5_list', () => {
      const e = (i: number): ExpectedPayment => ({ ...expected, md5: String(i).padStart(32, '0') });
      it('gives an outcome per md5 asked, isolating item failures', () => {
        const asked = [e(1), e(2), e(3), e(4), e(5), e(6)];
        const answer = reply({
          responseCode: 0,
          responseMessage: 'Getting transaction successfully.',
          errorCode: null,
          data: [
            { md5: e(1).md5, status: 'SUCCESS', message: 'Getting transaction successfully.', data },
            { md5: e(2).md5, status: 'NOT_FOUND', message: 'Transaction could not be found.', data: null },
            { md5: e(3).md5, status: 'SUCCESS', message: 'ok', data: { ...data, amount: 'NaN' } },
            { md5: e(4).md5, status: 'REVERSED', message: '?', data: null },
            { md5: e(5).md5.toUpperCase(), status: 'FAILED', message: 'Transaction failed.', data: null },
            { md5: 'f'.repeat(32), status: 'SUCCESS', message: 'not ours', data },
          ],
        });
        const out = parseBatchResponse(answer, asked, now);
        expect([...out.keys()].sort()).toEqual(asked.map((x) => x.md5).sort());
        expect(out.get(e(1).md5)).toEqual<VerifyOutcome>({
          status: 'PAID',
          paidAmountMinor: 1250,
          paidCurrency: 'USD',
          paidAt: new Date(data.createdDateMs),
          proof: data.hash,
        });
        expect(out.get(e(2).md5)).toEqual({ status: 'PENDING' });
        expect(out.get(e(3).md5)).toMatchObject({ kind: 'bad_response' });
        expect((out.get(e(4).md5) as ProviderError).message).toMatch(/unknown status "REVERSED"/);
        expect(out.get(e(5).md5)).toEqual({ status: 'PENDING' });
        expect((out.get(e(6).md5) as ProviderError).message).toMatch(/left this md5 out/);
      });
      it('throws when the whole call fails', () => {
        expect(errorOf(() => parseBatchResponse(reply({ responseCode: 1, errorCode: 6, responseMessage: 'Unauthorized' }, 401), [e(1)], now))).toMatchObject({
          kind: 'auth',
        });
        expect(
          errorOf(() => parseBatchResponse(reply({ responseCode: 1, errorCode: 5, responseMessage: 'Missing required fields' }), [e(1)], now)),
        ).toMatchObject({ kind: 'rejected' });
        expect(errorOf(() => parseBatchResponse(reply({ responseCode: 1, errorCode: 1 }), [e(1)], now))).toMatchObject({ kind: 'bad_response' });
        expect(errorOf(() => parseBatchResponse(reply({ responseCode: 0, data: {} }), [e(1)], now)).message).toMatch(/data array/);
      });
    });
  });
});
