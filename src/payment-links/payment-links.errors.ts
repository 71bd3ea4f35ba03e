import { defineProblems } from '../common/problem';

/** Problem codes of payment links (the API and the public /l/{slug} page). */
export const PAYMENT_LINKS_ERRORS = defineProblems('payment_links', {
  link_gone: { status: 410, meaning: 'The payment link is deactivated, expired or used up (max_payments paid); it creates no order.' },
  payments_in_progress: {
    status: 409,
    meaning: 'Every remaining payment of the link (max_payments) is held by an open order being paid right now; retry once one is paid or expires.',
  },
  no_gateway: { status: 422, meaning: 'None of the gateways for the link has an account of the merchant that accepts the link’s currency.' },
});
