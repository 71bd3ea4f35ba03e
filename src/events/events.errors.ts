import { defineProblems } from '../common/problem';

/** Problem codes of events, webhook endpoints and deliveries. */
export const EVENTS_ERRORS = defineProblems('events', {
  url_not_allowed: { status: 400, meaning: 'The webhook URL points at a private, loopback or link-local address not in OUTBOUND_ALLOWLIST.' },
  too_many_endpoints: { status: 409, meaning: 'The merchant has the most webhook endpoints allowed; delete one first.' },
  endpoint_deleted: { status: 409, meaning: 'A delivery cannot be retried: its webhook endpoint was deleted.' },
  endpoint_disabled: { status: 409, meaning: 'A delivery cannot be retried: its webhook endpoint is disabled.' },
  delivery_in_flight: { status: 409, meaning: 'An attempt of this delivery is in flight; retry when it has finished.' },
});
