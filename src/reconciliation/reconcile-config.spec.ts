import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/config';

describe('reconciliation settings in the environment', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'rcfg-'));

  it('defaults: every 30 s, 8 calls in flight and 20 calls a second per provider, 30 s per provider per run', () => {
    const c = loadConfig({ DATA_DIR: dir() });
    expect([c.reconcileIntervalSeconds, c.reconcileConcurrency, c.reconcileRatePerS, c.reconcileBudgetSeconds]).toEqual([30, 8, 20, 30]);
    // The budget follows a longer interval, and never drops below 30 s with a shorter one.
    expect(loadConfig({ DATA_DIR: dir(), RECONCILE_INTERVAL_SECONDS: '600' }).reconcileBudgetSeconds).toBe(600);
    expect(loadConfig({ DATA_DIR: dir(), RECONCILE_INTERVAL_SECONDS: '1' }).reconcileBudgetSeconds).toBe(30);
    expect(loadConfig({ DATA_DIR: dir(), RECONCILE_BUDGET_SECONDS: '5' }).reconcileBudgetSeconds).toBe(5);
  });

  it('reads and validates RECONCILE_CONCURRENCY and RECONCILE_RATE_PER_S', () => {
    const c = loadConfig({ DATA_DIR: dir(), RECONCILE_CONCURRENCY: '3', RECONCILE_RATE_PER_S: '5', RECONCILE_INTERVAL_SECONDS: '10' });
    expect([c.reconcileIntervalSeconds, c.reconcileConcurrency, c.reconcileRatePerS]).toEqual([10, 3, 5]);
    let error: unknown;
    try {
      loadConfig({
        DATA_DIR: dir(),
        RECONCILE_CONCURRENCY: '0',
        RECONCILE_RATE_PER_S: 'fast',
        RECONCILE_INTERVAL_SECONDS: '-1',
        RECONCILE_BUDGET_SECONDS: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['RECONCILE_CONCURRENCY', 'RECONCILE_RATE_PER_S', 'RECONCILE_INTERVAL_SECONDS', 'RECONCILE_BUDGET_SECONDS'])
      expect(problems).toContain(name);
  });
});
