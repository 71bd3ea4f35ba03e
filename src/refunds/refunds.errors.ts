import { defineProblems } from '../common/problem';

/** Problem codes of refunds. */
export const REFUNDS_ERRORS = defineProblems('refunds', {
  refund_not_supported: {
    status: 409,
    meaning: 'The order’s gateway has no refund API: return the money outside and record it with `manual: true`.',
  },
  order_not_refundable: { status: 409, meaning: 'Only a PAID order can be refunded.' },
  amount_exceeds_refundable: {
    status: 422,
    meaning: 'The refund would take the order’s refunds (those not failed) past its paid amount; nothing was written.',
  },
});
