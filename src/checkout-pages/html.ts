import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Currency, formatAmount } from '../common/money';
import { Lang, LANG_NAMES, LANGS, translator } from './i18n';

/** HTML-escapes text for element content and quoted attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe to place inside <script type="application/json">: no "</script>" or HTML comment can be formed. */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** "$12.50" / "៛5,000": what the customer reads (the currency code is shown beside it). */
export function displayAmount(minor: number, currency: Currency): string {
  const [whole, fraction] = formatAmount(minor, currency).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency === 'USD' ? '$' : '៛'}${grouped}${fraction ? `.${fraction}` : ''}`;
}

export const newNonce = (): string => randomBytes(16).toString('base64');

export interface CspOptions {
  nonce: string;
  /** Who may frame the page: "'none'", one origin, or "*". */
  frameAncestors: string;
  formAction?: string;
}

/**
 * Everything is served by us, nothing from a CDN: scripts and styles only with this response's
 * nonce, images from us (and data: for the inline check mark), fetches to us only.
 */
export function applyPageHeaders(reply: FastifyReply, csp: CspOptions, status = 200): void {
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${csp.nonce}'`,
    `style-src 'nonce-${csp.nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    `form-action ${csp.formAction ?? "'none'"}`,
    `frame-ancestors ${csp.frameAncestors}`,
  ].join('; ');
  void reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', policy)
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    // frame-ancestors governs framing; a global X-Frame-Options would contradict the embeddable routes.
    .removeHeader('x-frame-options');
}

/** An http(s) origin ("https://shop.example.com"), or null when `value` is not one. */
export function parseOrigin(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 300) return null;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.origin !== value.replace(/\/$/, '')) return null;
    return u.origin;
  } catch {
    return null;
  }
}

/** Shared look: mobile first, system fonts (Khmer falls back to the OS's Khmer font), AA contrast. */
export const BASE_CSS = `
:root{--ink:#111827;--muted:#4b5563;--line:#e5e7eb;--bg:#f3f4f6;--card:#fff;--red:#c8102e;--ok:#047857;--warn:#92400e;--focus:#1d4ed8}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans Khmer","Khmer OS System","Khmer OS Content","Khmer OS",sans-serif}
body.embed{background:var(--card)}
main{max-width:420px;margin:0 auto;padding:16px}
.card{background:var(--card);border-radius:16px;box-shadow:0 1px 3px #0000001f;overflow:hidden}
body.embed .card{box-shadow:none}
.pad{padding:16px 20px}
h1{font-size:1.15rem;margin:0 0 4px}
.muted{color:var(--muted);font-size:.95rem}
.small{font-size:.85rem}
.btn{display:flex;align-items:center;justify-content:center;gap:8px;width:100%;min-height:48px;padding:10px 16px;margin:8px 0 0;border-radius:10px;border:1px solid #9ca3af;background:#fff;color:var(--ink);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.btn.primary{background:var(--red);border-color:var(--red);color:#fff}
.btn:focus-visible,a:focus-visible,input:focus-visible,button:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.langs{display:flex;justify-content:flex-end;gap:12px;padding:4px 4px 8px;font-size:.9rem}
.langs a{color:var(--ink)}
.langs a[aria-current="true"]{font-weight:700;text-decoration:none}
.alert{border-radius:10px;padding:12px 14px;margin:12px 0;background:#fef3c7;color:#78350f}
.alert.error{background:#fee2e2;color:#7f1d1d}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
@media (prefers-reduced-motion:no-preference){.fade{transition:opacity .2s}}
`;

/** The language switcher: links to the same page in each language (keeps every other query parameter). */
export function languageLinks(lang: Lang, path: string, query: Record<string, string>): string {
  const t = translator(lang);
  const links = LANGS.map((l) => {
    const params = new URLSearchParams({ ...query, lang: l });
    return `<a href="${esc(`${path}?${params}`)}" lang="${l}" hreflang="${l}"${l === lang ? ' aria-current="true"' : ''}>${esc(LANG_NAMES[l])}</a>`;
  }).join('');
  return `<nav class="langs" aria-label="${esc(t('language'))}">${links}</nav>`;
}

export function pageShell(p: { lang: Lang; title: string; nonce: string; css: string; body: string; bodyClass?: string; head?: string }): string {
  return `<!doctype html>
<html lang="${p.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="robots" content="noindex,nofollow"><meta name="color-scheme" content="light">
<title>${esc(p.title)}</title>
<style nonce="${p.nonce}">${BASE_CSS}${p.css}</style>${p.head ?? ''}</head>
<body${p.bodyClass ? ` class="${p.bodyClass}"` : ''}>${p.body}</body></html>`;
}
