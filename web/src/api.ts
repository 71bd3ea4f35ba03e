import { createClient, type Problem, type Schema } from '../../clients/typescript';

export type Me = Schema<'MeResponse'>;
export type Role = Me['user']['role'];

/** The CSRF token of GET /auth/me (or POST /auth/login): sent as X-CSRF-Token on every unsafe call. Memory only. */
let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => void (csrfToken = token);

/**
 * The test/live switch: on, every API call carries `X-Khqr-Mode: test`. Per tab (sessionStorage),
 * so one tab can look at test data while another stays live.
 */
const MODE_STORAGE = 'khqr.mode';
const modeListeners = new Set<() => void>();
export const testMode = {
  get: (): boolean => sessionStorage.getItem(MODE_STORAGE) === 'test',
  set(on: boolean) {
    if (on) sessionStorage.setItem(MODE_STORAGE, 'test');
    else sessionStorage.removeItem(MODE_STORAGE);
    modeListeners.forEach((l) => l());
  },
  subscribe(listener: () => void) {
    modeListeners.add(listener);
    return () => void modeListeners.delete(listener);
  },
};

/** The generated client, same origin: the HttpOnly session cookie, and X-CSRF-Token on unsafe methods. */
export const api = createClient({ baseUrl: '', session: { csrfToken: () => csrfToken } });
api.use({
  onRequest({ request }) {
    if (testMode.get()) request.headers.set('X-Khqr-Mode', 'test');
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

export const authApi = {
  me: () => unwrap(api.GET('/auth/me')),
  login: (body: Schema<'LoginDto'>) => unwrap(api.POST('/auth/login', { body })),
  // The client's session middleware adds X-CSRF-Token; the parameter is declared by the document.
  logout: () => unwrap(api.POST('/auth/logout', { params: { header: { 'X-CSRF-Token': csrfToken ?? '' } } })),
};

/** What the signed-in role may change (the API refuses the rest anyway; the UI only hides it). */
export function permissions(role: Role | undefined) {
  return {
    /** Orders (verify, cancel, refund), payment links: owners (the default of every /v1 write). */
    owner: role === 'owner',
    /** API keys, webhooks and deliveries, gateways, notifications: owners and developers. */
    developer: role === 'owner' || role === 'developer',
  };
}
