import { createHash } from 'node:crypto';
import { ProviderError } from '../provider';
import {
  BAKONGAPI_QR_LIFETIME_MS,
  bakongapiAmount,
  checkBakongId,
  checkMerchantName,
  checkUrl,
  createUrl,
  parseCheckResponse,
  parseCreateResponse,
} from './bakongapi.transformers';

/**
 * Golden vectors. The KHQR strings were produced by the official bakong-khqr SDK at the frozen
 * clock NOW (IndividualInfo("your_bakong_id@devb", "My Store", "Phnom Penh", {currency: 840,
 * amount: "10.50", expirationTimestamp})), the way the service builds its QR; the md5s are
 * md5 of those strings.
 */
const NOW = 1_764_000_000_000;
const QR_15_MIN = {
  khqrString: '00020101021229230019your_bakong_id@devb520459995303840540510.505802KH5908My Store6010Phnom Penh993400131764000000000011317640009000006304B552',
  md5: '4152f229e60d7a3bba9853a67ebfc318',
};
const QR_5_MIN = {
  khqrString: '00020101021229230019your_bakong_id@devb520459995303840540510.505802KH5908My Store6010Phnom Penh9934001317640000000000113176400030000063042193',
  md5: '7047ed36ce068235fb6a730a5139c84c',
};
/**
 * The same KHQR without tag 99 (no creation or expiration timestamp), as the document's sample
 * leaves open; and with a creation timestamp only. CRCs computed with the SDK's own crc16
 * (bakong-khqr/src/helper/crc16), not with ours.
 */
const QR_NO_EXPIRY = '00020101021229230019your_bakong_id@devb520459995303840540510.505802KH5908My Store6010Phnom Penh6304732A';
const QR_CREATED_ONLY = '00020101021229230019your_bakong_id@devb520459995303840540510.505802KH5908My Store6010Phnom Penh991700131764000000000630411F6';
const expected = { bakongId: 'your_bakong_id@devb', amountMinor: 1050 };

