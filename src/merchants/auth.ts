import { bearerToken } from '../common/http/bearer';
import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual, sha256Hex } from '../common/crypto';
import { COMMON_ERRORS, problem } from '../common/problem';
import { AppConfig } from '../config/config';
import { AdminAuthThrottle } from '../security/admin-auth-throttle';
import { CSRF_HEADER, sessionTokenOf } from '../users/session-cookie';
import { SessionsService, SessionUser, userActor } from '../users/sessions.service';
import { USERS_ERRORS } from '../users/users.errors';
import type { Scope } from '../common/scope';
import { ApiKeysService, AuthedMerchant } from './api-keys.service';

export type { AuthedMerchant };

type AuthedRequest = FastifyRequest & { merchant?: AuthedMerchant; actor?: string; user?: SessionUser };

const unauthorized = (detail: string) => problem(COMMON_ERRORS.unauthorized, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="khqr-orchestrator"' } });
const forbidden = (detail: string) => problem(USERS_ERRORS.forbidden, detail);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Header with which a signed-in member's requests switch to test mode (the dashboard's test/live switch). */
export const MODE_HEADER = 'x-khqr-mode';
const WRITERS_KEY = 'khqr:merchant-writers';
const TEAM_KEY = 'khqr:team-management';

/**
 * Who besides owners may use an endpoint's unsafe methods (POST, PUT, PATCH, DELETE), on a
 * handler or a controller: `@MerchantRoles('developer')` for the developer realm (API keys,
 * webhooks, gateways, notifications). Without it only owners (and API keys) write. Reads are
 * open to every member of the merchant whatever this says.
 */
export const MerchantRoles = (...roles: 'developer'[]) => SetMetadata(WRITERS_KEY, roles);

/** Team management: signed-in owners write, members read; API keys are refused (they act for the merchant, not for a person). */
export const TeamManagement = () => SetMetadata(TEAM_KEY, true);

/**
 * The session behind a request without Authorization: the signed-in user, with the CSRF check
 * every unsafe method needs (a cookie comes with cross-site requests; the header cannot).
 * Null when the request carries no session cookie at all.
 */
async function sessionUser(sessions: SessionsService, request: AuthedRequest): Promise<SessionUser | null> {
  const token = sessionTokenOf(request);
  if (!token) return null;
  const user = await sessions.authenticate(token);
  if (!user) throw unauthorized('the session expired or was revoked; sign in again with POST /auth/login');
  if (!SAFE_METHODS.has(request.method) && !sessions.csrfMatches(token, request.headers[CSRF_HEADER])) {
    throw problem(
      USERS_ERRORS.csrf_failed,
      'requests made with the session cookie that change state need header X-CSRF-Token (the csrf_token of GET /auth/me)',
    );
  }
  request.user = user;
  request.actor = userActor(user);
  return user;
}

/**
 * Merchant endpoints: `Authorization: Bearer sk_…` (the merchant itself: every endpoint but team
 * management), or the dashboard's session cookie of a member, whose role decides: reads for every
 * member; unsafe methods for owners, plus developers where `@MerchantRoles('developer')` says so;
 * team writes for owners. A key opens its own mode (`sk_test_…`: test data only); a session opens live data unless the dashboard's test switch sends `X-Khqr-Mode: test`. Sets request.merchant; every query is then scoped by it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly sessions: SessionsService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const targets = [context.getHandler(), context.getClass()];
    const team = this.reflector.getAllAndOverride<boolean>(TEAM_KEY, targets) ?? false;
    const token = bearerToken(request);
    if (!token) {
      const user = await sessionUser(this.sessions, request);
      if (!user) throw unauthorized('send your API key as Authorization: Bearer sk_…, or sign in (POST /auth/login)');
      if (!user.merchantId) throw forbidden('operators use the /admin endpoints; /v1 is for a merchant’s own users and keys');
      if (!SAFE_METHODS.has(request.method) && user.role !== 'owner') {
        const writers = this.reflector.getAllAndOverride<string[]>(WRITERS_KEY, targets) ?? [];
        if (team || !writers.includes(user.role)) throw forbidden(`the ${user.role} role may not do this; ask an owner of the merchant`);
      }
      // The dashboard's test/live switch: a session sees live data unless it asks for test mode.
      const livemode = request.headers[MODE_HEADER] !== 'test';
      request.merchant = { id: user.merchantId, name: user.merchantName ?? '', keyId: null, livemode, scope: { merchantId: user.merchantId, livemode } };
      return true;
    }
    const merchant = await this.keys.authenticate(token);
    if (!merchant) throw unauthorized('the API key is invalid, revoked or expired');
    if (team) throw forbidden('team management needs a signed-in owner; API keys act for the merchant, not for a person');
    request.merchant = merchant;
    request.actor = `merchant:${merchant.id}`;
    return true;
  }
}

/**
 * The audit-log actor for a credential: which one acted, without the secret. 12 hex digits of
 * its sha256 (`printf %s "$ADMIN_TOKEN" | sha256sum | cut -c1-12`), so rotating the token shows as a new actor.
 */
export const adminTokenActor = (token: string): string => `admin_token:${sha256Hex(token).slice(0, 12)}`;

/**
 * Admin endpoints: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time, or the
 * session cookie of an operator (a merchant's user is refused, 403).
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly actor: string;

  constructor(
    private readonly config: AppConfig,
    private readonly throttle: AdminAuthThrottle,
    private readonly sessions: SessionsService,
  ) {
    this.actor = adminTokenActor(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    // Checked before the token: a blocked address learns nothing about its guesses.
    const wait = this.throttle.blockedFor(request.ip);
    if (wait) {
      throw problem(
        COMMON_ERRORS.rate_limited,
        `too many wrong admin tokens from this address (limit ${this.throttle.limit} per minute); retry after ${wait} s`,
        {
          headers: { 'Retry-After': String(wait) },
          limit: this.throttle.limit,
        },
      );
    }
    const token = bearerToken(request);
    if (!token) {
      const user = await sessionUser(this.sessions, request);
      if (user && user.role !== 'operator') throw forbidden('the admin endpoints are for platform operators');
      if (user) return true;
    }
    if (!token || !constantTimeEqual(token, this.config.adminToken)) {
      if (token) this.throttle.recordFailure(request.ip);
      throw unauthorized('admin endpoints need Authorization: Bearer <ADMIN_TOKEN>, or an operator signed in (POST /auth/login)');
    }
    request.actor = this.actor;
    return true;
  }
}

/** The authenticated merchant of this request. */
export const CurrentMerchant = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthedMerchant => {
  const merchant = ctx.switchToHttp().getRequest<AuthedRequest>().merchant;
  if (!merchant) throw unauthorized('not authenticated');
  return merchant;
});

/** The audit-log actor of this request: `user:<id> <email>`, `merchant:<id>` (an API key) or `admin_token:<fingerprint>`. */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const actor = ctx.switchToHttp().getRequest<AuthedRequest>().actor;
  if (!actor) throw unauthorized('not authenticated');
  return actor;
});

/** The authenticated merchant and the mode of its key: what services and repositories take (docs/test-mode.md). */
export const CurrentScope = createParamDecorator((_: unknown, ctx: ExecutionContext): Scope => {
  const merchant = ctx.switchToHttp().getRequest<AuthedRequest>().merchant;
  if (!merchant) throw unauthorized('not authenticated');
  return merchant.scope;
});
