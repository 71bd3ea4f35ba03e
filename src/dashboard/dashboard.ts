import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { problem } from '../common/problem';
import { DASHBOARD_ERRORS } from './dashboard.errors';

/** Where `npm run build` puts the web app (vite.config.ts's outDir): dist/web at the repository root, from src/ (tests) or dist/src/ (npm start). */
export function defaultDashboardDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist/web');
}

/**
 * The dashboard's own policy, stricter than the pages' one: scripts only from our origin (the bundle
 * has no inline script), no framing at all. Styles allow inline: Mantine sets CSS variables in style
 * attributes and one <style> element.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/**
 * Serves the web app at /dashboard: hashed files under /dashboard/assets/ with a year's immutable
 * cache, and index.html (never cached) for /dashboard and every client route under it, so a
 * reload on /dashboard/orders/ord_… opens that page. Without a built bundle, a 503 problem says
 * how to build it. Registered on Fastify directly: these are files, not API operations.
 */
export async function registerDashboard(app: NestFastifyApplication, dir = defaultDashboardDir()): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) {
    const missing = problem(
      DASHBOARD_ERRORS.dashboard_not_built,
      'The dashboard is not built on this server: run `npm run build` (npm start does), then restart.',
    );
    const answer = (request: FastifyRequest, reply: FastifyReply) =>
      reply
        .status(missing.status)
        .header('content-type', 'application/problem+json; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(missing.toBody(request.url.split('?')[0]));
    fastify.get('/dashboard', answer);
    fastify.get('/dashboard/*', answer);
    return;
  }
  const index = readFileSync(indexPath);
  const page = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.headers(PAGE_HEADERS).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  await fastify.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/dashboard/assets/',
    decorateReply: false,
    index: false,
    maxAge: '365d',
    immutable: true,
    setHeaders: (reply) => void reply.headers(PAGE_HEADERS),
  });
  fastify.get('/dashboard', page);
  fastify.get('/dashboard/*', page);
}
