import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP_NODE_FLAGS, runBench } from '../bench/run';

/**
 * The benchmark harness at tiny sizes, so `npm run bench` cannot rot: every scenario runs
 * against a production-mode app process (started from the TypeScript sources) with all its
 * correctness checks (orders created, transactions checked, events delivered exactly once with
 * valid signatures). Speed is not judged here; a correctness failure throws.
 */
describe('bench harness (smoke)', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'khqr-bench-smoke-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('runs every scenario with its baseline and writes the report', async () => {
    const report = await runBench({
      scale: 1,
      smoke: true,
      outDir,
      adminUrl: process.env.TEST_PG_ADMIN_URL,
      reconcileConcurrency: 8,
      appNodeFlags: DEFAULT_APP_NODE_FLAGS,
      appEnv: {},
      log: () => undefined,
    });
    expect(report.rows.map((r) => r.id)).toEqual([
      'health_live',
      'orders_c16',
      'reconcile_raksmeypay',
      'reconcile_bakong',
      'webhook_throughput',
      'webhook_latency',
      'memory',
    ]);
    for (const row of report.rows) {
      expect(Number.isFinite(row.app) && row.app > 0).toBe(true);
      if (row.baseline !== null) expect(Number.isFinite(row.ratio) && row.ratio! > 0).toBe(true);
    }
    const md = readFileSync(join(outDir, 'latest.md'), 'utf8');
    expect(md).toContain('| Order creation, 16 connections |');
    expect(JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')).rows).toHaveLength(7);
    expect(readFileSync(join(outDir, 'latest.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    expect(existsSync(join(outDir, 'latest.svg'))).toBe(true);
  }, 120_000);
});
