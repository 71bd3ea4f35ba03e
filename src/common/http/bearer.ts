import type { FastifyRequest } from 'fastify';

/** The credential of `Authorization: Bearer <token>`, or null. Read by authentication and by the rate limiter (its key scope). */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
