import { DataSource, DataSourceOptions } from 'typeorm';
import { Init1764000000000 } from './migrations/1764000000000-Init';
import { SandboxPushGateways1764000004000 } from './migrations/1764000004000-SandboxPushGateways';
import { Reconciliation1764000005000 } from './migrations/1764000005000-Reconciliation';
import { Webhooks1764000006000 } from './migrations/1764000006000-Webhooks';
import { CheckoutAndSmmTopup1764000007000 } from './migrations/1764000007000-CheckoutAndSmmTopup';
import { OpsIndexes1764000008000 } from './migrations/1764000008000-OpsIndexes';
import { RunHeartbeats1764000009000 } from './migrations/1764000009000-RunHeartbeats';
import { CheckoutCancelToken1764000010300 } from './migrations/1764000010300-CheckoutCancelToken';
import { TopupWidgetLimits1764000012000 } from './migrations/1764000012000-TopupWidgetLimits';
import { WebhookFairness1764000016000 } from './migrations/1764000016000-WebhookFairness';
import { Refunds1764000021000 } from './migrations/1764000021000-Refunds';
import { PaymentLinks1764000022000 } from './migrations/1764000022000-PaymentLinks';
import { NotificationsAndTokenLife1764000023000 } from './migrations/1764000023000-NotificationsAndTokenLife';
import { UsersAndSessions1764000024000 } from './migrations/1764000024000-UsersAndSessions';
import { TestMode1764000026000 } from './migrations/1764000026000-TestMode';
import { TestModeSecondStage1764000027000 } from './migrations/1764000027000-TestModeSecondStage';
import { ConfirmCheckThrottle1764000028000 } from './migrations/1764000028000-ConfirmCheckThrottle';
import { SweepClaimOrder1764000031000 } from './migrations/1764000031000-SweepClaimOrder';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the same list works from
 * ts sources under jest and from dist/ at runtime.
 */
export const MIGRATIONS = [
  Init1764000000000,
  SandboxPushGateways1764000004000,
  Reconciliation1764000005000,
  Webhooks1764000006000,
  CheckoutAndSmmTopup1764000007000,
  OpsIndexes1764000008000,
  RunHeartbeats1764000009000,
  CheckoutCancelToken1764000010300,
  TopupWidgetLimits1764000012000,
  WebhookFairness1764000016000,
  Refunds1764000021000,
  PaymentLinks1764000022000,
  NotificationsAndTokenLife1764000023000,
  UsersAndSessions1764000024000,
  TestMode1764000026000,
  TestModeSecondStage1764000027000,
  ConfirmCheckThrottle1764000028000,
  SweepClaimOrder1764000031000,
];

/** `entities` come from the caller (src/entities.ts), so database/ imports no feature folder; migrations need none. */
export function dataSourceOptions(url: string, entities: DataSourceOptions['entities'] = [], extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: { max: 20, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 },
    ...extra,
  } as DataSourceOptions;
}

export function createDataSource(url: string, entities: DataSourceOptions['entities'] = []): DataSource {
  return new DataSource(dataSourceOptions(url, entities));
}
