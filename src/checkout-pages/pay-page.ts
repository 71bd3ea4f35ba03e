import type { Currency } from '../common/money';
import type { OrderStatus } from '../orders/state-machine';
import { displayAmount, esc, languageLinks, pageShell, scriptJson } from './html';
import { Lang, strings, translator } from './i18n';

export interface PayPageModel {
  orderId: string;
  merchantName: string;
  amountMinor: number;
  currency: Currency;
  status: OrderStatus;
  expiresAt: Date;
  now: Date;
  description: string | null;
  /** Present for providers that yield a KHQR rendered here. */
  qr: { payload: string; imageUrl: string } | null;
  /** A bank-app deeplink, only when the gateway gave one. */
  deeplink: string | null;
  /** The gateway's own page, for providers with a hosted checkout (status-only here). */
  hostedCheckoutUrl: string | null;
  providerName: string;
  /** The order's success_url, only when the order is already PAID (PayPageService.statusView); otherwise the script gets it from the status poll. */
  redirectUrl: string | null;
  /** The order's cancel_url, only once the order can no longer be paid (statusView); otherwise the script gets it from the status poll. */
  cancelUrl: string | null;
  /** Whether the order has a cancel_url at all (the Back link is rendered, hidden and without a target, until the poll reveals it). */
  hasCancelUrl: boolean;
  /** Opened by /js/khqr-checkout.js in an iframe: report by postMessage to parentOrigin, no redirect. */
  embed: boolean;
  parentOrigin: string | null;
  /** An SMM top-up order: the paid state says the balance will be credited. */
  topup: boolean;
  lang: Lang;
  /** The page's own query (for the language links). */
  query: Record<string, string>;
  statusUrl: string;
  nonce: string;
}

/** How long after expires_at the page keeps polling, so a payment made at the last second still shows. */
export const LATE_POLL_MS = 120_000;

const CSS = `
.khqr{border-radius:16px;overflow:hidden;border:1px solid var(--line);margin:4px 0 12px;background:#fff}
.khqr-head{background:var(--red);color:#fff;font-weight:800;letter-spacing:.08em;padding:10px 20px;font-size:1.05rem}
.khqr-meta{padding:12px 20px 10px;border-bottom:2px dashed var(--line)}
.khqr-meta .name{font-size:.95rem;color:var(--muted);margin:0}
.amount{font-size:1.9rem;font-weight:800;margin:0;line-height:1.2}
.amount .ccy{font-size:1rem;font-weight:600;color:var(--muted);margin-left:6px}
.qr{display:flex;justify-content:center;padding:16px}
.qr img{width:100%;max-width:260px;height:auto;aspect-ratio:1/1;image-rendering:pixelated}
.countdown{display:flex;justify-content:space-between;align-items:center;margin:8px 0 0;font-size:.95rem}
.countdown time{font-variant-numeric:tabular-nums;font-weight:700;font-size:1.1rem}
.status{margin:12px 0 0;padding:12px 14px;border-radius:10px;background:#eff6ff;color:#1e3a8a;font-weight:600}
.status[data-state="PAID"]{background:#ecfdf5;color:#065f46}
.status[data-state="EXPIRED"],.status[data-state="CANCELLED"],.status[data-state="FAILED"]{background:#fef2f2;color:#7f1d1d}
.done-mark{display:none;justify-content:center;padding:24px 0 8px}
.done-mark svg{width:96px;height:96px}
body[data-state="PAID"] .done-mark{display:flex}
body:not([data-state="PENDING"]) .pending-only{display:none}
.payload{width:100%;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;border:1px solid var(--line);border-radius:8px;padding:8px;resize:none;color:var(--ink)}
details{margin-top:8px}
summary{cursor:pointer;min-height:44px;display:flex;align-items:center;color:var(--muted)}
`;

const CHECK_SVG = `<svg viewBox="0 0 96 96" aria-hidden="true" focusable="false"><circle cx="48" cy="48" r="46" fill="#047857"/><path d="M28 50l13 13 27-29" fill="none" stroke="#fff" stroke-width="8" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

function mmss(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function statusText(m: PayPageModel, t: ReturnType<typeof translator>): string {
  const pendingButLapsed = m.status === 'PENDING' && m.expiresAt.getTime() <= m.now.getTime();
  if (pendingButLapsed) return t('expired');
  switch (m.status) {
    case 'PENDING':
      return t('waiting');
    case 'PAID':
      return m.topup ? `${t('paid')} ${t('topupPaid')}` : t('paid');
    case 'EXPIRED':
      return t('expired');
    case 'CANCELLED':
      return t('cancelled');
    case 'FAILED':
      return t('failed');
  }
}

/** GET /pay/{orderId}: the orchestrator's checkout page. Server-rendered in full, then kept live by a small inline script. */
export function renderPayPage(m: PayPageModel): string {
  const t = translator(m.lang);
  const amountText = displayAmount(m.amountMinor, m.currency);
  const vars = { merchant: m.merchantName, amount: `${amountText} ${m.currency}`, provider: m.providerName };
  const lapsed = m.status === 'PENDING' && m.expiresAt.getTime() <= m.now.getTime();
  const initialState = lapsed ? 'EXPIRED' : m.status;

  const qrBlock = m.qr
    ? `<div class="qr pending-only"><img id="qr" src="${esc(m.qr.imageUrl)}" width="260" height="260" alt="${esc(t('qrAlt', vars))}"></div>`
    : '';
  const countdown = `<p class="countdown pending-only"><span id="countdown-label">${esc(t('expiresIn'))}</span>
