import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { OutboundHttp } from '../../common/http/outbound-http';
import { problem } from '../../common/problem';
import { GATEWAY_ERRORS } from '../gateway.errors';
import { CreatePaymentInput, CreatePaymentResult, credentialFields, PaymentProvider, ProviderError, VerifyInput, VerifyOutcome } from '../provider';
import { callProvider } from '../provider-errors';
import {
  BAKONG_BATCH_SIZE,
  BAKONG_DEFAULT_BASE_URL,
  BAKONG_SIT_BASE_URL,
  bakongAccount,
  BakongCredentials,
  billNumberFor,
  checkAccountId,
  checkByMd5Body,
  checkByMd5ListBody,
  checkByMd5ListUrl,
  checkByMd5Url,
  checkKhqrText,
  ExpectedPayment,
  generateKhqr,
  KHQR_LIMITS,
  KhqrGenerationError,
  openApiHeaders,
  parseBatchResponse,
  parseCheckResponse,
} from './bakong.transformers';

/**
 * The Bakong Open API of the National Bank of Cambodia, direct: the KHQR is generated here with
 * the official SDK (no gateway call on create), and payments are looked up by md5.
 */
@Injectable()
export class BakongProvider implements PaymentProvider<BakongCredentials> {
  readonly id = 'bakong' as const;
  readonly displayName = 'Bakong Open API (NBC)';
  readonly defaultBaseUrl = BAKONG_DEFAULT_BASE_URL;
  readonly batchSize = BAKONG_BATCH_SIZE;
  readonly capabilities = { verify: true, batchVerify: true, callbacks: [], khqr: true, currencies: ['USD' as const, 'KHR' as const], refund: false };
  readonly credentialFields = credentialFields<BakongCredentials>({
    account_id: {
      secret: false,
      required: true,
      kind: 'string',
      description: 'Your Bakong account id (name@bank): where the money goes',
      example: 'myshop@aclb',
      check: checkAccountId,
    },
    merchant_name: {
      secret: false,
      required: true,
      kind: 'string',
      description: `Name shown in the banking app (KHQR tag 59, ≤ ${KHQR_LIMITS.merchantName} characters)`,
      example: 'My Shop',
      check: checkKhqrText(KHQR_LIMITS.merchantName),
    },
    merchant_city: {
      secret: false,
      required: true,
      kind: 'string',
      description: `City (KHQR tag 60, ≤ ${KHQR_LIMITS.merchantCity} characters)`,
      example: 'Phnom Penh',
      check: checkKhqrText(KHQR_LIMITS.merchantCity),
    },
    token: {
      secret: true,
      required: true,
      kind: 'string',
      description: 'Bakong Open API token (from api-bakong.nbc.gov.kh; renewed with /v1/renew_token about every 90 days)',
    },
    base_url: { secret: false, required: false, kind: 'url', description: `Open API host; default ${BAKONG_DEFAULT_BASE_URL} (SIT: ${BAKONG_SIT_BASE_URL})` },
    acquiring_bank: {
      secret: false,
      required: false,
      kind: 'string',
      description: `Acquiring bank name (KHQR tag 30/02 for a merchant account, 29/02 for an individual one; ≤ ${KHQR_LIMITS.acquiringBank} characters)`,
      example: 'ACLEDA Bank',
      check: checkKhqrText(KHQR_LIMITS.acquiringBank),
    },
    merchant_id: {
      secret: false,
      required: false,
      kind: 'string',
      description: `Merchant id at the acquiring bank: makes a merchant KHQR (tag 30) and needs acquiring_bank (≤ ${KHQR_LIMITS.merchantId} characters)`,
      check: checkKhqrText(KHQR_LIMITS.merchantId),
    },
  });

  constructor(
    private readonly http: OutboundHttp,
    private readonly clock: Clock,
  ) {}

  async createPayment(input: CreatePaymentInput<BakongCredentials>): Promise<CreatePaymentResult> {
    const account = bakongAccount(input.account);
    let khqr;
    try {
      khqr = generateKhqr(account, {
        amountMinor: input.order.amountMinor,
        currency: input.order.currency,
        billNumber: billNumberFor(input.order.reference),
        expiresAt: input.order.expiresAt,
      });
    } catch (err) {
      // Nothing left the building: the account's settings (or the amount) are unusable in a KHQR.
      if (err instanceof KhqrGenerationError)
        throw problem(GATEWAY_ERRORS.khqr_generation_failed, `the bakong account cannot produce a KHQR for this order: ${err.message}`);
      throw err;
    }
    return { providerReference: khqr.md5, wireAmount: khqr.wireAmount, checkoutUrl: null, qr: { payload: khqr.qr, md5: khqr.md5 } };
  }

  async verify(input: VerifyInput<BakongCredentials>): Promise<VerifyOutcome> {
    const account = bakongAccount(input.account);
    const res = await callProvider(this.http, this.id, {
      method: 'POST',
      url: checkByMd5Url(account.baseUrl),
      headers: openApiHeaders(account.token),
      body: checkByMd5Body(input.transaction.providerReference),
    });
    return parseCheckResponse(res, expected(input.transaction, account.accountId), this.clock.now());
  }

  /**
   * One call per ≤ 50 md5 (all of one merchant account). Throws when a call fails as a whole
   * (token rejected, gateway down); otherwise one outcome or ProviderError per providerReference.
   */
  async verifyBatch(inputs: VerifyInput<BakongCredentials>[], credentials: BakongCredentials): Promise<Map<string, VerifyOutcome | ProviderError>> {
    const account = bakongAccount(credentials);
    const unique = [...new Map(inputs.map((i) => [i.transaction.providerReference, expected(i.transaction, account.accountId)])).values()];
    const out = new Map<string, VerifyOutcome | ProviderError>();
    for (let start = 0; start < unique.length; start += BAKONG_BATCH_SIZE) {
      const chunk = unique.slice(start, start + BAKONG_BATCH_SIZE);
      const res = await callProvider(this.http, this.id, {
        method: 'POST',
        url: checkByMd5ListUrl(account.baseUrl),
        headers: openApiHeaders(account.token),
        body: checkByMd5ListBody(chunk.map((e) => e.md5)),
      });
      for (const [md5, outcome] of parseBatchResponse(res, chunk, this.clock.now())) out.set(md5, outcome);
    }
    return out;
  }
}

function expected(txn: VerifyInput['transaction'], accountId: string): ExpectedPayment {
  return { md5: txn.providerReference, amountMinor: txn.amountMinor, currency: txn.currency, expiresAt: txn.expiresAt, accountId };
}