const errorOf = (f: () => unknown): ProviderError => {
  try {
    f();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
};

describe('bakongapi transformers', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  describe('requests', () => {
    it("percent-encodes every query value (the document's JS example does not)", () => {
      expect(createUrl('https://bakongapi-dev.shop', { bakongId: 'your_bakong_id', merchantName: 'My Store', amount: bakongapiAmount(1050) })).toBe(
        'https://bakongapi-dev.shop/api/khqr/create?bakong_id=your_bakong_id&merchantname=My%20Store&amount=10.50',
      );
      expect(createUrl('http://127.0.0.1:3000/sandbox/bakongapi', { bakongId: 'a+b@devb', merchantName: 'Tea & Coffee #1', amount: '1.00' })).toBe(
        'http://127.0.0.1:3000/sandbox/bakongapi/api/khqr/create?bakong_id=a%2Bb%40devb&merchantname=Tea%20%26%20Coffee%20%231&amount=1.00',
      );
      expect(checkUrl('https://bakongapi-dev.shop', { md5: '5d41402abc4b2a76b9719d911017c592', bakongId: 'your_bakong_id' })).toBe(
        'https://bakongapi-dev.shop/api/khqr/check?md5=5d41402abc4b2a76b9719d911017c592&bakong_id=your_bakong_id',
      );
    });

    it("writes the amount in USD with cents, as the document's curl does", () => {
      expect(bakongapiAmount(1050)).toBe('10.50');
      expect(bakongapiAmount(1000)).toBe('10.00');
      expect(bakongapiAmount(1)).toBe('0.01');
    });

    it('validates the account fields', () => {
      expect(checkBakongId('shop@aclb')).toBeNull();
      expect(checkBakongId('shop')).toMatch(/name@bank/);
      expect(checkMerchantName('My Store')).toBeNull();
      expect(checkMerchantName('x'.repeat(26))).toMatch(/25/);
    });
  });

  describe('create', () => {
    const now = new Date(NOW);
    const docShape = (qr: { khqrString: string; md5: string }) => ({
      bakong_qr: `https://bakongapi-dev.shop/bakong-qr?md5=${qr.md5}`,
      md5: qr.md5,
      khqrString: qr.khqrString,
    });

    it('accepts the documented shape after checking md5 and the KHQR itself; expires 15 minutes later', () => {
      expect(parseCreateResponse(docShape(QR_15_MIN), 200, expected, now)).toEqual({
        khqrString: QR_15_MIN.khqrString,
        md5: QR_15_MIN.md5,
        expiresAt: new Date(NOW + BAKONGAPI_QR_LIFETIME_MS),
      });
      // An uppercase md5 is the same md5.
      expect(parseCreateResponse({ ...docShape(QR_15_MIN), md5: QR_15_MIN.md5.toUpperCase() }, 200, expected, now).md5).toBe(QR_15_MIN.md5);
    });

    it('accepts a KHQR without an expiration timestamp: it lives the documented 15 minutes from creation', () => {
      for (const khqrString of [QR_NO_EXPIRY, QR_CREATED_ONLY]) {
        const md5 = createHash('md5').update(khqrString).digest('hex');
        expect(parseCreateResponse({ khqrString, md5 }, 200, expected, now)).toEqual({ khqrString, md5, expiresAt: new Date(NOW + BAKONGAPI_QR_LIFETIME_MS) });
      }
    });

    it("takes the KHQR's own expiration when it is earlier than 15 minutes", () => {
      expect(parseCreateResponse(docShape(QR_5_MIN), 200, expected, now).expiresAt).toEqual(new Date(NOW + 5 * 60_000));
    });

    it('refuses success:false, missing fields, a wrong md5 or a KHQR that is not ours', () => {
      expect(errorOf(() => parseCreateResponse({ success: false, message: 'Invalid bakong_id' }, 200, expected, now))).toMatchObject({
        kind: 'rejected',
        message: expect.stringMatching(/Invalid bakong_id/),
      });
      expect(errorOf(() => parseCreateResponse({ error: 'Not Found' }, 404, expected, now))).toMatchObject({ kind: 'rejected' });
      expect(errorOf(() => parseCreateResponse({ md5: QR_15_MIN.md5 }, 200, expected, now)).message).toMatch(/khqrString/);
      expect(errorOf(() => parseCreateResponse({ khqrString: QR_15_MIN.khqrString, md5: 'nope' }, 200, expected, now)).message).toMatch(/md5/);
      expect(errorOf(() => parseCreateResponse({ ...docShape(QR_15_MIN), md5: QR_5_MIN.md5 }, 200, expected, now)).message).toMatch(
        /not the md5 of its khqrString/,
      );
      expect(errorOf(() => parseCreateResponse(docShape(QR_15_MIN), 200, { ...expected, amountMinor: 1000 }, now)).message).toMatch(/amount/);
      expect(errorOf(() => parseCreateResponse(docShape(QR_15_MIN), 200, { ...expected, bakongId: 'other@devb' }, now)).message).toMatch(/pays/);
      const withMd5 = (khqrString: string) => ({ khqrString, md5: createHash('md5').update(khqrString).digest('hex') });
      expect(errorOf(() => parseCreateResponse(withMd5(QR_15_MIN.khqrString.slice(0, -4) + '0000'), 200, expected, now)).message).toMatch(/CRC does not match/);
      // One changed character of the amount: the CRC no longer matches.
      expect(errorOf(() => parseCreateResponse(withMd5(QR_NO_EXPIRY.replace('10.50', '10.60')), 200, expected, now)).message).toMatch(/CRC does not match/);
      expect(errorOf(() => parseCreateResponse(withMd5('not a khqr'), 200, expected, now)).message).toMatch(/CRC/);
    });

    it('refuses a KHQR that has already expired', () => {
      jest.spyOn(Date, 'now').mockReturnValue(NOW + 5 * 60_000 + 1);
      expect(errorOf(() => parseCreateResponse(docShape(QR_5_MIN), 200, expected, new Date(NOW + 5 * 60_000 + 1))).message).toMatch(/expired/);
    });
  });

  describe('check', () => {
    const now = new Date(NOW);
    const ok = { bakongId: 'your_bakong_id' };

    it('maps the documented PENDING / PAID / EXPIRED', () => {
      expect(parseCheckResponse({ success: true, status: 'PAID', bakong_id: 'your_bakong_id', amount: 10.5 }, 200, ok, now)).toEqual({
        status: 'PAID',
        paidAmountMinor: 1050,
        paidCurrency: 'USD',
        paidAt: now,
      });
      expect(parseCheckResponse({ success: true, status: 'PENDING', bakong_id: 'your_bakong_id', amount: 10.5 }, 200, ok, now)).toEqual({ status: 'PENDING' });
      expect(parseCheckResponse({ success: true, status: 'EXPIRED', bakong_id: 'your_bakong_id' }, 200, ok, now)).toEqual({ status: 'EXPIRED' });
      expect(parseCheckResponse({ success: true, status: 'paid', bakong_id: 'your_bakong_id', amount: '10.50' }, 200, ok, now)).toMatchObject({
        status: 'PAID',
        paidAmountMinor: 1050,
      });
    });

    it('reports another amount as paid so the state machine flags the mismatch', () => {
      expect(parseCheckResponse({ success: true, status: 'PAID', bakong_id: 'your_bakong_id', amount: 1 }, 200, ok, now)).toMatchObject({
        status: 'PAID',
        paidAmountMinor: 100,
      });
    });

    it('never turns an unknown status, success:false or missing fields into PENDING', () => {
      expect(errorOf(() => parseCheckResponse({ success: true, status: 'REFUNDED', bakong_id: 'your_bakong_id' }, 200, ok, now))).toMatchObject({
        kind: 'bad_response',
      });
      expect(errorOf(() => parseCheckResponse({ success: true }, 200, ok, now)).message).toMatch(/unknown status/);
      expect(errorOf(() => parseCheckResponse({ status: 'PENDING' }, 200, ok, now)).message).toMatch(/success: true/);
      expect(errorOf(() => parseCheckResponse({ success: false, message: 'QR code not found' }, 200, ok, now))).toMatchObject({
        kind: 'rejected',
        message: expect.stringMatching(/QR code not found/),
      });
      expect(errorOf(() => parseCheckResponse({ success: true, status: 'PAID', amount: 10.5 }, 200, ok, now)).message).toMatch(/bakong_id/);
      expect(errorOf(() => parseCheckResponse({ success: true, status: 'PENDING', bakong_id: 'someone_else' }, 200, ok, now)).message).toMatch(
        /another Bakong account/,
      );
    });

    it('refuses malformed amounts: nothing is marked paid', () => {
      for (const amount of [undefined, null, 'ten', -10.5, 10.555, 0, '10,50', {}]) {
        expect(errorOf(() => parseCheckResponse({ success: true, status: 'PAID', bakong_id: 'your_bakong_id', amount }, 200, ok, now)).message).toMatch(
          /amount/,
        );
      }
    });
  });
});
