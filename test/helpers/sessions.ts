import { TEST_ADMIN_TOKEN, TestApp, TestResponse } from './test-app';

/** A signed-in dashboard user: its cookie and CSRF token, and requests made with them. */
export interface Session {
  cookie: string;
  csrf: string;
  user: { id: string; email: string; role: string; merchant_id: string | null };
  /** A request with the session cookie, and X-CSRF-Token unless `csrf: false` (or a given value). */
  request(method: string, path: string, opts?: { body?: unknown; csrf?: string | false; headers?: Record<string, string> }): Promise<TestResponse>;
}

export const PASSWORD = 'correct horse battery';

export async function signIn(t: TestApp, email: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Session> {
  const res = await t.request('POST', '/auth/login', { body: { email, password }, headers });
  if (res.status !== 200) throw new Error(`sign in ${email}: ${res.status} ${res.text}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const session: Session = {
    cookie,
    csrf: res.json.csrf_token,
    user: res.json.user,
    request: (method, path, opts = {}) => {
      const h: Record<string, string> = { cookie, ...(opts.headers ?? {}) };
      if (opts.csrf !== false) h['x-csrf-token'] = opts.csrf ?? session.csrf;
      return t.request(method, path, { body: opts.body, headers: h });
    },
  };
  return session;
}

/** A user of the merchant (or an operator when merchantId is null), created by the operator's token. */
export async function createUser(t: TestApp, merchantId: string | null, email: string, role = 'owner', password = PASSWORD): Promise<{ id: string }> {
  const res = merchantId
    ? await t.request('POST', `/admin/merchants/${merchantId}/users`, { token: TEST_ADMIN_TOKEN, body: { email, role, password } })
    : await t.request('POST', '/admin/operators', { token: TEST_ADMIN_TOKEN, body: { email, password } });
  if (res.status !== 201) throw new Error(`create user ${email}: ${res.status} ${res.text}`);
  return res.json;
}
