import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ADMIN_ERRORS } from './admin/admin.errors';
import { COMMON_ERRORS } from './common/common.errors';
import { DASHBOARD_ERRORS } from './dashboard/dashboard.errors';
import type { ProblemCode } from './common/problem-exception';
import { EVENTS_ERRORS } from './events/events.errors';
import { FULFILLMENT_ERRORS } from './fulfillment/fulfillment.errors';
import { HEALTH_ERRORS } from './health/health.errors';
import { MERCHANTS_ERRORS } from './merchants/merchants.errors';
import { ORDERS_ERRORS } from './orders/orders.errors';
import { PAYMENT_LINKS_ERRORS } from './payment-links/payment-links.errors';
import { GATEWAY_ERRORS } from './providers/gateway.errors';
import { RECONCILIATION_ERRORS } from './reconciliation/reconciliation.errors';
import { REFUNDS_ERRORS } from './refunds/refunds.errors';
import { USERS_ERRORS } from './users/users.errors';

/**
 * The problem-code catalogues against docs/errors.md and the code: the doc lists exactly the
 * catalogued codes, a code means one status wherever it is defined, and no code is a free string.
 * `UPDATE_ERRORS_DOC=1 npx jest src/errors.spec.ts` rewrites the doc's table from the catalogues.
 */
const CATALOGUES: Record<string, ProblemCode>[] = [
  COMMON_ERRORS,
  ORDERS_ERRORS,
  MERCHANTS_ERRORS,
  GATEWAY_ERRORS,
  EVENTS_ERRORS,
  ADMIN_ERRORS,
  RECONCILIATION_ERRORS,
  FULFILLMENT_ERRORS,
  HEALTH_ERRORS,
  DASHBOARD_ERRORS,
  REFUNDS_ERRORS,
  PAYMENT_LINKS_ERRORS,
  USERS_ERRORS,
];
const entries = CATALOGUES.flatMap((catalogue) => Object.values(catalogue));

const SRC = __dirname;
const DOC = join(SRC, '..', 'docs', 'errors.md');
const TABLE_START = '<!-- errors table: generated from the catalogues by src/errors.spec.ts -->';
const TABLE_END = '<!-- end of errors table -->';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

const statusText = (entry: ProblemCode) =>
  typeof entry.status === 'number' ? String(entry.status) : entry.status === 'varies' ? 'varies' : entry.status.join(', ');
const row = (entry: ProblemCode) => `| \`${entry.code}\` | ${statusText(entry)} | ${entry.title} | ${entry.module} | ${entry.meaning} |`;
const table = () => ['| code | HTTP status | title | module | meaning |', '|---|---|---|---|---|', ...entries.map(row)].join('\n');

describe('problem-code catalogues', () => {
  it('include every *.errors.ts catalogue of src/', () => {
    const files = sourceFiles(SRC)
      .filter((path) => path.endsWith('.errors.ts'))
      .map((path) => relative(SRC, path));
    expect(files).toHaveLength(CATALOGUES.length);
  });

  it('give a code one status and title wherever it is defined', () => {
    const first = new Map<string, ProblemCode>();
    const conflicts: string[] = [];
    for (const entry of entries) {
      const seen = first.get(entry.code);
      if (!seen) first.set(entry.code, entry);
      else if (statusText(seen) !== statusText(entry) || seen.title !== entry.title)
        conflicts.push(`${entry.code}: ${seen.module} ${statusText(seen)}, ${entry.module} ${statusText(entry)}`);
    }
    expect(conflicts).toEqual([]);
  });

  it('are listed exactly in docs/errors.md', () => {
    let doc = readFileSync(DOC, 'utf8');
    if (process.env.UPDATE_ERRORS_DOC) {
      const start = doc.indexOf(TABLE_START) + TABLE_START.length;
      doc = `${doc.slice(0, start)}\n${table()}\n${doc.slice(doc.indexOf(TABLE_END))}`;
      writeFileSync(DOC, doc);
    }
    const documented = doc.slice(doc.indexOf(TABLE_START) + TABLE_START.length, doc.indexOf(TABLE_END)).trim();
    expect(documented).toBe(table());
  });

  it('leave no problem code as a free string in src/', () => {
    const literal = /new ProblemException\(\s*[^,()]+,\s*['"`]|\brefuse\(\s*\d/;
    const offenders = sourceFiles(SRC)
      .filter((path) => literal.test(readFileSync(path, 'utf8')))
      .map((path) => relative(SRC, path));
    expect(offenders).toEqual([]);
  });
});
