import { GATEWAY_ERRORS } from '../gateway.errors';
import { InboundCallback, notFoundRefusal, refuse } from '../inbound';
import { GATEWAY_TRANSACTION_ID, RETURN_TOKEN } from './checkout.transformers';

/**
 * The hosted checkout's success return: GET /callbacks/checkout/{token}/return?transaction_id=….
 * Only the browser's word: the single-use token proves the browser was sent here for this
 * transaction, and the state machine lets a browser return pay a PENDING, unexpired order only.
 */
export const checkoutSuccessReturn: InboundCallback<'checkout'> = {
  provider: 'checkout',
  singleUseReturnToken: true,
  locate: ({ params }) => (RETURN_TOKEN.test(params.token) ? { by: 'return_token', token: params.token } : notFoundRefusal('return link')),
  interpret: ({ request, transaction, now }) => {
    if (!transaction) return notFoundRefusal('return link');
    const proof = request.query.transaction_id;
    if (proof === undefined || proof === '') return refuse(GATEWAY_ERRORS.missing_transaction_id, 'the return carries no transaction_id');
    if (typeof proof !== 'string' || !GATEWAY_TRANSACTION_ID.test(proof))
      return refuse(GATEWAY_ERRORS.bad_transaction_id, 'transaction_id must be 4–128 letters, digits, _ or -');
    return {
      kind: 'pay',
      providerReference: transaction.providerReference,
      verification: 'browser_return',
      // The return says nothing about the amount: the browser's word is that this transaction was paid in full.
      paidAmountMinor: transaction.amountMinor,
      paidAt: now,
      proof,
      reason: 'browser return from the hosted checkout',
    };
  },
};

/**
 * The hosted checkout's cancel return: GET /callbacks/checkout/{token}/cancel, with its own token.
 * A customer who cancelled has not paid: the cancel spends the return token (singleUseReturnToken),
 * so the return link can never pay afterwards.
 */
export const checkoutCancelReturn: InboundCallback<'checkout'> = {
  provider: 'checkout',
  singleUseReturnToken: true,
  locate: ({ params }) => (RETURN_TOKEN.test(params.token) ? { by: 'cancel_token', token: params.token } : notFoundRefusal('cancel link')),
  interpret: () => ({ kind: 'cancel', reason: 'the customer cancelled at the hosted checkout' }),
};
