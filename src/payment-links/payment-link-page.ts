import { displayAmount, esc, languageLinks, pageShell } from '../checkout-pages/html';
import type { Lang } from '../checkout-pages/i18n';
import type { Currency } from '../common/money';
import { LinkStringKey, linkTranslator } from './link-i18n';

/** What the page shows; a `notice` replaces the form (gone, not found), a `message` sits above it. */
export interface LinkPageModel {
  lang: Lang;
  nonce: string;
  /** Path of the page (/l/{slug}); null on the not-found page (nothing of the request is echoed). */
  path: string | null;
  merchantName: string;
  description: string;
  currency: Currency;
  amountMinor: number | null;
  minMinor: number | null;
  maxMinor: number | null;
  gateways: { id: string; name: string }[];
  selected: string | null;
  amountText: string;
  amountError: 'amountBad' | 'amountOutOfRange' | null;
  gatewayError: boolean;
  message: { key: LinkStringKey; vars?: Record<string, string> } | null;
  notice: { title: LinkStringKey; text: LinkStringKey } | null;
}

const CSS = `
.amount{font-size:2rem;font-weight:700;margin:8px 0 0}
.field{display:block;margin:16px 0 0}
.field label,.field legend{display:block;font-weight:600;margin:0 0 6px}
input[type=text]{width:100%;min-height:48px;padding:10px 12px;font:inherit;font-size:1.2rem;border:1px solid #9ca3af;border-radius:10px}
input[aria-invalid=true]{border-color:var(--red)}
fieldset{border:0;margin:16px 0 0;padding:0}
.gw{display:flex;align-items:center;gap:10px;min-height:48px;padding:10px 12px;margin:0 0 8px;border:1px solid var(--line);border-radius:10px;cursor:pointer}
.gw input{width:20px;height:20px}
.err{color:#7f1d1d;font-size:.9rem;margin:6px 0 0}
`;

const example = (currency: Currency) => (currency === 'USD' ? '10.00' : '40000');

export function renderLinkPage(m: LinkPageModel): string {
  const t = linkTranslator(m.lang);
  const title = t('htmlTitle', { merchant: m.merchantName || 'KHQR' });
  const head = `<div class="pad"><div class="muted small">${esc(t('payTo'))}</div><h1 id="merchant">${esc(m.merchantName)}</h1></div>`;
  let body: string;
  if (m.notice) {
    const ask = m.merchantName ? `<p class="muted">${esc(t('askMerchant', { merchant: m.merchantName }))}</p>` : '';
    body = `<div class="card">${m.merchantName ? head : ''}<div class="pad"><h1 id="notice-title">${esc(t(m.notice.title))}</h1>
<p id="notice" role="alert">${esc(t(m.notice.text))}</p>${ask}</div></div>`;
  } else {
    body = `<div class="card">${head}<div class="pad">${form(m, t)}</div></div>`;
  }
  const langs = m.path ? languageLinks(m.lang, m.path, {}) : '';
  const script = m.notice
    ? ''
    : `<script nonce="${m.nonce}">(function(){var f=document.getElementById('pay-form');if(!f)return;f.addEventListener('submit',function(){var b=document.getElementById('pay');if(b.disabled)return;setTimeout(function(){b.disabled=true;b.textContent=${JSON.stringify(
        t('working'),
      ).replace(/</g, '\\u003c')};},0);});})();</script>`;
  return pageShell({ lang: m.lang, title, nonce: m.nonce, css: CSS, body: `<main>${langs}${body}</main>${script}` });
}

function form(m: LinkPageModel, t: ReturnType<typeof linkTranslator>): string {
  const money = (minor: number) => displayAmount(minor, m.currency);
  const parts: string[] = [`<p id="description">${esc(m.description)}</p>`];
  if (m.message) parts.push(`<div class="alert error" id="message" role="alert">${esc(t(m.message.key, m.message.vars))}</div>`);
  if (m.amountMinor !== null) {
    parts.push(
      `<div class="muted small">${esc(t('amount'))}</div><div class="amount" id="amount">${esc(money(m.amountMinor))} <span class="muted small">${m.currency}</span></div>`,
    );
  } else {
    const range = t('amountRange', { min: money(m.minMinor ?? 1), max: money(m.maxMinor ?? 1) });
    const error = m.amountError
      ? `<p class="err" id="amount-error">${esc(m.amountError === 'amountBad' ? t('amountBad', { example: example(m.currency) }) : t('amountOutOfRange', { min: money(m.minMinor ?? 1), max: money(m.maxMinor ?? 1) }))}</p>`
      : '';
    parts.push(`<div class="field"><label for="amount-input">${esc(t('amountLabel', { currency: m.currency }))}</label>
<input type="text" id="amount-input" name="amount" inputmode="decimal" autocomplete="off" maxlength="20" required placeholder="${esc(example(m.currency))}" value="${esc(m.amountText)}" aria-describedby="amount-range${error ? ' amount-error' : ''}"${m.amountError ? ' aria-invalid="true"' : ''}>
<p class="muted small" id="amount-range">${esc(range)}</p>${error}</div>`);
  }
  if (m.gateways.length > 1) {
    const options = m.gateways
      .map(
        (g, i) =>
          `<label class="gw"><input type="radio" name="provider" value="${esc(g.id)}" required${(m.selected ?? (i === 0 ? g.id : null)) === g.id ? ' checked' : ''}> <span>${esc(g.name)}</span></label>`,
      )
      .join('');
    const error = m.gatewayError ? `<p class="err" id="gateway-error">${esc(t('gatewayBad'))}</p>` : '';
    parts.push(`<fieldset id="gateways"><legend>${esc(t('payWith'))}</legend>${options}${error}</fieldset>`);
  } else if (m.gateways.length === 1) {
    parts.push(`<input type="hidden" name="provider" value="${esc(m.gateways[0].id)}">`);
  }
  const label = m.amountMinor !== null ? t('payAmount', { amount: money(m.amountMinor) }) : t('pay');
  parts.push(`<input type="hidden" name="lang" value="${m.lang}"><button class="btn primary" id="pay" type="submit">${esc(label)}</button>
<p class="muted small">${esc(t('nextStep'))}</p>`);
  return `<form id="pay-form" method="post" action="${esc(m.path ?? '')}">${parts.join('\n')}</form>`;
}
