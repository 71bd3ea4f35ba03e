import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** The flags of package.json's start script, as bench/lib/proc.ts's shippedNodeFlags reads them for the bench. */
function shippedNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const match = /\bnode ((?:--[\w-]+=\S+ )*)dist\/src\/main\.js/.exec(start);
  expect(match).not.toBeNull();
  return match![1].split(' ').filter(Boolean);
}

describe('memory as shipped: the heap limits of npm start and of the Docker image', () => {
  it('npm start caps the old space and keeps 8 MB semi-spaces', () => {
    const flags = shippedNodeFlags();
    expect(flags).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/), '--max-semi-space-size=8']));
  });

  it("the Docker image's CMD runs node 24 with the same flags as npm start (what the bench measures)", () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd).not.toBeNull();
    expect(JSON.parse(cmd![1])).toEqual(['node', ...shippedNodeFlags(), 'dist/src/main.js']);
    for (const from of dockerfile.match(/^FROM .*$/gm) ?? []) expect(from).toMatch(/^FROM node:24-bookworm-slim\b/);
    // The runtime stage (after the last FROM) keeps glibc to two malloc arenas, as measured in docs/benchmarks.md.
    expect(dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))).toMatch(/^ENV MALLOC_ARENA_MAX=2$/m);
  });
});
