import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('gateway folders', () => {
  // Gateways interpret their calls (providers/inbound.ts) and orders/ applies them: an import the other way would be a folder cycle.
  it('import nothing from orders/ or merchants/', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(__dirname)) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(SRC, resolve(dirname(file), specifier));
        if (/^(orders|merchants)\//.test(target)) offenders.push(`${relative(SRC, file)} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
