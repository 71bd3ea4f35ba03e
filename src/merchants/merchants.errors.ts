import { defineProblems } from '../common/problem';

/** Problem codes of merchants and their gateway accounts. */
export const MERCHANTS_ERRORS = defineProblems('merchants', {
  unknown_provider: { status: 404, meaning: 'The provider in the path is not a gateway this server knows.' },
  provider_account_missing: { status: 422, meaning: 'The merchant has no account for this gateway; PUT /v1/provider-accounts/{provider} first.' },
  last_api_key: { status: 409, meaning: 'Revoking this key would leave the merchant no API key without an expiry; create one first, or pass force=true.' },
  provider_account_in_use: {
    status: 409,
    meaning: 'The account still has PENDING orders that need it to be verified; wait until they are final (or cancel them), then delete it.',
  },
  provider_account_incomplete: { status: 422, meaning: 'The merchant’s account for this gateway lacks a base_url and the gateway has no default host.' },
  live_key_required: { status: 403, meaning: 'A test key (sk_test_…) may not create a live key; use a live key or the dashboard.' },
  provider_account_rejected: {
    status: 422,
    meaning: 'The gateway, asked when the account was saved, refused it (unknown account id, refused token); nothing was stored.',
  },
});
