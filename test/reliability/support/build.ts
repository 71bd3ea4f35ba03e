import { transformFileSync } from '@swc/core';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
/** Inside the repository, so the compiled files resolve node_modules as the sources do. */
export const BUILD_DIR = join(ROOT, 'test-artifacts', 'reliability-build');

let built: string | null = null;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Compiles src/ once per spec file with swc (as jest and @swc-node/register do) and returns
 * the entry point. Starting node on compiled JavaScript takes about a second; compiling the
 * whole tree on every one of ten restarts would dominate the crash test.
 */
export function buildApp(): string {
  if (built) return built;
  const out = join(BUILD_DIR, String(process.pid));
  rmSync(out, { recursive: true, force: true });
  for (const file of sources(join(ROOT, 'src'))) {
    const { code } = transformFileSync(file, {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: false,
      swcrc: false,
      configFile: false,
    });
    const target = join(out, 'src', relative(join(ROOT, 'src'), file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  built = join(out, 'src', 'main.js');
  return built;
}

export function removeBuild(): void {
  if (built) rmSync(resolve(built, '../..'), { recursive: true, force: true });
  built = null;
}
