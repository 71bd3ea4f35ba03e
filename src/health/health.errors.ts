import { defineProblems } from '../common/problem';

/** Problem codes of the health endpoints. */
export const HEALTH_ERRORS = defineProblems('health', {
  shutting_down: { status: 503, meaning: 'The instance is shutting down: readiness fails so the load balancer drains it.' },
  not_ready: { status: 503, meaning: 'A readiness check failed (the database, or a background loop’s heartbeat is stale).' },
});
