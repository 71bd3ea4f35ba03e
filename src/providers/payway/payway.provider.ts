import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { OutboundHttp } from '../../common/http/outbound-http';
import {
  CreatePaymentInput,
  CreatePaymentResult,
  credentialFields,
  PaymentProvider,
  ProviderError,
  RefundInput,
  RefundOutcome,
  VerifyInput,
  VerifyOutcome,
} from '../provider';
import { callProvider, parseJsonObject } from '../provider-errors';
import {
  checkRequestBody,
  checkRsaPublicKey,
  lifetimeMinutes,
  MERCHANT_ID,
  merchantAuth,
  parseCheckResponse,
  parseQrResponse,
  parseRefundCheck,
  parseRefundResponse,
  PAYWAY_DEFAULT_BASE_URL,
  PAYWAY_PATHS,
  PAYWAY_SANDBOX_BASE_URL,
  paywayAmount,
  qrRequestBody,
  refundAmount,
  refundAuthPayload,
  refundRequestBody,
  reqTime,
} from './payway.transformers';

/** Where PayWay posts its pushback (the QR API's callback_url): one URL, the tran_id is in the body. */
export const paywayPushbackUrl = (publicBaseUrl: string) => `${publicBaseUrl}/callbacks/payway/pushback`;

/** A merchant's PayWay account, as ABA gives it at onboarding. */
export interface PaywayAccount {
  merchant_id: string;
  api_key: string;
  /** The RSA public key (PEM) ABA issues for the Refund API; without it refunds are refused before any call. */
  rsa_public_key?: string;
  base_url: string;
}

/**
 * ABA PayWay: the ABA QR API (a KHQR and an ABA Mobile deeplink shown on our /pay page), Check Transaction for verify
 * and the sweeper, an unsigned pushback that only triggers a Check Transaction, and the Refund API (merchant_auth
 * RSA-encrypted with the merchant's rsa_public_key).
 */
@Injectable()
export class PaywayProvider implements PaymentProvider<PaywayAccount> {
  readonly id = 'payway' as const;
  readonly displayName = 'ABA PayWay (KHQR)';
  readonly defaultBaseUrl = PAYWAY_DEFAULT_BASE_URL;
  readonly capabilities = {
    verify: true,
    batchVerify: false,
    callbacks: [],
    khqr: true,
    currencies: ['USD' as const, 'KHR' as const],
    refund: true,
  };
  readonly credentialFields = credentialFields<PaywayAccount>({
    merchant_id: {
      secret: false,
      required: true,
      kind: 'string',
      description: 'Your PayWay merchant_id (given by ABA at onboarding; at most 30 characters)',
      example: 'ec000002',
      check: (v) => (MERCHANT_ID.test(String(v)) ? null : 'must be 1–30 letters, digits, ., _ or -'),
    },
    api_key: { secret: true, required: true, kind: 'string', description: 'Your PayWay API key (the HMAC-SHA512 key every request is signed with)' },
    rsa_public_key: {
      secret: false,
      required: false,
      kind: 'string',
      description: 'The RSA public key (PEM) ABA issues for the Refund API; required for refunds. For the sandbox: GET /sandbox/payway/rsa-public-key.',
      check: checkRsaPublicKey,
    },
    base_url: {
      secret: false,
      required: false,
      kind: 'url',
      description: `Gateway host; default ${PAYWAY_DEFAULT_BASE_URL} (PayWay's own sandbox: ${PAYWAY_SANDBOX_BASE_URL})`,
      example: PAYWAY_DEFAULT_BASE_URL,
    },
  });

  constructor(
    private readonly http: OutboundHttp,
    private readonly clock: Clock,
  ) {}

  private post(account: PaywayAccount, path: string, body: string) {
    return callProvider(this.http, this.id, {
      method: 'POST',
      url: `${account.base_url}${path}`,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
  }

  async createPayment(input: CreatePaymentInput<PaywayAccount>): Promise<CreatePaymentResult> {
    const { order, account } = input;
    const now = this.clock.now();
    const tranId = String(input.transaction.number);
    const amount = paywayAmount(order.amountMinor, order.currency);
    const res = await this.post(
      account,
      PAYWAY_PATHS.qr,
      qrRequestBody({
        merchantId: account.merchant_id,
        apiKey: account.api_key,
        tranId,
        amount,
        currency: order.currency,
        callbackUrl: paywayPushbackUrl(input.publicBaseUrl),
        lifetime: lifetimeMinutes(now, order.expiresAt),
        reqTime: reqTime(now),
      }),
    );
    const qr = parseQrResponse(parseJsonObject(this.id, res), { amountMinor: order.amountMinor, currency: order.currency });
    return {
      providerReference: tranId,
      wireAmount: amount,
      checkoutUrl: null,
      qr: { payload: qr.qrString, md5: qr.md5 },
      ...(qr.deeplink ? { deeplink: qr.deeplink } : {}),
    };
  }

  private async checkTransaction(account: PaywayAccount, tranId: string): Promise<Record<string, unknown>> {
    const body = checkRequestBody({ merchantId: account.merchant_id, apiKey: account.api_key, tranId, reqTime: reqTime(this.clock.now()) });
    return parseJsonObject(this.id, await this.post(account, PAYWAY_PATHS.check, body));
  }

  async verify(input: VerifyInput<PaywayAccount>): Promise<VerifyOutcome> {
    return parseCheckResponse(await this.checkTransaction(input.account, input.transaction.providerReference), this.clock.now());
  }

  async refund(input: RefundInput<PaywayAccount>): Promise<RefundOutcome> {
    const { account } = input;
    if (!account.rsa_public_key) throw new ProviderError(this.id, 'auth', 'the PayWay account has no rsa_public_key: ABA issues it for the Refund API');
    const auth = merchantAuth(
      refundAuthPayload(account.merchant_id, input.transaction.providerReference, refundAmount(input.amountMinor, input.currency)),
      account.rsa_public_key,
    );
    const body = refundRequestBody({ merchantId: account.merchant_id, apiKey: account.api_key, merchantAuth: auth, requestTime: reqTime(this.clock.now()) });
    return parseRefundResponse(parseJsonObject(this.id, await this.post(account, PAYWAY_PATHS.refund, body)));
  }

  async checkRefund(input: RefundInput<PaywayAccount> & { providerRefundId: string | null }): Promise<RefundOutcome> {
    return parseRefundCheck(await this.checkTransaction(input.account, input.transaction.providerReference), input);
  }
}
