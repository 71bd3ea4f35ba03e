import { GATEWAY_ERRORS } from '../gateway.errors';
import { InboundCallback, notFoundRefusal, refuse, refuseAt } from '../inbound';
import { AHNAJAK_RETURN_TOKEN } from './ahnajak.provider';
import { AHNAJAK_SIGNATURE_HEADER, AHNAJAK_WEBHOOK_MAX_BYTES, fieldNames, interpretWebhook, verifyWebhook } from './ahnajak.transformers';

const MERCHANT_ID = /^[a-z]{2,5}_[0-9a-z]{1,64}$/;

/**
 * Ahnajak's webhook: POST /callbacks/ahnajak/{merchantId}. The merchant in the URL selects the
 * secret_key it is verified with; the transaction it names is looked for within that merchant only.
 */
export const ahnajakWebhook: InboundCallback<'ahnajak'> = {
  provider: 'ahnajak',
  locate: ({ params, rawBody }) => {
    if (!MERCHANT_ID.test(params.merchantId)) return notFoundRefusal('merchant');
    if (!rawBody) return refuse(GATEWAY_ERRORS.malformed_payload, 'send the webhook as application/json');
    if (rawBody.length > AHNAJAK_WEBHOOK_MAX_BYTES)
      return refuse(GATEWAY_ERRORS.body_too_large, `an Ahnajak webhook is at most ${AHNAJAK_WEBHOOK_MAX_BYTES} bytes`);
    return { by: 'merchant', merchantId: params.merchantId };
  },
  interpret: ({ request, account, now }) => {
    // locate() refused a call without a body, and the orders side answers 404 for a merchant without an account.
    if (!request.rawBody) return refuse(GATEWAY_ERRORS.malformed_payload, 'send the webhook as application/json');
    if (!account) return notFoundRefusal('ahnajak account');
    const names = fieldNames(account.payload_template);
    const verified = verifyWebhook(request.rawBody, request.headers[AHNAJAK_SIGNATURE_HEADER], account.secret_key, names);
    // A webhook whose signature fails is forbidden (403); a return's is a bad request (400).
    if (!verified.ok)
      return verified.code === 'invalid_signature'
        ? refuseAt(GATEWAY_ERRORS.invalid_signature, 403, verified.detail)
        : refuse(GATEWAY_ERRORS[verified.code], verified.detail);
    // Ahnajak takes USD only; the paid currency is the transaction's.
    const payment = interpretWebhook(verified, 'USD', names);
    if (!payment.ok) return refuse(GATEWAY_ERRORS[payment.code], payment.detail);
    return {
      kind: 'pay',
      providerReference: payment.transactionNumber,
      verification: 'signed_webhook',
      paidAmountMinor: payment.paidAmountMinor,
      paidAt: now,
      reason: 'signed webhook',
    };
  },
};

/**
 * The customer's return from Ahnajak: GET /callbacks/ahnajak/{token}/return. Its success_hash has no
 * documented formula, so it is never evidence of payment; the token only leads back to the order.
 * Whatever is wrong with the token, one 404, so nobody can walk transactions.
 */
export const ahnajakCustomerReturn: InboundCallback<'ahnajak'> = {
  provider: 'ahnajak',
  locate: ({ params }) => (AHNAJAK_RETURN_TOKEN.test(params.token) ? { by: 'return_token', token: params.token } : notFoundRefusal('return link')),
  interpret: () => ({ kind: 'lead_to_order' }),
};
