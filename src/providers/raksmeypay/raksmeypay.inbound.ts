import { GATEWAY_ERRORS } from '../gateway.errors';
import { InboundCallback, notFoundRefusal, refuse, refuseAt } from '../inbound';
import { checkSuccessReturn } from './raksmeypay.transformers';

/** Our transaction number, as RaksmeyPay echoes it in the return path. */
const TRANSACTION_NUMBER = /^\d{1,18}$/;

/**
 * RaksmeyPay's signed success return: GET /callbacks/raksmeypay/{transactionNumber}/return.
 * A number we do not know is checked like any other (with no key, so it fails at the hash): the
 * answer must not tell anyone which numbers exist, or the sequential numbers could be walked.
 */
export const raksmeypaySuccessReturn: InboundCallback<'raksmeypay'> = {
  provider: 'raksmeypay',
  locate: (request) => {
    const reference = request.params.transactionNumber;
    return TRANSACTION_NUMBER.test(reference) ? { by: 'reference', reference } : notFoundRefusal('transaction');
  },
  interpret: ({ request, account, transaction, now }) => {
    const reference = request.params.transactionNumber;
    const profileKey = account ? account.profile_key : null;
    const check = checkSuccessReturn(request.query, profileKey, reference, transaction?.currency ?? 'USD', Math.floor(now.getTime() / 1000));
    if (!check.ok)
      return check.code === 'invalid_signature'
        ? refuseAt(GATEWAY_ERRORS.invalid_signature, 400, check.detail)
        : refuse(GATEWAY_ERRORS[check.code], check.detail);
    if (!transaction) return refuseAt(GATEWAY_ERRORS.invalid_signature, 400, 'success_hash does not match'); // never: only a known transaction's key verifies
    return {
      kind: 'pay',
      providerReference: reference,
      verification: 'signed_return',
      paidAmountMinor: check.paidAmountMinor,
      paidAt: check.paidAt,
      proof: check.bakongHash || undefined,
      reason: 'signed success return',
    };
  },
};
