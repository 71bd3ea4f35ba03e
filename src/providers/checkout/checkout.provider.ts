import { Injectable } from '@nestjs/common';
import { randomToken, sha256Hex } from '../../common/crypto';
import { OutboundHttp } from '../../common/http/outbound-http';
import { formatAmount } from '../../common/money';
import { CreatePaymentInput, CreatePaymentResult, credentialFields, PaymentProvider } from '../provider';
import { callProvider } from '../provider-errors';
import { checkoutCancelUrl, checkoutReturnUrl, createRequestBody, parseCreateResponse } from './checkout.transformers';

/** A merchant's hosted-checkout account (its API Settings page); the gateway has no host of its own, so base_url is required. */
export interface CheckoutAccount {
  api_key: string;
  client_base_url: string;
  base_url: string;
}

/**
 * The hosted-checkout gateway (seed 003): an authenticated create call answering a payment_url,
 * and a browser return carrying the gateway's transaction_id. Nothing signed, no verify API:
 * payments are confirmed by `browser_return` only, and unpaid orders expire on time.
 */
@Injectable()
export class CheckoutProvider implements PaymentProvider<CheckoutAccount> {
  readonly id = 'checkout' as const;
  readonly displayName = 'Hosted checkout';
  /** The gateway has no public host of its own (the document says "your-domain.com"): base_url is required. */
  readonly defaultBaseUrl = '';
  readonly capabilities = {
    verify: false,
    batchVerify: false,
    callbacks: ['browser_return' as const],
    khqr: false,
    currencies: ['USD' as const],
    refund: false,
  };
  readonly credentialFields = credentialFields<CheckoutAccount>({
    api_key: { secret: true, required: true, kind: 'string', description: 'Your secret API key (sent as Authorization: Bearer)' },
    client_base_url: {
      secret: false,
      required: true,
      kind: 'url',
      description: 'The "Base URL" on your API Settings page, exactly as entered there',
      example: 'https://shop.example.com/api',
    },
    base_url: {
      secret: false,
      required: true,
      kind: 'url',
      description: "The gateway's host; payments are created at {base_url}/api/v1/checkout",
      example: 'https://pay.example.com',
    },
  });

  constructor(private readonly http: OutboundHttp) {}

  async createPayment(input: CreatePaymentInput<CheckoutAccount>): Promise<CreatePaymentResult> {
    const amount = formatAmount(input.order.amountMinor, input.order.currency);
    // The return link's token is the only thing tying a browser return to this transaction: random, single use, stored hashed.
    // The cancel link gets its own: a customer who is sent to (or just reads) the cancel URL must not learn the one that pays.
    const token = randomToken(32);
    const cancelToken = randomToken(32);
    const res = await callProvider(this.http, this.id, {
      method: 'POST',
      url: `${input.account.base_url}/api/v1/checkout`,
      headers: { authorization: `Bearer ${input.account.api_key}`, 'content-type': 'application/json', accept: 'application/json' },
      body: createRequestBody({
        amount,
        clientBaseUrl: input.account.client_base_url,
        customer: input.order.customer,
        successUrl: checkoutReturnUrl(input.publicBaseUrl, token),
        cancelUrl: checkoutCancelUrl(input.publicBaseUrl, cancelToken),
        orderId: input.order.id,
        reference: input.order.reference,
      }),
    });
    const created = parseCreateResponse(res);
    return {
      providerReference: created.trxId,
      wireAmount: amount,
      checkoutUrl: created.paymentUrl,
      returnTokenHash: sha256Hex(token),
      cancelTokenHash: sha256Hex(cancelToken),
    };
  }
}
