// Only for a gateway that calls us (returns, webhooks, pushbacks): each inbound call is pure functions.
// It never reads or writes the database: orders/ (InboundCallbacksService) finds the transaction,
// loads the account, calls interpret() and applies the verdict.
import { timingSafeEqual } from 'node:crypto';
import { parseAmount } from '../../common/money';
import { GATEWAY_ERRORS } from '../gateway.errors';
import { InboundCallback, notFoundRefusal, refuseAt } from '../inbound';
import { sign } from './example.transformers';

const REFERENCE = /^\d{1,18}$/;

/** Example Pay's signed webhook: POST /callbacks/example/{reference}, header x-example-signature. */
export const exampleWebhook: InboundCallback<'example'> = {
  provider: 'example',
  locate: (request) => {
    const reference = request.params.reference;
    return REFERENCE.test(reference) ? { by: 'reference', reference } : notFoundRefusal('transaction');
  },
  interpret: ({ request, account, transaction, now }) => {
    const body = request.rawBody?.toString('utf8') ?? '';
    const given = Buffer.from(request.headers['x-example-signature'] ?? '');
    // An unknown reference has no account: refused exactly like a forgery, so references cannot be probed.
    const expected = Buffer.from(account ? sign(account.api_key, body) : '');
    if (!account || !transaction || given.length !== expected.length || !timingSafeEqual(given, expected))
      return refuseAt(GATEWAY_ERRORS.invalid_signature, 403, 'x-example-signature does not match');
    const payload = JSON.parse(body) as { status?: string; amount?: string };
    if (payload.status !== 'APPROVED') return { kind: 'lead_to_order' };
    return {
      kind: 'pay',
      providerReference: transaction.providerReference,
      verification: 'signed_webhook',
      paidAmountMinor: parseAmount(payload.amount, transaction.currency, { noMax: true }),
      paidAt: now,
      reason: 'signed webhook',
    };
  },
};
