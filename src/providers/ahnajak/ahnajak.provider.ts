import { Injectable } from '@nestjs/common';
import { randomToken, sha256Hex } from '../../common/crypto';
import { CreatePaymentInput, CreatePaymentResult, credentialFields, PaymentProvider } from '../provider';
import { AHNAJAK_DEFAULT_BASE_URL, checkoutUrl, checkPayloadTemplate, phpAmount, remarkFor, type PayloadTemplate } from './ahnajak.transformers';

/**
 * Where the customer lands after paying (the gateway's success_url). It never marks an order PAID, but it leads to the
 * order (its /pay page, the merchant's success_url): so it carries a random per-transaction token, not the sequential number.
 */
export const ahnajakReturnUrl = (publicBaseUrl: string, token: string) => `${publicBaseUrl}/callbacks/ahnajak/${token}/return`;
/** A return token: base64url of 32 random bytes. */
export const AHNAJAK_RETURN_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The Webhook URL the merchant enters in Ahnajak's dashboard (Gateway Setup): one per merchant. */
export const ahnajakWebhookUrl = (publicBaseUrl: string, merchantId: string) => `${publicBaseUrl}/callbacks/ahnajak/${merchantId}`;

/** A merchant's Ahnajak account (Dashboard → API Credentials, and Gateway Setup for a custom payload template). */
export interface AhnajakAccount {
  profile_id: string;
  secret_key: string;
  base_url: string;
  payload_template?: PayloadTemplate;
}

/**
 * Ahnajak (ABA Pay): a sha256-signed redirect to its hosted KHQR checkout, and a webhook signed
 * twice (HMAC header + payload hash). No verify API: unpaid orders expire on time.
 */
@Injectable()
export class AhnajakProvider implements PaymentProvider<AhnajakAccount> {
  readonly id = 'ahnajak' as const;
  readonly displayName = 'Ahnajak (ABA Pay KHQR)';
  readonly defaultBaseUrl = AHNAJAK_DEFAULT_BASE_URL;
  readonly capabilities = {
    verify: false,
    batchVerify: false,
    callbacks: ['signed_webhook' as const],
    khqr: false,
    currencies: ['USD' as const],
    refund: false,
  };
  readonly credentialFields = credentialFields<AhnajakAccount>({
    profile_id: {
      secret: false,
      required: true,
      kind: 'string',
      description: 'Your Profile ID (Dashboard → API Credentials)',
      example: '1001',
      check: (v) => (/^[A-Za-z0-9_-]{1,64}$/.test(String(v)) ? null : 'must be 1–64 letters, digits, _ or -'),
    },
    secret_key: {
      secret: true,
      required: true,
      kind: 'string',
      description: 'Your Secret Key (Dashboard → API Credentials): signs checkout links and webhooks',
    },
    base_url: { secret: false, required: false, kind: 'url', description: `Gateway host; default ${AHNAJAK_DEFAULT_BASE_URL}` },
    payload_template: {
      secret: false,
      required: false,
      kind: 'object',
      description:
        "Only if you set a Custom Payload Template in Dashboard → Gateway Setup: each of your template's field names mapped to the variable it carries " +
        '(transaction_id, amount, status, hash; "{{amount}}" works too), e.g. {"order_id": "transaction_id", "paid_amount": "amount", "payment_status": "status", "signature": "hash"}.',
      check: checkPayloadTemplate,
    },
  });

  async createPayment(input: CreatePaymentInput<AhnajakAccount>): Promise<CreatePaymentResult> {
    const amount = phpAmount(input.order.amountMinor, input.order.currency);
    const transactionId = String(input.transaction.number);
    const returnToken = randomToken(32);
    const url = checkoutUrl({
      baseUrl: input.account.base_url,
      profileId: input.account.profile_id,
      secretKey: input.account.secret_key,
      transactionId,
      amount,
      successUrl: ahnajakReturnUrl(input.publicBaseUrl, returnToken),
      remark: remarkFor(input.order.reference),
    });
    // No call: requestv2 is opened by the customer's browser and creates the session then.
    return { providerReference: transactionId, wireAmount: amount, checkoutUrl: url, returnTokenHash: sha256Hex(returnToken) };
  }
}
