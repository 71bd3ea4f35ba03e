import { createRequire } from 'node:module';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/config';

/**
 * Pages other sites may frame: the checkout page (the embeddable modal opens it in an iframe)
 * and the SMM top-up widget (panels embed it). Everything else may only be framed by us.
 */
const EMBEDDABLE = /^\/(pay|topup)(\/|\?|$)/;

/**
 * One Content-Security-Policy for everything we serve: our own pages, the sandbox's gateway
 * pages and Swagger UI at /docs all use same-origin scripts plus inline styles and scripts,
 * QR images as data:/blob: URLs, and no third-party origin. `form-action` is deliberately
 * absent: gateway pages post and redirect to other origins (the merchant's success_url).
 */
export function contentSecurityPolicy(frameAncestors: string): string {
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    "script-src 'self' 'unsafe-inline'",
    "script-src-attr 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}

const CSP_FRAMEABLE = contentSecurityPolicy('*');
const CSP_DEFAULT = contentSecurityPolicy("'self'");

/** helmet itself, resolved from @fastify/helmet (whose dependency it is), so our headers are exactly what the plugin would send. */
type HelmetMiddleware = (
  req: unknown,
  res: { setHeader(name: string, value: string): void; removeHeader(name: string): void },
  next: (err?: unknown) => void,
) => void;
const helmet = createRequire(require.resolve('@fastify/helmet'))('helmet') as (options: Record<string, unknown>) => HelmetMiddleware;

/** The headers helmet sets with these options. They are static (no CSP nonces), so they are computed once, not per request. */
export function helmetHeaders(options: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  let failure: unknown;
  helmet(options)(
    {},
    {
      setHeader: (name, value) => void (headers[name.toLowerCase()] = String(value)),
      removeHeader: (name) => void delete headers[name.toLowerCase()],
    },
    (err) => void (failure = err),
  );
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return headers;
}

/** The two header sets every response gets (framable pages and everything else), computed once from helmet and our CSP. */
export function securityHeaderSets(config: Pick<AppConfig, 'publicBaseUrl'>): { frameable: Record<string, string>; sameOrigin: Record<string, string> } {
  const base = helmetHeaders({
    contentSecurityPolicy: false,
    frameguard: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    // The checkout opens bank apps and returns to merchants' sites; an isolated opener would break those hand-offs.
    crossOriginOpenerPolicy: false,
    // HSTS only where it means something (an https public URL); on plain http it would be ignored or, on localhost, sticky.
    strictTransportSecurity: config.publicBaseUrl.startsWith('https://') ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
  return {
    frameable: { ...base, 'content-security-policy': CSP_FRAMEABLE },
    sameOrigin: { ...base, 'content-security-policy': CSP_DEFAULT, 'x-frame-options': 'SAMEORIGIN' },
  };
}

/** True for a path other sites may frame (see EMBEDDABLE). */
export const isEmbeddablePath = (url: string): boolean => EMBEDDABLE.test(url);

/**
 * Security headers (helmet's, with our options) and CORS. CSP and framing are set per path here
 * rather than by helmet, because the embeddable pages must be frameable from merchants' sites.
 * Cross-Origin-Resource-Policy is cross-origin: QR images and the modal script are meant to
 * be loaded by merchants' pages. @fastify/helmet is not registered as a plugin: it rebuilds
 * helmet's middleware from the options on every request (two hooks, one of them async); the
 * same headers, computed once, are set here by one synchronous hook.
 */
export async function registerSecurity(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const { frameable, sameOrigin } = securityHeaderSets(config);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.headers(isEmbeddablePath(request.url) ? frameable : sameOrigin);
      done();
    });
  if (config.corsOrigins.length) {
    app.enableCors({
      // CORS_ORIGINS=* allows any origin (API keys are bearer tokens, never cookies, so no credentials are involved).
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
      maxAge: 600,
    });
  }
}
