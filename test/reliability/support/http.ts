import type { TestResponse } from '../../helpers/test-app';

export interface SendOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  token?: string;
  /** Abort after this long (default 15 s): a hung request fails the test instead of the run. */
  timeoutMs?: number;
}

/** Requests sent by this spec file (each file has its own module registry). */
export const sent = { count: 0 };

/** Like test/helpers httpRequest, with a deadline and a counter; never follows redirects. */
export async function send(url: string, method: string, opts: SendOptions = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  sent.count++;
  const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
