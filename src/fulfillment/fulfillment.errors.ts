import { defineProblems } from '../common/problem';

/** Problem codes of SMM panel fulfillment. */
export const FULFILLMENT_ERRORS = defineProblems('fulfillment', {
  invalid_transition: { status: 409, meaning: 'Only a failed SMM credit can be retried or written off.' },
});
