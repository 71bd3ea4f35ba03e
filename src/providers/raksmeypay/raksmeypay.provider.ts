import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { OutboundHttp } from '../../common/http/outbound-http';
import { CreatePaymentInput, CreatePaymentResult, credentialFields, PaymentProvider, VerifyInput, VerifyOutcome } from '../provider';
import { callProvider, parseJsonObject } from '../provider-errors';
import { parseVerifyResponse, paymentLink, phpAmount, RAKSMEYPAY_UAT_BASE_URL, remarkFor, verifyRequestBody } from './raksmeypay.transformers';

/** The success_url we sign: `?r=1` so the gateway's appended `&success_time=…` stays in the query. */
export const raksmeypayReturnUrl = (publicBaseUrl: string, transactionNumber: number | string) =>
  `${publicBaseUrl}/callbacks/raksmeypay/${transactionNumber}/return?r=1`;

/** A merchant's RaksmeyPay account (base_url as given by RaksmeyPay: no production host is published). */
export interface RaksmeypayAccount {
  profile_id: string;
  profile_key: string;
  base_url: string;
}

/** RaksmeyPay: a sha1-signed payment link to its hosted KHQR page, a signed success return, and a verify API. */
@Injectable()
export class RaksmeypayProvider implements PaymentProvider<RaksmeypayAccount> {
  readonly id = 'raksmeypay' as const;
  readonly displayName = 'RaksmeyPay (KHQR)';
  /** None: the document gives only its UAT host; a guessed production host could answer anything. */
  readonly defaultBaseUrl = '';
  readonly capabilities = { verify: true, batchVerify: false, callbacks: ['signed_return' as const], khqr: false, currencies: ['USD' as const], refund: false };
  readonly credentialFields = credentialFields<RaksmeypayAccount>({
    profile_id: {
      secret: false,
      required: true,
      kind: 'string',
      description: 'Your RaksmeyPay Profile ID',
      example: '1001',
      check: (v) => (/^[A-Za-z0-9_-]{1,64}$/.test(String(v)) ? null : 'must be letters, digits, _ or -'),
    },
    profile_key: { secret: true, required: true, kind: 'string', description: 'Your RaksmeyPay Profile Key (signs links and returns)' },
    base_url: {
      secret: false,
      required: false,
      kind: 'url',
      description: `Gateway host, as RaksmeyPay gives it to you (the document shows only UAT: ${RAKSMEYPAY_UAT_BASE_URL}; no production host is published)`,
      example: RAKSMEYPAY_UAT_BASE_URL,
    },
  });

  constructor(
    private readonly http: OutboundHttp,
    private readonly clock: Clock,
  ) {}

  async createPayment(input: CreatePaymentInput<RaksmeypayAccount>): Promise<CreatePaymentResult> {
    const amount = phpAmount(input.order.amountMinor, input.order.currency);
    const url = paymentLink({
      baseUrl: input.account.base_url,
      profileId: input.account.profile_id,
      profileKey: input.account.profile_key,
      transactionId: input.transaction.number,
      amount,
      successUrl: raksmeypayReturnUrl(input.publicBaseUrl, input.transaction.number),
      remark: remarkFor(input.order.reference),
    });
    // No call: the link is the payment request, opened by the customer's browser.
    return { providerReference: String(input.transaction.number), wireAmount: amount, checkoutUrl: url };
  }

  async verify(input: VerifyInput<RaksmeypayAccount>): Promise<VerifyOutcome> {
    const res = await callProvider(this.http, this.id, {
      method: 'POST',
      url: `${input.account.base_url}/api/payment/verify/${encodeURIComponent(input.account.profile_id)}`,
      // No content-type: undici writes multipart/form-data with its boundary for the FormData body.
      headers: { accept: 'application/json' },
      form: verifyRequestBody(input.account.profile_key, input.transaction.number),
    });
    return parseVerifyResponse(parseJsonObject(this.id, res), input.transaction.currency, this.clock.now());
  }
}
