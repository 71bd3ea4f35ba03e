import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/config';

/**
 * Pages other sites may frame: the checkout page (the embeddable modal opens it in an iframe)
 * and the SMM top-up widget (panels embed it). Everything else may only be framed by us.
 */
const EMBEDDABLE = /^\/(pay|topup)(\/|$)/;

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

/**
 * Security headers (@fastify/helmet) and CORS. CSP and framing are set per path here rather
 * than by helmet, because the embeddable pages must be frameable from merchants' sites.
 * Cross-Origin-Resource-Policy is cross-origin: QR images and the modal script are meant to
 * be loaded by merchants' pages.
 */
export async function registerSecurity(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: false,
    frameguard: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    // The checkout opens bank apps and returns to merchants' sites; an isolated opener would break those hand-offs.
    crossOriginOpenerPolicy: false,
    // HSTS only where it means something (an https public URL); on plain http it would be ignored or, on localhost, sticky.
    strictTransportSecurity: config.publicBaseUrl.startsWith('https://') ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0];
      if (EMBEDDABLE.test(path)) {
        void reply.header('content-security-policy', CSP_FRAMEABLE);
      } else {
        void reply.header('content-security-policy', CSP_DEFAULT);
        void reply.header('x-frame-options', 'SAMEORIGIN');
      }
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
