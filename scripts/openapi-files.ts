import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
export const OPENAPI_JSON = join(ROOT, 'openapi.json');
export const CLIENT_SCHEMA = join(ROOT, 'clients/typescript/schema.d.ts');

/** The committed form of a document: plain JSON (no undefined fields), two-space indent, final newline. */
export function openApiJsonText(document: unknown): string {
  return JSON.stringify(document, null, 2) + '\n';
}

/** What openapi-typescript generates from a document file (it is an ES module, so it runs as its CLI). */
export function generateClientSchema(documentPath = OPENAPI_JSON): string {
  const cli = join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'openapi-ts-'));
  try {
    const out = join(dir, 'schema.d.ts');
    execFileSync(process.execPath, [cli, documentPath, '--default-non-nullable', 'false', '--output', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function writeClientSchema(): void {
  writeFileSync(CLIENT_SCHEMA, generateClientSchema());
}

export function readCommitted(path: string): string {
  return readFileSync(path, 'utf8');
}