<time id="countdown" role="timer" aria-labelledby="countdown-label" datetime="${m.expiresAt.toISOString()}">${mmss(m.expiresAt.getTime() - m.now.getTime())}</time></p>`;

  const actions: string[] = [];
  if (m.qr) {
    if (m.deeplink) actions.push(`<a class="btn primary" id="deeplink" href="${esc(m.deeplink)}" rel="noopener">${esc(t('openBakong'))}</a>`);
    actions.push(`<a class="btn" id="save-qr" href="${esc(m.qr.imageUrl)}" download="khqr-${esc(m.orderId)}.png">${esc(t('saveQr'))}</a>`);
    actions.push(`<button type="button" class="btn" id="copy" hidden>${esc(t('copyCode'))}</button>`);
    actions.push(
      `<details><summary>${esc(t('khqrCode'))}</summary><label class="sr-only" for="payload">${esc(t('khqrCode'))}</label><textarea id="payload" class="payload" rows="4" readonly>${esc(m.qr.payload)}</textarea></details>`,
    );
    actions.push(`<p class="muted small">${esc(t('saveHint'))}</p>`);
  } else if (m.hostedCheckoutUrl) {
    actions.push(`<p class="muted">${esc(t('hostedIntro', vars))}</p>`);
    const target = m.embed ? ' target="_blank"' : '';
    actions.push(`<a class="btn primary" id="hosted" href="${esc(m.hostedCheckoutUrl)}"${target} rel="noopener">${esc(t('continueToPayment'))}</a>`);
  }

  const back = m.hasCancelUrl && !m.embed ? `<a class="btn" id="back" href="${esc(m.cancelUrl ?? '#')}" hidden>${esc(t('backToMerchant', vars))}</a>` : '';
  const body = `
<main>
${languageLinks(m.lang, `/pay/${m.orderId}`, m.query)}
<div class="card"><div class="pad">
<h1>${esc(m.qr ? t('payWithKhqr') : t('payTo') + ' ' + m.merchantName)}</h1>
<div class="khqr">
  <div class="khqr-head" aria-hidden="true">KHQR</div>
  <div class="khqr-meta"><p class="name"><span class="sr-only">${esc(t('payTo'))} </span>${esc(m.merchantName)}</p>
  <p class="amount"><span class="sr-only">${esc(t('amount'))}: </span><span id="amount">${esc(amountText)}</span><span class="ccy">${m.currency}</span></p>
  ${m.description ? `<p class="muted small">${esc(m.description.slice(0, 200))}</p>` : ''}</div>
  ${qrBlock}
  <div class="done-mark">${CHECK_SVG}</div>
</div>
${countdown}
<p class="status" id="status" role="status" aria-live="polite" aria-atomic="true" data-state="${initialState}"><span class="sr-only">${esc(t('statusLabel'))}: </span><span id="status-text">${esc(statusText(m, t))}</span></p>
<p id="copy-note" class="muted small" role="status" aria-live="polite"></p>
<div class="pending-only">${actions.join('\n')}</div>
<a class="btn primary" id="continue" href="${esc(m.redirectUrl ?? '#')}" hidden>${esc(t('continueToMerchant'))}</a>
${back}
<noscript><p class="muted small">${esc(t('noScript'))}</p></noscript>
</div></div>
</main>
<script type="application/json" id="pay-config">${scriptJson({
    orderId: m.orderId,
    statusUrl: m.statusUrl,
    status: m.status,
    redirectUrl: m.redirectUrl,
    cancelUrl: m.cancelUrl,
    expiresAt: m.expiresAt.toISOString(),
    serverNow: m.now.toISOString(),
    embed: m.embed,
    parentOrigin: m.parentOrigin,
    topup: m.topup,
    latePollMs: LATE_POLL_MS,
    payload: m.qr?.payload ?? null,
    t: strings(m.lang, ['waiting', 'paid', 'redirecting', 'expired', 'cancelled', 'failed', 'copied', 'copyFailed', 'topupPaid'], vars),
  })}</script>
