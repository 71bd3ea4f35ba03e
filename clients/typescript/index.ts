/**
 * A typed client for the khqr-orchestrator API: `createClient` from openapi-fetch over the types
 * openapi-typescript generates from the committed openapi.json (schema.d.ts; regenerate both with
 * `npm run openapi`). Every path, parameter, body and response is typed from the document.
 */
import createFetchClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };
/** A schema of the document by name, e.g. `Schema<'CreateOrderDto'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

export type KhqrClient = Client<paths>;

export interface KhqrClientOptions {
  /** The orchestrator's base URL (its PUBLIC_BASE_URL), e.g. `https://pay.example.com`; empty for same-origin calls from a browser. */
  baseUrl: string;
  /** A merchant API key (`sk_…`) or, for /admin, the ADMIN_TOKEN: sent as `Authorization: Bearer`. Server-side only: never ship a key to a browser. */
  apiKey?: string;
  /**
   * A dashboard session in the browser: the HttpOnly session cookie is sent (same origin) and every
   * unsafe method (POST, PUT, PATCH, DELETE) carries `X-CSRF-Token` with the token `GET /auth/me` returned.
   */
  session?: { csrfToken: () => string | null | undefined };
  /** A fetch implementation (defaults to the global one). */
  fetch?: (input: Request) => Promise<Response>;
  /** Extra headers on every request (e.g. a fixed `X-Request-Id` prefix is not needed: the server makes one). */
  headers?: Record<string, string>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The middleware that adds the credentials: Bearer key, or session cookie + CSRF token on unsafe methods. */
export function authMiddleware(options: Pick<KhqrClientOptions, 'apiKey' | 'session'>): Middleware {
  return {
    onRequest({ request }) {
      if (options.apiKey) request.headers.set('Authorization', `Bearer ${options.apiKey}`);
      if (options.session && !SAFE_METHODS.has(request.method.toUpperCase())) {
        const token = options.session.csrfToken();
        if (token) request.headers.set('X-CSRF-Token', token);
      }
      return request;
    },
  };
}

export function createClient(options: KhqrClientOptions): KhqrClient {
  const client = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: options.headers,
    fetch: options.fetch,
    // A session cookie only travels to the same origin; API keys never need cookies.
    credentials: options.session ? 'same-origin' : 'omit',
  });
  client.use(authMiddleware(options));
  return client;
}

/** An RFC 9457 problem as the API answers errors (`application/problem+json`). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  instance?: string;
  [extension: string]: unknown;
}
