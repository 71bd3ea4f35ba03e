import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { OutboundHttp } from '../../common/http/outbound-http';
import { KHQR_LIMITS } from '../khqr';
import { CreatePaymentInput, CreatePaymentResult, credentialFields, PaymentProvider, VerifyInput, VerifyOutcome } from '../provider';
import { callProvider, parseJsonObject } from '../provider-errors';
import {
  BAKONGAPI_DEV_BASE_URL,
  bakongapiAmount,
  checkBakongId,
  checkMerchantName,
  checkUrl,
  createUrl,
  parseCheckResponse,
  parseCreateResponse,
} from './bakongapi.transformers';

/** A merchant's account with the Bakong KHQR API service: the Bakong account its KHQRs pay (base_url as the service gives it). */
export interface BakongapiAccount {
  bakong_id: string;
  merchant_name: string;
  base_url: string;
}

/**
 * The Bakong KHQR API service (seed 002): it generates the KHQR for our Bakong account and
 * tells us by md5 whether it was paid. Our own /pay page shows the QR; nothing calls us back.
 */
@Injectable()
export class BakongapiProvider implements PaymentProvider<BakongapiAccount> {
  readonly id = 'bakongapi' as const;
  readonly displayName = 'Bakong KHQR API service';
  /** None: the document gives only its -dev host; a guessed production host could answer anything. */
  readonly defaultBaseUrl = '';
  readonly capabilities = { verify: true, batchVerify: false, callbacks: [], khqr: true, currencies: ['USD' as const], refund: false };
  readonly credentialFields = credentialFields<BakongapiAccount>({
    bakong_id: {
      secret: false,
      required: true,
      kind: 'string',
      description: 'Your Bakong account id (name@bank): the KHQR pays it',
      example: 'myshop@aclb',
      check: checkBakongId,
    },
    merchant_name: {
      secret: false,
      required: true,
      kind: 'string',
      description: `Merchant name in the KHQR (≤ ${KHQR_LIMITS.merchantName} characters)`,
      example: 'My Store',
      check: checkMerchantName,
    },
    base_url: {
      secret: false,
      required: false,
      kind: 'url',
      description: `Service host, as the service gives it to you (the document shows only ${BAKONGAPI_DEV_BASE_URL}; no production host is published)`,
      example: BAKONGAPI_DEV_BASE_URL,
    },
  });

  constructor(
    private readonly http: OutboundHttp,
    private readonly clock: Clock,
  ) {}

  async createPayment(input: CreatePaymentInput<BakongapiAccount>): Promise<CreatePaymentResult> {
    const bakongId = input.account.bakong_id;
    const amount = bakongapiAmount(input.order.amountMinor);
    const res = await callProvider(this.http, this.id, {
      method: 'GET',
      url: createUrl(input.account.base_url, { bakongId, merchantName: input.account.merchant_name, amount }),
      headers: { accept: 'application/json' },
    });
    const created = parseCreateResponse(parseJsonObject(this.id, res), res.status, { bakongId, amountMinor: input.order.amountMinor }, this.clock.now());
    return {
      providerReference: created.md5,
      wireAmount: amount,
      checkoutUrl: null,
      qr: { payload: created.khqrString, md5: created.md5 },
      expiresAt: created.expiresAt,
    };
  }

  async verify(input: VerifyInput<BakongapiAccount>): Promise<VerifyOutcome> {
    const bakongId = input.account.bakong_id;
    const res = await callProvider(this.http, this.id, {
      method: 'GET',
      url: checkUrl(input.account.base_url, { md5: input.transaction.providerReference, bakongId }),
      headers: { accept: 'application/json' },
    });
    return parseCheckResponse(parseJsonObject(this.id, res), res.status, { bakongId }, this.clock.now());
  }
}
