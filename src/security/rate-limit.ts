import { DynamicModule, ExecutionContext, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerModule, ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { sha256Hex } from '../common/crypto';
import { COMMON_ERRORS, problem } from '../common/problem';
import { AppConfig } from '../config/config';
import { bearerToken } from '../common/http/bearer';
import { AdminAuthThrottle } from './admin-auth-throttle';

/** Where a request goes, as far as limits care. */
export type LimitScope = 'merchant' | 'public' | 'none';

/** Paths anyone on the internet can hit without credentials: gateway callbacks and customer-facing pages. */
const PUBLIC_PREFIXES = ['/callbacks/', '/pay/', '/topup/', '/qr/', '/l/'];

export function limitScope(path: string): LimitScope {
  if (path.startsWith('/v1/') || path === '/v1') return 'merchant';
  if (PUBLIC_PREFIXES.some((p) => path.startsWith(p) || path === p.slice(0, -1))) return 'public';
  return 'none';
}

const SCOPE = Symbol('limitScope');
const PASS = Promise.resolve(true);

/** The request's scope, worked out once per request (the guard and both throttlers ask for it). */
function scopeOf(context: ExecutionContext): LimitScope {
  const req = context.switchToHttp().getRequest<FastifyRequest & { [SCOPE]?: LimitScope }>();
  return (req[SCOPE] ??= limitScope((req.routeOptions.url ?? req.url ?? '').split('?')[0]));
}

/**
 * The bucket of a merchant request: its API key (hashed: the key itself never sits in memory
 * longer than the request), or the client address when there is no key to count against.
 */
function keyTracker(req: FastifyRequest): string {
  const token = bearerToken(req);
  return token ? `key:${sha256Hex(token).slice(0, 32)}` : `ip:${req.ip}`;
}

/** The two limits from DESIGN.md: per API key on /v1, per client IP on callbacks and public pages; one-second windows. */
export function throttlers(config: AppConfig): ThrottlerOptions[] {
  return [
    {
      name: 'api_key',
      ttl: 1000,
      limit: config.rateLimitPerKeyPerS,
      skipIf: (ctx) => scopeOf(ctx) !== 'merchant',
      getTracker: (req) => keyTracker(req as FastifyRequest),
    },
    {
      name: 'ip',
      ttl: 1000,
      limit: config.rateLimitPerIpPerS,
      skipIf: (ctx) => scopeOf(ctx) !== 'public',
      getTracker: (req) => `ip:${(req as FastifyRequest).ip}`,
    },
  ];
}

/**
 * ThrottlerGuard with our answers: a 429 problem+json with a plain `Retry-After`, and the
 * standard `X-RateLimit-*` header names (without the throttler-name suffix). Buckets are
 * per route family, not per handler, so a key's budget covers all of /v1.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Routes no limit applies to (health, metrics, admin, docs, the sandbox) pass at once, without the per-throttler metadata lookups. */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    return scopeOf(context) === 'none' ? PASS : super.canActivate(context);
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override setResponseHeader(res: Record<string, unknown>, name: string, value: string | number): void {
    // The 429 problem carries Retry-After itself; the suffixed duplicate would only confuse clients.
    if (name.startsWith('Retry-After')) return;
    super.setResponseHeader(res, name.replace(/-(api_key|ip)$/, ''), value);
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire || 1));
    const per = detail.tracker.startsWith('key:') ? 'API key' : 'client address';
    throw problem(COMMON_ERRORS.rate_limited, `too many requests: the limit is ${detail.limit} per second per ${per}; retry after ${retryAfter} s`, {
      headers: { 'Retry-After': String(retryAfter) },
      limit: detail.limit,
    });
  }
}

/** Rate limits as a module: the throttler configuration and the guard on every route; the admin-token throttle for every AdminGuard (global: one per process). */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitModule,
      global: true,
      imports: [ThrottlerModule.forRoot({ throttlers: throttlers(config) })],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }, AdminAuthThrottle],
      exports: [AdminAuthThrottle],
    };
  }
}
