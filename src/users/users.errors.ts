import { defineProblems } from '../common/problem';

/** Problem codes of users, sessions and roles. */
export const USERS_ERRORS = defineProblems('users', {
  invalid_credentials: { status: 401, meaning: 'The email and password do not match a user (the answer is the same for an unknown email).' },
  session_required: { status: 401, meaning: 'The endpoint needs a signed-in user (the session cookie is missing, expired or revoked).' },
  csrf_failed: { status: 403, meaning: 'A request authenticated by the session cookie changes state but its X-CSRF-Token header is missing or wrong.' },
  forbidden: { status: 403, meaning: 'The signed-in user’s role (or an API key, for team management) may not do this.' },
  email_taken: { status: 409, meaning: 'A user with this email (compared case-insensitively) already exists.' },
  last_owner: { status: 409, meaning: 'The change would leave the merchant without an owner.' },
});
