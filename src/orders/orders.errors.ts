import { defineProblems } from '../common/problem';

/** Problem codes of orders, idempotency and inbound gateway calls. */
export const ORDERS_ERRORS = defineProblems('orders', {
  bad_idempotency_key: { status: 400, meaning: 'The Idempotency-Key header is not 1–255 printable ASCII characters.' },
  idempotency_key_reused: { status: 422, meaning: 'The Idempotency-Key was already used with a different request body.' },
  idempotency_in_flight: { status: 409, meaning: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
  duplicate_reference: { status: 409, meaning: 'The merchant already has an order with this `reference`.' },
  duplicate_provider_reference: { status: 409, meaning: 'The gateway returned a payment reference already used by another order.' },
  invalid_transition: { status: 409, meaning: 'The order’s status does not allow this change (for example cancelling a paid order).' },
  verify_not_supported: {
    status: 422,
    meaning: 'The order’s gateway has no verify API; its payments are confirmed by callbacks and unpaid orders expire on time.',
  },
  concurrent_update: { status: 409, meaning: 'The order changed repeatedly while being updated; retry.' },
  return_token_used: { status: 409, meaning: 'The single-use return link was already used (by a return or a cancel).' },
  transaction_id_reused: { status: 409, meaning: 'The transaction_id of a return is already the proof of another payment.' },
  order_not_payable: { status: 409, meaning: 'The order cannot be paid by this call (for example a browser return after it expired).' },
});
