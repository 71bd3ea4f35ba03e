import { defineProblems } from '../common/problem';

/** Problem codes of the dashboard's web app route. */
export const DASHBOARD_ERRORS = defineProblems('dashboard', {
  dashboard_not_built: { status: 503, meaning: 'The dashboard’s web bundle (dist/web) is missing: `npm run build` builds it (`npm start` does).' },
});
