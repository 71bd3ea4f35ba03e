// Template: copy this folder to src/providers/<id>/, rename every "example"/"Example", then fill in
// the gateway's document. test/gateway-template.e2e-spec.ts type-checks these files as if copied.
import { Injectable } from '@nestjs/common';
import { OutboundHttp } from '../../common/http/outbound-http';
import { CreatePaymentInput, CreatePaymentResult, credentialFields, PaymentProvider, VerifyInput, VerifyOutcome } from '../provider';
import { callProvider, parseJsonObject } from '../provider-errors';
import { checkoutLink, parseStatusResponse, wireAmount } from './example.transformers';

/** A merchant's account at the gateway: exactly the fields it issues (typed; no String(account.x) reads). */
export interface ExampleAccount {
  merchant_id: string;
  api_key: string;
  base_url: string;
}

/** One line on what the gateway is and how it is paid (hosted page, KHQR, webhook, verify API…). */
@Injectable()
export class ExampleProvider implements PaymentProvider<ExampleAccount> {
  readonly id = 'example' as const;
  readonly displayName = 'Example Pay';
  /** The documented production host, or '' when the document gives none (base_url is then required). */
  readonly defaultBaseUrl = 'https://api.example-pay.test';
  readonly capabilities = {
    verify: true,
    batchVerify: false,
    callbacks: ['signed_webhook' as const],
    khqr: false,
    currencies: ['USD' as const, 'KHR' as const],
    refund: false,
  };
  /** What PUT /v1/provider-accounts/{id} accepts; checked against ExampleAccount at compile time. */
  readonly credentialFields = credentialFields<ExampleAccount>({
    merchant_id: { secret: false, required: true, kind: 'string', description: 'Your merchant id at Example Pay', example: 'm-1001' },
    api_key: { secret: true, required: true, kind: 'string', description: 'Your API key (signs requests and webhooks)' },
    base_url: { secret: false, required: false, kind: 'url', description: 'Gateway host (the sandbox in development)' },
  });

  constructor(private readonly http: OutboundHttp) {}

  async createPayment(input: CreatePaymentInput<ExampleAccount>): Promise<CreatePaymentResult> {
    const amount = wireAmount(input.order.amountMinor, input.order.currency);
    const link = checkoutLink(input.account, String(input.transaction.number), amount);
    return { providerReference: String(input.transaction.number), wireAmount: amount, checkoutUrl: link };
  }

  async verify(input: VerifyInput<ExampleAccount>): Promise<VerifyOutcome> {
    // callProvider maps timeouts, 5xx, 429 and refusals to ProviderError (502/504 problems, retried by the sweeper).
    const res = await callProvider(this.http, this.id, {
      method: 'GET',
      url: `${input.account.base_url}/v1/payments/${encodeURIComponent(input.transaction.providerReference)}`,
      headers: { accept: 'application/json', authorization: `Bearer ${input.account.api_key}` },
    });
    return parseStatusResponse(parseJsonObject(this.id, res), input.transaction.currency);
  }
}
