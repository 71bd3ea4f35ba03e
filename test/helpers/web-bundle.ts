import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
export const WEB_BUNDLE_DIR = join(ROOT, 'dist/web');
const STAMP = join(ROOT, 'dist/web-bundle.sha256');
const LOCK = join(ROOT, 'dist/web-bundle.lock');
const SOURCES = ['web', 'clients/typescript'];

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

function sourcesHash(): string {
  const hash = createHash('sha256');
  for (const path of SOURCES.flatMap((s) => files(join(ROOT, s)))) hash.update(path.slice(ROOT.length)).update('\0').update(readFileSync(path));
  return hash.digest('hex');
}

/**
 * The dashboard's bundle in dist/web, built with `vite build` only when web/ or the client changed
 * since the last build (a hash of the sources beside it), so a test run pays for at most one build.
 * A lock directory keeps parallel jest workers from building at the same time.
 */
export async function ensureWebBundle(): Promise<string> {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    const hash = sourcesHash();
    const built = existsSync(join(WEB_BUNDLE_DIR, 'index.html')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash;
    if (!built) {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      writeFileSync(STAMP, hash);
    }
    return WEB_BUNDLE_DIR;
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
