import { formatAmount } from '../common/money';
import { displayAmount, esc, languageLinks, pageShell } from './html';
import { Lang, translator } from './i18n';
import type { TopupMessage } from './topup.rules';

export interface TopupPageModel {
  lang: Lang;
  nonce: string;
  merchantId: string;
  merchantName: string;
  /** The widget cannot be used: show this and no form. */
  fatal: TopupMessage | null;
  /** A message about the amount (shown beside the field, which is marked invalid). */
  amountError: TopupMessage | null;
  /** A message about the attempt as a whole (e.g. the gateway is down). */
  formError: TopupMessage | null;
  minMinor: number;
  maxMinor: number;
  amountText: string;
  user: string;
  email: string | null;
  quick: number[];
  /** The page's own query, for the language links and the hidden fields. */
  query: Record<string, string>;
}

const CSS = `
form{margin:0}
label{display:block;font-weight:600;margin:14px 0 6px}
.field{display:flex;align-items:center;border:1px solid #6b7280;border-radius:10px;padding:0 12px;background:#fff}
.field:focus-within{outline:3px solid var(--focus);outline-offset:2px}
.field span{color:var(--muted);font-weight:600}
.field input{flex:1;border:0;font:inherit;font-size:1.4rem;font-weight:700;padding:10px 8px;min-width:0;background:transparent;color:var(--ink)}
.field input:focus{outline:none}
.field[data-invalid="true"]{border-color:#b91c1c;border-width:2px}
.hint{color:var(--muted);font-size:.9rem;margin:6px 0 0}
.err{color:#991b1b;font-weight:600;font-size:.95rem;margin:6px 0 0}
.chips{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:12px 0 4px;border:0;padding:0}
.chips legend{font-size:.9rem;color:var(--muted);margin-bottom:6px;padding:0}
.chip{min-height:44px;border-radius:10px;border:1px solid #9ca3af;background:#fff;font:inherit;font-weight:600;color:var(--ink);cursor:pointer}
.account{display:flex;justify-content:space-between;gap:8px;background:var(--bg);border-radius:10px;padding:10px 12px;margin:12px 0 0;font-size:.95rem}
.account b{overflow-wrap:anywhere;text-align:right}
`;

/** GET /topup/{merchantId}: the SMM panel's balance top-up widget (sized for RaksmeyPay's 370×550 iframe). */
export function renderTopupPage(m: TopupPageModel): string {
  const t = translator(m.lang);
  const show = (minor: number) => displayAmount(minor, 'USD');
  const msg = (x: TopupMessage) => t(x.key, x.vars);
  const path = `/topup/${m.merchantId}`;
  const header = `${languageLinks(m.lang, path, m.query)}<h1>${esc(t('topupTitle'))}</h1>${m.merchantName ? `<p class="muted small">${esc(m.merchantName)}</p>` : ''}`;

  if (m.fatal) {
    const body = `<main><div class="card"><div class="pad">${header}<div class="alert error" role="alert" id="topup-error">${esc(msg(m.fatal))}</div></div></div></main>`;
    return pageShell({ lang: m.lang, title: t('topupTitle'), nonce: m.nonce, css: CSS, body, bodyClass: 'embed' });
  }

  const hidden = (['u', 'e'] as const)
    .filter((k) => m.query[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${esc(m.query[k])}">`)
    .join('');
  const invalid = !!m.amountError;
  const chips = m.quick.length
    ? `<fieldset class="chips"><legend>${esc(t('quickAmounts'))}</legend>${m.quick
        .map((a) => `<button type="submit" class="chip" name="preset" value="${formatAmount(a, 'USD')}">${esc(show(a).replace(/\.00$/, ''))}</button>`)
        .join('')}</fieldset>`
    : '';
  const body = `<main><div class="card"><div class="pad">${header}
${m.formError ? `<div class="alert error" role="alert" id="form-error">${esc(msg(m.formError))}</div>` : ''}
<p class="account"><span>${esc(t('topupAccount'))}</span><b id="account">${esc(m.user)}</b></p>
<form method="post" action="${esc(path)}" novalidate>
<input type="hidden" name="lang" value="${m.lang}">${hidden}
<label for="amount">${esc(t('topupAmount'))}</label>
<div class="field" data-invalid="${invalid}"><span aria-hidden="true">$</span>
<input id="amount" name="amount" type="text" inputmode="decimal" autocomplete="off" value="${esc(m.amountText)}" aria-describedby="amount-hint${invalid ? ' amount-error' : ''}"${invalid ? ' aria-invalid="true"' : ''} required></div>
<p class="hint" id="amount-hint">${esc(t('topupRange', { min: show(m.minMinor), max: show(m.maxMinor) }))}</p>
${invalid ? `<p class="err" id="amount-error" role="alert">${esc(msg(m.amountError!))}</p>` : ''}
${chips}
<button type="submit" class="btn primary" id="continue">${esc(t('topupContinue'))}</button>
</form>
<p class="muted small">${esc(t('topupCredited'))}</p>
</div></div></main>`;
  return pageShell({ lang: m.lang, title: t('topupTitle'), nonce: m.nonce, css: CSS, body, bodyClass: 'embed' });
}
