import { createClient, type Problem } from '../../clients/typescript';
import type { LoginBody, Me } from './auth-api';

let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => void (csrfToken = token);

/**
 * BRIDGE — replace at merge, with auth-api.ts: until /auth (sessions) is in this branch, the dashboard
 * can be opened with a merchant API key or the ADMIN_TOKEN, typed on the sign-in page. It lives in
 * sessionStorage (this tab only, gone when the tab closes or on sign-out), never in localStorage or a cookie,
 * and goes out only as `Authorization: Bearer` to this same origin.
 */
const KEY_STORAGE = 'khqr.bearer';
export const bearerKey = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string | null) => (key ? sessionStorage.setItem(KEY_STORAGE, key) : sessionStorage.removeItem(KEY_STORAGE)),
};

/** The generated client, same origin: the session cookie, and X-CSRF-Token on unsafe methods (or the bridge's Bearer key). */
export const api = createClient({ baseUrl: '', session: { csrfToken: () => csrfToken } });
api.use({
  onRequest({ request }) {
    const key = bearerKey.get();
    if (key) request.headers.set('Authorization', `Bearer ${key}`);
    return request;
  },
});

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
