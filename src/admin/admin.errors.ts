import { defineProblems } from '../common/problem';

/** Problem codes of the admin API. */
export const ADMIN_ERRORS = defineProblems('admin', {
  transaction_final: { status: 409, meaning: 'A manual resolution of a transaction that is already final; `order_status` says what it is.' },
});