<script nonce="${m.nonce}">${PAY_PAGE_SCRIPT}</script>`;

  return pageShell({
    lang: m.lang,
    title: t('htmlTitle', vars),
    nonce: m.nonce,
    css: CSS,
    body,
    bodyClass: m.embed ? 'embed' : undefined,
    head: `<noscript><meta http-equiv="refresh" content="15"></noscript>`,
  }).replace('<body', `<body data-state="${initialState}"`);
}

export function renderNotFoundPage(lang: Lang, nonce: string): string {
  const t = translator(lang);
  return pageShell({
    lang,
    title: t('notFoundTitle'),
    nonce,
    css: '',
    body: `<main><div class="card"><div class="pad"><h1>${esc(t('notFoundTitle'))}</h1><p class="muted">${esc(t('notFound'))}</p></div></div></main>`,
  });
}

/**
 * The page's live part (ES5, no dependencies): a countdown, a status poll that backs off on
 * errors, the paid/expired states, the redirect to success_url, and postMessage to the
 * embedding page — only ever to the origin it declared, never "*". success_url and cancel_url
 * are not in the HTML before they apply: the status poll reveals them (redirect_url once PAID,
 * cancel_url once the order can no longer be paid).
 */
const PAY_PAGE_SCRIPT = `(function(){'use strict';
var cfg=JSON.parse(document.getElementById('pay-config').textContent);
var T=cfg.t,state=cfg.status,skew=new Date(cfg.serverNow).getTime()-Date.now(),expires=new Date(cfg.expiresAt).getTime();
var $=function(id){return document.getElementById(id)};
var now=function(){return Date.now()+skew};
var final=false,timer=null,failures=0;
function post(type,extra){
  if(!cfg.embed||!cfg.parentOrigin||window.parent===window)return;
  var msg={source:'khqr-checkout',type:type,orderId:cfg.orderId};
  for(var k in extra)msg[k]=extra[k];
  window.parent.postMessage(msg,cfg.parentOrigin);
}
function show(next,text){
  state=next;document.body.setAttribute('data-state',next);
  $('status').setAttribute('data-state',next);$('status-text').textContent=text;
}
function fmt(ms){var s=Math.max(0,Math.ceil(ms/1000)),h=Math.floor(s/3600),m=Math.floor(s%3600/60),x=s%60;
  return (h?h+':'+(m<10?'0':''):'')+m+':'+(x<10?'0':'')+x}
function tick(){
  if(state!=='PENDING')return;
  var left=expires-now();$('countdown').textContent=fmt(left);
  if(left<=0){show('EXPIRED',T.expired);post('expired',{status:'EXPIRED'});schedule(0);return}
  setTimeout(tick,1000-((Date.now())%1000)+5);
}
function paid(redirect){
  final=true;show('PAID',cfg.topup?T.paid+' '+T.topupPaid:T.paid);
  post('paid',{status:'PAID'});
  if(cfg.embed)return;
  if(redirect){var c=$('continue');c.href=redirect;c.hidden=false;$('status-text').textContent=T.paid+' '+T.redirecting;
    setTimeout(function(){window.location.assign(redirect)},1500)}
}
function closed(status){
  final=true;var key=status==='CANCELLED'?'cancelled':status==='FAILED'?'failed':'expired';
  show(status,T[key]);post(key,{status:status});
}
function back(url){var b=$('back');if(b&&url){b.href=url;b.hidden=false}}
function schedule(ms){clearTimeout(timer);if(!final)timer=setTimeout(poll,ms)}
function poll(){
  if(final)return;
  if(now()>expires+cfg.latePollMs){final=true;return}
  var ctl=window.AbortController?new AbortController():null;
  var guard=setTimeout(function(){if(ctl)ctl.abort()},8000);
  fetch(cfg.statusUrl,{cache:'no-store',credentials:'omit',headers:{accept:'application/json'},signal:ctl?ctl.signal:undefined})
  .then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.json()})
  .then(function(s){clearTimeout(guard);failures=0;back(s.cancel_url);
    if(s.status==='PAID')return paid(s.redirect_url);
    if(s.status==='CANCELLED'||s.status==='FAILED'||(s.status==='EXPIRED'&&now()>expires))return closed(s.status);
    schedule(document.hidden?6000:2000)})
  .catch(function(){clearTimeout(guard);failures++;schedule(Math.min(15000,2000*Math.pow(2,failures)))});
}
document.addEventListener('visibilitychange',function(){if(!document.hidden&&!final)schedule(0)});
var copy=$('copy');
if(copy&&cfg.payload){copy.hidden=false;copy.addEventListener('click',function(){
  var note=$('copy-note'),done=function(){note.textContent=T.copied},fail=function(){note.textContent=T.copyFailed;var p=$('payload');p.parentNode.open=true;p.focus();p.select()};
  if(navigator.clipboard&&navigator.clipboard.writeText)navigator.clipboard.writeText(cfg.payload).then(done,fail);else fail();
})}
if(state==='PAID')paid(cfg.redirectUrl);
else if(state==='PENDING'){tick();schedule(1000)}
else closed(state);
back(cfg.cancelUrl);
post('ready',{status:state});
})();`;
