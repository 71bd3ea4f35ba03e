import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp, TestApp } from './helpers/test-app';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is served at /docs-json and validates as OpenAPI 3', async () => {
    const res = await t.request('GET', '/docs-json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(res.json))).resolves.toBeTruthy();
  });

  it('documents every route the app serves (sandbox pages excepted) with a summary', async () => {
    const doc = (await t.request('GET', '/docs-json')).json as { paths: Record<string, Record<string, { summary?: string; tags?: string[] }>> };
    for (const path of [
      '/v1/orders',
      '/v1/orders/{id}',
      '/v1/orders/{id}/verify',
      '/v1/orders/{id}/cancel',
      '/v1/events',
      '/v1/provider-accounts/{provider}',
      '/admin/merchants',
      '/callbacks/raksmeypay/{transactionNumber}/return',
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(`${method} ${path}: ${op.summary ?? ''}`).toMatch(/: \S/);
        if (path.startsWith('/callbacks/')) expect(op.tags).toContain('Callbacks');
      }
    }
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.request('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger');
  });
});
