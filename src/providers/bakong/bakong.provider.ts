import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { OutboundHttp, OutboundRequest } from '../../common/http/outbound-http';
import { problem } from '../../common/problem';
import { AppConfig } from '../../config/config';
import { GATEWAY_ERRORS } from '../gateway.errors';
import {
  AccountCheck,
  CreatePaymentInput,
  CreatePaymentResult,
  credentialFields,
  PaymentProvider,
  ProviderError,
  StoredCredentials,
  VerifyInput,
  VerifyOutcome,
} from '../provider';
import { callProvider } from '../provider-errors';
import {
  BAKONG_BATCH_SIZE,
  BAKONG_DEEPLINK_TIMEOUT_MS,
  BAKONG_FORBIDDEN_MESSAGE,
  BakongAccount,
  checkAccountBody,
  checkAccountUrl,
  deeplinkBody,
  deeplinkUrl,
  parseCheckAccountResponse,
  parseDeeplinkResponse,
  tokenExpiry,
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
 * the official SDK, a bank-app deeplink is asked for it (generate_deeplink_by_qr, best effort),
 * and payments are looked up by md5. Every call goes through the account's proxy_url, else
 * BAKONG_PROXY_URL, when one is set (a relay in Cambodia).
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
    proxy_url: {
      secret: true,
      required: false,
      kind: 'url',
      description:
        "HTTP(S) proxy for this account's Open API calls (a relay in Cambodia: the Open API answers Cambodian addresses only); default BAKONG_PROXY_URL. " +
        'May carry user:password; write-only, masked on read.',
      example: 'http://relay.example.com.kh:3128',
    },
  });
  private readonly logger = new Logger('BakongProvider');

  constructor(
    private readonly http: OutboundHttp,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** An Open API call of this account: its proxy (or the process's), the provider deadline unless given. */
  private call(account: BakongAccount, req: OutboundRequest) {
    const proxyUrl = account.proxyUrl ?? this.config.bakongProxyUrl ?? undefined;
    return callProvider(this.http, this.id, { ...req, ...(proxyUrl ? { proxyUrl } : {}) });
  }

  /**
   * check_bakong_account when the account is saved: "not found" or a refused token stops the PUT;
   * an answer we cannot get (down, outside Cambodia) is only a warning, since the account may well be right.
   */
  async checkAccount(credentials: BakongCredentials): Promise<AccountCheck> {
    const account = bakongAccount(credentials);
    try {
      const res = await this.call(account, {
        method: 'POST',
        url: checkAccountUrl(account.baseUrl),
        headers: openApiHeaders(account.token),
        body: checkAccountBody(account.accountId),
      });
      return { refusal: parseCheckAccountResponse(res), warnings: [] };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.kind === 'auth' && err.message !== BAKONG_FORBIDDEN_MESSAGE) return { refusal: err.message, warnings: [] };
      return { refusal: null, warnings: [`the account could not be checked with Bakong (check_bakong_account): ${err.message}`] };
    }
  }

  credentialExpiry(credentials: StoredCredentials): Date | null {
    return typeof credentials.token === 'string' ? tokenExpiry(credentials.token) : null;
  }

  /** Bakong's short link that opens the payment in a bank app; undefined when Bakong gives none in time (the order goes on without it). */
  private async deeplink(account: BakongAccount, qr: string, input: CreatePaymentInput<BakongCredentials>): Promise<string | undefined> {
    try {
      const res = await this.call(account, {
        method: 'POST',
        url: deeplinkUrl(account.baseUrl),
        headers: openApiHeaders(account.token),
        body: deeplinkBody(qr, {
          appIconUrl: `${input.publicBaseUrl}/favicon.ico`,
          appName: account.merchantName,
          appDeepLinkCallback: `${input.publicBaseUrl}/pay/${input.order.id}`,
        }),
        timeoutMs: Math.min(BAKONG_DEEPLINK_TIMEOUT_MS, this.http.providerTimeoutMs),
      });
      return parseDeeplinkResponse(res);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      this.logger.warn({ order: input.order.id, err: err.message }, 'no bank-app deeplink for this order (generate_deeplink_by_qr failed)');
      return undefined;
    }
  }

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
    const deeplink = await this.deeplink(account, khqr.qr, input);
    return { providerReference: khqr.md5, wireAmount: khqr.wireAmount, checkoutUrl: null, qr: { payload: khqr.qr, md5: khqr.md5 }, deeplink };
  }

  async verify(input: VerifyInput<BakongCredentials>): Promise<VerifyOutcome> {
    const account = bakongAccount(input.account);
    const res = await this.call(account, {
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
      const res = await this.call(account, {
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
