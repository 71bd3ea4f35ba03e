import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'khqr_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;
export const CSRF_HEADER = 'x-csrf-token';

const TOKEN = /^[A-Za-z0-9_-]{40,64}$/;

/**
 * The session token of the request's cookies (parsed by @fastify/cookie, registered in bootstrap.ts),
 * if it looks like one of ours. Only our token alphabet is accepted, so nothing odd reaches the database.
 */
export function sessionTokenOf(request: FastifyRequest): string | null {
  const value = request.cookies?.[SESSION_COOKIE];
  return typeof value === 'string' && TOKEN.test(value) ? value : null;
}

/** HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Path=/, Secure when served over https. */
const attributes = (maxAge: number, secure: boolean) => ({ maxAge, path: '/', httpOnly: true, sameSite: 'lax', secure }) as const;

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, token, attributes(SESSION_TTL_SECONDS, secure));
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, '', attributes(0, secure));
}
