import { defineProblems } from '../common/problem';
import type { ProviderErrorKind } from './provider';

/**
 * Problem codes of the gateways: a failed call to a gateway (provider_<ProviderError kind>), and the
 * refusals of their inbound calls (returns, webhooks), which the orders side answers as problems.
 */
export const GATEWAY_ERRORS = defineProblems('providers', {
  provider_timeout: { status: 504, meaning: 'The gateway did not answer in time; the order is unchanged.' },
  provider_unavailable: { status: 502, meaning: 'The gateway could not be reached or answered 5xx; the order is unchanged.' },
  provider_rate_limited: { status: 502, meaning: 'The gateway is rate limiting us (HTTP 429); the order is unchanged.' },
  provider_bad_response: { status: 502, meaning: 'The gateway answered something we cannot read (HTML, unknown status, bad JSON).' },
  provider_rejected: { status: 502, meaning: 'The gateway refused the request (for example the amount or the order).' },
  provider_auth: { status: 502, meaning: 'The gateway refused the merchant’s credentials.' },
  khqr_generation_failed: { status: 422, meaning: 'The Bakong account cannot produce a KHQR for this order (for example a name too long).' },
  not_found: { status: 404, meaning: 'An inbound call names an unknown transaction, merchant, account or link (one answer, so nothing can be walked).' },
  body_too_large: { status: 413, meaning: 'An inbound webhook is larger than the gateway’s documented maximum.' },
  invalid_signature: { status: [400, 403], meaning: 'The signature of a return (400) or a webhook (403, Ahnajak) does not verify.' },
  hash_mismatch: { status: 403, meaning: 'An Ahnajak webhook’s hash field is not the documented sha256 of its fields.' },
  malformed_payload: { status: 400, meaning: 'An inbound webhook is not the JSON object the gateway documents.' },
  missing_parameters: { status: 400, meaning: 'A RaksmeyPay return lacks success_time, success_amount or success_hash.' },
  missing_fields: { status: 400, meaning: 'An Ahnajak webhook lacks a field of its payload.' },
  missing_transaction_id: { status: 400, meaning: 'A hosted checkout return carries no transaction_id.' },
  stale_return: { status: 400, meaning: 'A RaksmeyPay return is older than it is valid for, or its time is not a timestamp.' },
  bad_amount: { status: 400, meaning: 'The amount of an inbound call is not a decimal amount.' },
  bad_transaction_id: { status: 400, meaning: 'The transaction id of an inbound call is not one of ours / not of the documented shape.' },
  unknown_status: { status: 422, meaning: 'An inbound webhook reports a status the gateway does not document.' },
});

/** Every ProviderError kind has its problem code; a new kind does not compile until it is catalogued. */
export const PROVIDER_ERROR_PROBLEMS = {
  timeout: GATEWAY_ERRORS.provider_timeout,
  unavailable: GATEWAY_ERRORS.provider_unavailable,
  rate_limited: GATEWAY_ERRORS.provider_rate_limited,
  bad_response: GATEWAY_ERRORS.provider_bad_response,
  rejected: GATEWAY_ERRORS.provider_rejected,
  auth: GATEWAY_ERRORS.provider_auth,
} as const satisfies { [K in ProviderErrorKind]: { code: `provider_${K}` } };
