import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'khqr_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;
export const CSRF_HEADER = 'x-csrf-token';

const TOKEN = /^[A-Za-z0-9_-]{40,64}$/;

/**
 * The session token the request's Cookie header carries, if it looks like one of ours. Only our
 * token alphabet is accepted, so no decoding is needed and nothing odd reaches the database.
 */
export function sessionTokenOf(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN.test(value) ? value : null;
  }
  return null;
}

/** HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Path=/, Secure when served over https. */
function cookie(value: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  void reply.header('set-cookie', cookie(token, SESSION_TTL_SECONDS, secure));
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.header('set-cookie', cookie('', 0, secure));
}
