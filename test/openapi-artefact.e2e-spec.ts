import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENAPI_ARTEFACT_SERVER } from '../src/common/swagger';
import { CLIENT_SCHEMA, generateClientSchema, OPENAPI_JSON, openApiJsonText, readCommitted } from '../scripts/openapi-files';
import { startTestApp, TestApp } from './helpers/test-app';

/**
 * openapi.json and clients/typescript/schema.d.ts are committed artefacts: this spec fails when
 * either differs from what the app serves. `UPDATE_OPENAPI=1 npx jest test/openapi-artefact.e2e-spec.ts`
 * rewrites both (as `npm run openapi` does without a database).
 */
const UPDATE = process.env.UPDATE_OPENAPI === '1';
type Operation = { operationId?: string };

describe('OpenAPI artefact and TypeScript client', () => {
  let t: TestApp;
  let served: { servers: { url: string }[]; paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    t = await startTestApp();
    served = (await t.request('GET', '/docs-json')).json;
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives every operation a unique camelCase operationId (its controller method name)', () => {
    const ids: string[] = [];
    for (const [path, ops] of Object.entries(served.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(`${method} ${path} ${op.operationId}`).toMatch(/ [a-z][a-zA-Z0-9]*$/);
        ids.push(op.operationId!);
      }
    }
    expect(ids.length).toBeGreaterThan(40);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const id of ['createOrder', 'listOrders', 'getOrder', 'verifyOrder', 'cancelOrder', 'putProviderAccount', 'createMerchant']) expect(ids).toContain(id);
  });

  it('names a problem+json default response on every operation', () => {
    for (const ops of Object.values(served.paths)) {
      for (const op of Object.values(ops) as { responses: Record<string, { content?: Record<string, unknown> }> }[]) {
        expect(Object.keys(op.responses.default?.content ?? {})).toEqual(['application/problem+json']);
      }
    }
  });

  it('openapi.json at the repository root is the document the app serves (server URL aside)', () => {
    expect(served.servers).toEqual([{ url: t.url }]);
    const expected = openApiJsonText({ ...served, servers: [{ url: OPENAPI_ARTEFACT_SERVER }] });
    if (UPDATE) writeFileSync(OPENAPI_JSON, expected);
    expect(JSON.parse(readCommitted(OPENAPI_JSON))).toEqual(JSON.parse(expected));
    expect(readCommitted(OPENAPI_JSON)).toBe(expected);
  });

  it('clients/typescript/schema.d.ts is what openapi-typescript generates from openapi.json', () => {
    const generated = generateClientSchema();
    if (UPDATE) writeFileSync(CLIENT_SCHEMA, generated);
    expect(readCommitted(CLIENT_SCHEMA)).toBe(generated);
    expect(generated).toContain('createOrder: {');
  });

  it('the client and its example compile (tsc, strict)', () => {
    const tsc = join(__dirname, '../node_modules/typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(__dirname, '../clients/typescript/tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  });
});
