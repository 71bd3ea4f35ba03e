import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DASHBOARD_CSP } from '../src/dashboard/dashboard';
import { startTestApp, TestApp } from './helpers/test-app';
import { ensureWebBundle } from './helpers/web-bundle';

describe('/dashboard serves the web app', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = await ensureWebBundle();
    t = await startTestApp({ dashboardDir: dir });
  }, 300_000);
  afterAll(async () => {
    await t.close();
  });

  it('answers index.html with its own CSP (no inline script) and no caching', async () => {
    const res = await t.request('GET', '/dashboard');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self';");
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.text).toContain('<div id="root"></div>');
    // Every script is an external file under /dashboard/assets/ (the CSP allows no inline one).
    const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/dashboard\/assets\/[\w.-]+\.js"/);
      expect(body.trim()).toBe('');
    }
  });

  it('serves the hashed assets with their types and a year of immutable cache', async () => {
    const index = (await t.request('GET', '/dashboard/')).text;
    const assets = [...index.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await t.request('GET', asset);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /^(text|application)\/javascript/ : /^text\/css/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    }
    expect(readdirSync(join(dir, 'assets')).length).toBeGreaterThanOrEqual(assets.length);
  });

  it('answers index.html for client routes (SPA fallback), but 404 for a missing asset', async () => {
    for (const path of ['/dashboard/orders', '/dashboard/orders/ord_123', '/dashboard/webhooks?x=1']) {
      const res = await t.request('GET', path);
      expect(res.status).toBe(200);
      expect(res.text).toContain('<div id="root"></div>');
    }
    const missing = await t.request('GET', '/dashboard/assets/nope-123.js');
    expect(missing.status).toBe(404);
    expect(missing.text).not.toContain('<div id="root">');
    const traversal = await t.request('GET', '/dashboard/assets/..%2f..%2fpackage.json');
    expect(traversal.status).toBe(404);
    expect(traversal.text).not.toContain('devDependencies');
  });

  it('keeps the pages’ own policy elsewhere', async () => {
    const res = await t.request('GET', '/health/live');
    expect(res.headers.get('content-security-policy')).not.toBe(DASHBOARD_CSP);
  });
});

describe('/dashboard without a built bundle', () => {
  it('answers a 503 problem saying to run npm run build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-dashboard-'));
    const t = await startTestApp({ dashboardDir: empty });
    try {
      for (const path of ['/dashboard', '/dashboard/orders']) {
        const res = await t.request('GET', path);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
        expect(res.json).toMatchObject({ status: 503, code: 'dashboard_not_built' });
        expect(res.json.detail).toContain('npm run build');
      }
    } finally {
      await t.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
