import { bearerToken } from '../common/http/bearer';
import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual, sha256Hex } from '../common/crypto';
import { COMMON_ERRORS, problem } from '../common/problem';
import { AppConfig } from '../config/config';
import { AdminAuthThrottle } from '../security/admin-auth-throttle';
import { ApiKeysService, AuthedMerchant } from './api-keys.service';

export type { AuthedMerchant };

type AuthedRequest = FastifyRequest & { merchant?: AuthedMerchant; actor?: string };

const unauthorized = (detail: string) => problem(COMMON_ERRORS.unauthorized, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="khqr-orchestrator"' } });

/** Merchant endpoints: `Authorization: Bearer sk_…`. Sets request.merchant; every query is then scoped by it. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearerToken(request);
    if (!token) throw unauthorized('send your API key as Authorization: Bearer sk_…');
    const merchant = await this.keys.authenticate(token);
    if (!merchant) throw unauthorized('the API key is invalid, revoked or expired');
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

/** Admin endpoints: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly actor: string;

  constructor(
    private readonly config: AppConfig,
    private readonly throttle: AdminAuthThrottle,
  ) {
    this.actor = adminTokenActor(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
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
    if (!token || !constantTimeEqual(token, this.config.adminToken)) {
      if (token) this.throttle.recordFailure(request.ip);
      throw unauthorized('admin endpoints need Authorization: Bearer <ADMIN_TOKEN>');
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
