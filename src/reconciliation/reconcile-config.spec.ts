import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/config';

describe('reconciliation settings in the environment', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'rcfg-'));

  it('defaults: every 30 s, 8 calls in flight and 20 calls a second per provider', () => {
    const c = loadConfig({ DATA_DIR: dir() });
    expect([c.reconcileIntervalSeconds, c.reconcileConcurrency, c.reconcileRatePerS]).toEqual([30, 8, 20]);
  });

  it('reads and validates RECONCILE_CONCURRENCY and RECONCILE_RATE_PER_S', () => {
    const c = loadConfig({ DATA_DIR: dir(), RECONCILE_CONCURRENCY: '3', RECONCILE_RATE_PER_S: '5', RECONCILE_INTERVAL_SECONDS: '10' });
    expect([c.reconcileIntervalSeconds, c.reconcileConcurrency, c.reconcileRatePerS]).toEqual([10, 3, 5]);
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dir(), RECONCILE_CONCURRENCY: '0', RECONCILE_RATE_PER_S: 'fast', RECONCILE_INTERVAL_SECONDS: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['RECONCILE_CONCURRENCY', 'RECONCILE_RATE_PER_S', 'RECONCILE_INTERVAL_SECONDS']) expect(problems).toContain(name);
  });
});
