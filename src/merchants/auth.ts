import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../common/crypto';
import { ProblemException } from '../common/problem';
import { AppConfig } from '../config/config';
import { ApiKeysService } from './api-keys.service';

export interface AuthedMerchant {
  id: string;
  name: string;
  keyId: string;
}

type AuthedRequest = FastifyRequest & { merchant?: AuthedMerchant; actor?: string };

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

const unauthorized = (detail: string) =>
  new ProblemException(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer realm="khqr-orchestrator"' } });

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

/** Admin endpoints: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearerToken(request);
    if (!token || !constantTimeEqual(token, this.config.adminToken)) throw unauthorized('admin endpoints need Authorization: Bearer <ADMIN_TOKEN>');
    request.actor = 'admin';
    return true;
  }
}

/** The authenticated merchant of this request. */
export const CurrentMerchant = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthedMerchant => {
  const merchant = ctx.switchToHttp().getRequest<AuthedRequest>().merchant;
  if (!merchant) throw unauthorized('not authenticated');
  return merchant;
});
