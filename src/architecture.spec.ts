import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The layout rules of DESIGN's "one inbound and one outbound port": raw SQL and the DataSource live
 * only in repositories, src/database/ and the bootstrap; controllers take services, never the
 * database; files stay short enough to read (transformers and migrations excepted: wire quirks and
 * schema history are long by nature).
 */
const SRC = join(__dirname);
const MAX_LINES = 330; // "about 300"

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));
const mayHoldTheDatabase = (path: string) => path.endsWith('.repository.ts') || path.startsWith('database/') || path === 'bootstrap.ts' || path === 'main.ts';

describe('architecture', () => {
  it('finds the source files it checks', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('runs SQL (.query, preparedQuery) and holds the DataSource only in repositories, src/database/ and the bootstrap', () => {
    const offenders = files
      .filter((f) => !mayHoldTheDatabase(f.path) && (/\.query\(|\bpreparedQuery\(/.test(f.text) || /\bDataSource\b/.test(f.text)))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('gives controllers services, never the database', () => {
    const offenders = files.filter((f) => f.path.endsWith('.controller.ts') && /\b(DataSource|EntityManager|getRepository)\b/.test(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it(`keeps files under ~${MAX_LINES} lines, except transformers and migrations`, () => {
    const long = files
      .filter((f) => !f.path.endsWith('.transformers.ts') && !f.path.startsWith('database/migrations/'))
      .filter((f) => f.text.split('\n').length > MAX_LINES)
      .map((f) => `${f.path}: ${f.text.split('\n').length}`);
    expect(long).toEqual([]);
  });
});
