import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * What each reliability spec counted. Every spec file runs in its own jest module registry,
 * so each writes its tally to test-artifacts/reliability/<case>.json tagged with the run id;
 * the e2e global teardown merges the tallies of this run into reliability-summary.json and prints it.
 */
export interface Tally {
  cases: number;
  requests: number;
  faults_injected: number;
  /** Acknowledged orders or events that went missing. Must be 0. */
  lost: number;
  /** Orders marked twice (two transitions or two order.paid) or events delivered under two ids. Must be 0. */
  duplicated: number;
  /** 5xx answers to bad input. Must be 0. */
  bad_input_5xx: number;
  /** Another merchant's data reachable or leaked. Must be 0. */
  cross_tenant_leaks: number;
  notes: string[];
}

export const ARTIFACTS_DIR = resolve(__dirname, '../../../test-artifacts');
const PARTS_DIR = join(ARTIFACTS_DIR, 'reliability');

/** Identifies one jest run: the global setup's PostgreSQL URL carries a fresh port. */
const runId = () => process.env.TEST_PG_ADMIN_URL ?? 'unknown';

export function newTally(): Tally {
  return { cases: 0, requests: 0, faults_injected: 0, lost: 0, duplicated: 0, bad_input_5xx: 0, cross_tenant_leaks: 0, notes: [] };
}

export function writeTally(name: string, tally: Tally): void {
  mkdirSync(PARTS_DIR, { recursive: true });
  writeFileSync(join(PARTS_DIR, `${name}.json`), JSON.stringify({ run: runId(), name, ...tally }, null, 2));
}

/** Merges this run's tallies; null when no reliability spec ran. */
export function mergeTallies(): (Tally & { by_case: Record<string, Omit<Tally, 'notes'>> }) | null {
  if (!existsSync(PARTS_DIR)) return null;
  const total = { ...newTally(), by_case: {} as Record<string, Omit<Tally, 'notes'>> };
  let found = false;
  for (const file of readdirSync(PARTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const part = JSON.parse(readFileSync(join(PARTS_DIR, file), 'utf8')) as Tally & { run: string; name: string };
    if (part.run !== runId()) continue;
    found = true;
    const { run: _run, name, notes, ...counts } = part;
    total.by_case[name] = counts;
    for (const key of ['cases', 'requests', 'faults_injected', 'lost', 'duplicated', 'bad_input_5xx', 'cross_tenant_leaks'] as const) total[key] += counts[key];
    total.notes.push(...notes.map((n) => `${name}: ${n}`));
  }
  return found ? total : null;
}

/** Called from the e2e global teardown. */
export function printReliabilitySummary(): void {
  const total = mergeTallies();
  if (!total) return;
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, 'reliability-summary.json');
  writeFileSync(path, JSON.stringify(total, null, 2));
  const rows = Object.entries(total.by_case).map(
    ([name, c]) =>
      `  ${name.padEnd(16)} cases ${String(c.cases).padStart(5)}  requests ${String(c.requests).padStart(6)}  faults ${String(c.faults_injected).padStart(5)}  lost ${c.lost}  duplicated ${c.duplicated}  5xx-bad-input ${c.bad_input_5xx}  leaks ${c.cross_tenant_leaks}`,
  );
  console.log(
    [
      '',
      'Reliability summary (' + path + ')',
      ...rows,
      `  ${'TOTAL'.padEnd(16)} cases ${String(total.cases).padStart(5)}  requests ${String(total.requests).padStart(6)}  faults ${String(total.faults_injected).padStart(5)}  lost ${total.lost}  duplicated ${total.duplicated}  5xx-bad-input ${total.bad_input_5xx}  leaks ${total.cross_tenant_leaks}`,
      ...total.notes.map((n) => `  note: ${n}`),
      '',
    ].join('\n'),
  );
}
