import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Test mode is enforced in the repositories (docs/test-mode.md): every query a repository scopes
 * by merchant on a table that carries `livemode` must filter on livemode too. This check reads each
 * repository's SQL (template and quoted strings) and TypeORM `where` objects: a statement that
 * names a mode-carrying table and filters `merchant_id =` (or a where with `merchantId`) without
 * mentioning livemode fails. A new table with a livemode column goes into MODE_TABLES.
 */
const MODE_TABLES = [
  'orders',
  'transactions',
  'events',
  'webhook_endpoints',
  'idempotency_keys',
  'provider_accounts',
  'refunds',
  'payment_links',
  'notification_channels',
  'notification_deliveries',
];

/** Merchant-scoped statements that deliberately span both modes, each with its reason. */
const BOTH_MODES: Record<string, string> = {
  // The merchant row is locked before the per-mode endpoint count: a lock on merchants, not a read of a mode table.
  'SELECT 1 FROM merchants WHERE id = $1 FOR UPDATE': 'lock only',
  // GET /admin/orders?merchant_id=: the operator sees one merchant's orders in both modes (each says which).
  'o.merchant_id = :merchantId': 'admin search',
};

const SRC = join(__dirname);

function repositories(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return repositories(path);
    return name.endsWith('.repository.ts') ? [path] : [];
  });
}

/** Backtick and single-quoted strings, and `{ … }` objects passed to findOneBy / where. */
function statements(text: string): string[] {
  const sql = [...text.matchAll(/`([^`]*)`/g), ...text.matchAll(/'([^'\n]*)'/g)].map((m) => m[1]);
  const wheres = [...text.matchAll(/(?:findOneBy|findOneByOrFail|where:)\s*\(?\s*(\{[^}]*\})/g)].map((m) => m[1]);
  return [...sql, ...wheres];
}

const namesModeTable = (s: string) => MODE_TABLES.some((t) => new RegExp(`\\b(FROM|JOIN|UPDATE|INTO)\\s+${t}\\b`, 'i').test(s));

/** A scope compares merchant_id with a value; a join of two merchant_id columns (`m.merchant_id = e.merchant_id`) is not one. */
const scopesByMerchant = (s: string) => /\bmerchant_id\s*=(?!\s*\w+\.merchant_id\b)/.test(s);

describe('test mode in the repositories', () => {
  const files = repositories(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

  it('finds the repositories it checks', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('filters on livemode wherever a query on a mode-carrying table is scoped by merchant', () => {
    const offenders: string[] = [];
    for (const f of files) {
      for (const s of statements(f.text)) {
        if (BOTH_MODES[s.trim()]) continue;
        const sqlScoped = scopesByMerchant(s) && namesModeTable(s);
        const whereScoped = /^\{/.test(s) && /\bmerchantId\b/.test(s) && !/\bINSERT\b/.test(s);
        const qbScoped = /^o\.merchant_id = :merchantId/.test(s);
        if ((sqlScoped || whereScoped || qbScoped) && !/livemode/.test(s)) offenders.push(`${f.path}: ${s.replace(/\s+/g, ' ').slice(0, 140)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('would catch a merchant-scoped query without livemode (the check can fail)', () => {
    const bad = 'SELECT * FROM orders WHERE merchant_id = $1 AND id = $2';
    expect(scopesByMerchant(bad) && namesModeTable(bad) && !/livemode/.test(bad)).toBe(true);
    expect(scopesByMerchant('SELECT 1 FROM orders WHERE merchant_id = (SELECT $1::text)')).toBe(true);
    expect(scopesByMerchant('FROM eps e JOIN merchants m ON m.merchant_id = e.merchant_id')).toBe(false);
    expect(statements('findOneBy({ id, merchantId })')).toContain('{ id, merchantId }');
  });
});
