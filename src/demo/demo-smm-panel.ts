import type { PutSmmPanelDto } from '../fulfillment/smm-panel.dto';

/**
 * The demo merchant's SMM panel: the sandbox PerfectPanel, so the top-up widget
 * (/topup/{demo merchant id}?amount=10&u=demo_user) credits a simulated user.
 */
export const DEMO_SMM_PANEL = (sandboxBase: string): PutSmmPanelDto => ({
  type: 'perfectpanel',
  api_url: `${sandboxBase}/perfectpanel`,
  api_key: 'demo-perfectpanel-admin-api-key',
  enabled: true,
});
