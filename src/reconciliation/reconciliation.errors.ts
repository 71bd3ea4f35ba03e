import { defineProblems } from '../common/problem';

/** Problem codes of reconciliation. */
export const RECONCILIATION_ERRORS = defineProblems('reconciliation', {
  shutting_down: { status: 503, meaning: 'This instance is shutting down; run the sweep on another instance.' },
});
