import { httpRequest, TestResponse } from './test-app';

export interface Hop {
  method: string;
  url: string;
  status: number;
  location: string | null;
  text: string;
}

export interface Visit {
  hops: Hop[];
  /** The last response received from the app. */
  last: Hop;
  /** Where the browser was sent outside the app (the merchant's site), if it left. */
  leftTo: string | null;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A browser's navigation: requests `url`, follows redirects itself (resolving relative
 * Locations), and stops at the first response that is not a redirect or at a Location outside
 * `appUrl` (the merchant's site, which the test does not serve). At most `maxHops` requests.
 */
export async function navigate(appUrl: string, url: string, opts: { method?: string; form?: Record<string, string>; maxHops?: number } = {}): Promise<Visit> {
  const hops: Hop[] = [];
  let method = opts.method ?? 'GET';
  let body: string | undefined = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  let current = url;
  for (let i = 0; i < (opts.maxHops ?? 10); i++) {
    const res: TestResponse = await httpRequest(
      current,
      method,
      body === undefined ? {} : { rawBody: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    );
    const location = res.headers.get('location');
    const hop: Hop = { method, url: current, status: res.status, location: location ? new URL(location, current).toString() : null, text: res.text };
    hops.push(hop);
    if (!REDIRECTS.has(res.status) || !hop.location) return { hops, last: hop, leftTo: null };
    if (!hop.location.startsWith(appUrl + '/')) return { hops, last: hop, leftTo: hop.location };
    // 301/302/303 after a POST become a GET, as browsers do.
    if (res.status !== 307 && res.status !== 308) {
      method = 'GET';
      body = undefined;
    }
    current = hop.location;
  }
  throw new Error(`more than ${opts.maxHops ?? 10} redirects from ${url}`);
}

const unescape = (v: string) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Presses the button with `buttonId` on an HTML page: posts its form's hidden fields to its action. */
export async function pressButton(appUrl: string, page: Hop, buttonId: string): Promise<Visit> {
  const forms = [...page.text.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)];
  const form = forms.find(([, , inner]) => inner.includes(`id="${buttonId}"`));
  if (!form) throw new Error(`no form with button #${buttonId} on ${page.url}`);
  const fields = Object.fromEntries(
    [...form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, k, v]) => [unescape(k), unescape(v)]),
  );
  return navigate(appUrl, new URL(unescape(form[1]), page.url).toString(), { method: 'POST', form: fields });
}
