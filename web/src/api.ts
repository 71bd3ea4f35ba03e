import { createClient, type Problem } from '../../clients/typescript';
import type { LoginBody, Me } from './auth-api';

let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => void (csrfToken = token);

/** The generated client, same origin: the session cookie, and X-CSRF-Token on unsafe methods. */
export const api = createClient({ baseUrl: '', session: { csrfToken: () => csrfToken } });

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

/** The data of an openapi-fetch result, or an ApiError carrying the problem's `detail`. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new ApiError(response.status, error as Problem | undefined);
  return data as T;
}

async function authCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw new ApiError(res.status, json as Problem | undefined);
  return json as T;
}

/** BRIDGE (see auth-api.ts): /auth calls, to become `api.GET('/auth/me')` etc. once the document has them. */
export const authApi = {
  me: () => authCall<Me>('GET', '/auth/me'),
  login: (body: LoginBody) => authCall<unknown>('POST', '/auth/login', body),
  logout: () => authCall<unknown>('POST', '/auth/logout'),
};
