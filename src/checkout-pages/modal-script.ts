/**
 * /js/khqr-checkout.js: the embeddable checkout, for every provider (Ahnajak's modal plugin,
 * generalised). ES5 and dependency-free so any merchant page can load it with one tag:
 *
 *   <script src="https://pay.example.com/js/khqr-checkout.js"></script>
 *   KhqrCheckout.open({ orderId, onSuccess, onError, onClose, lang })
 *
 * It opens /pay/{orderId}?embed=1&origin=<this page's origin> in an iframe modal (a bottom
 * sheet on small screens). The pay page posts its news to that origin only; this script
 * accepts a message only when event.origin is the orchestrator's own origin (the origin the
 * script was loaded from) and event.source is its own iframe.
 *
 * Callbacks: onSuccess({orderId, status: 'PAID'}) once; onError({orderId, code, message})
 * for expired / cancelled / failed / invalid_order_id; onClose({orderId, paid}) whenever the
 * modal closes (the customer's close button, Escape, the backdrop, or after success).
 */
export const MODAL_SCRIPT = `/*! khqr-checkout.js — KhqrCheckout.open({orderId, onSuccess, onError, onClose, lang}) */
(function (w, d) {
  'use strict';
  if (w.KhqrCheckout) return;
  var script = d.currentScript;
  var BASE = '';
  try { BASE = new URL(script && script.src ? script.src : '', w.location.href).origin; } catch (e) { BASE = ''; }
  var ORDER_ID = /^ord_[0-9a-z]{26}$/;
  var P = 'khqrc-';
  var active = null;
  var noop = function () {};

  function css() {
    if (d.getElementById(P + 'style')) return;
    var s = d.createElement('style');
    s.id = P + 'style';
    s.textContent =
      '.' + P + 'overlay{position:fixed;inset:0;z-index:2147483000;background:rgba(17,24,39,.55);display:flex;align-items:center;justify-content:center;padding:16px}' +
      '.' + P + 'dialog{position:relative;display:flex;flex-direction:column;width:100%;max-width:440px;height:min(720px,calc(100vh - 32px));background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 20px 50px rgba(0,0,0,.3)}' +
      '.' + P + 'bar{flex:0 0 48px;display:flex;align-items:center;justify-content:flex-end;padding:0 4px;border-bottom:1px solid #e5e7eb;position:relative}' +
      '.' + P + 'handle{display:none;position:absolute;left:50%;top:8px;width:40px;height:4px;margin-left:-20px;border-radius:2px;background:#d1d5db}' +
      '.' + P + 'close{width:44px;height:44px;border:0;border-radius:22px;background:transparent;font:28px/1 system-ui,sans-serif;color:#111827;cursor:pointer}' +
      '.' + P + 'close:focus-visible{outline:3px solid #1d4ed8;outline-offset:-3px}' +
      '.' + P + 'frame{flex:1 1 auto;width:100%;border:0;display:block}' +
      '@media (max-width:600px){.' + P + 'overlay{align-items:flex-end;padding:0}.' + P + 'dialog{max-width:none;height:92vh;height:92dvh;border-radius:16px 16px 0 0}.' + P + 'handle{display:block}}' +
      '@media (prefers-reduced-motion:no-preference){.' + P + 'dialog{animation:' + P + 'in .2s ease-out}}' +
      '@keyframes ' + P + 'in{from{transform:translateY(24px);opacity:0}to{transform:none;opacity:1}}';
    (d.head || d.documentElement).appendChild(s);
  }

  function safe(fn, arg) { try { fn(arg); } catch (e) { if (w.console) w.console.error(e); } }

  function open(opts) {
    opts = opts || {};
    var onSuccess = typeof opts.onSuccess === 'function' ? opts.onSuccess : noop;
    var onError = typeof opts.onError === 'function' ? opts.onError : noop;
    var onClose = typeof opts.onClose === 'function' ? opts.onClose : noop;
    var orderId = String(opts.orderId || '');
    if (!ORDER_ID.test(orderId)) { safe(onError, { orderId: orderId, code: 'invalid_order_id', message: 'orderId must be an order id such as ord_…' }); return null; }
    if (!BASE) { safe(onError, { orderId: orderId, code: 'no_origin', message: 'load khqr-checkout.js with a <script src> tag' }); return null; }
    if (active) active.close('replaced');
    css();

    var previousFocus = d.activeElement;
    var previousOverflow = d.documentElement.style.overflow;
    var overlay = d.createElement('div');
    overlay.className = P + 'overlay';
    var dialog = d.createElement('div');
    dialog.className = P + 'dialog';
    dialog.setAttribute('role', 'dialog');
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-label', opts.lang === 'km' ? 'ការបង់ប្រាក់ KHQR' : 'KHQR checkout');
    var bar = d.createElement('div');
    bar.className = P + 'bar';
    var handle = d.createElement('span');
    handle.className = P + 'handle';
    handle.setAttribute('aria-hidden', 'true');
    var closeBtn = d.createElement('button');
    closeBtn.type = 'button';
    closeBtn.className = P + 'close';
    closeBtn.setAttribute('aria-label', opts.lang === 'km' ? 'បិទ' : 'Close');
    closeBtn.innerHTML = '&times;';
    var frame = d.createElement('iframe');
    frame.className = P + 'frame';
    frame.title = opts.lang === 'km' ? 'ការបង់ប្រាក់ KHQR' : 'KHQR checkout';
    frame.setAttribute('allow', 'clipboard-write');
    var q = 'embed=1&origin=' + encodeURIComponent(w.location.origin) + (opts.lang === 'km' || opts.lang === 'en' ? '&lang=' + opts.lang : '');
    frame.src = BASE + '/pay/' + orderId + '?' + q;
    bar.appendChild(handle);
    bar.appendChild(closeBtn);
    dialog.appendChild(bar);
    dialog.appendChild(frame);
    overlay.appendChild(dialog);

    var state = { orderId: orderId, paid: false, closed: false, timer: null };
    function finish(reason) {
      if (state.closed) return;
      state.closed = true;
      clearTimeout(state.timer);
      w.removeEventListener('message', onMessage);
      d.removeEventListener('keydown', onKey, true);
      if (overlay.parentNode) overlay.parentNode.removeChild(overlay);
      d.documentElement.style.overflow = previousOverflow;
      if (previousFocus && previousFocus.focus) { try { previousFocus.focus(); } catch (e) { /* gone */ } }
      if (active && active.orderId === orderId) active = null;
      safe(onClose, { orderId: orderId, paid: state.paid, reason: reason });
    }
    function onMessage(event) {
      if (event.origin !== BASE || event.source !== frame.contentWindow) return;
      var m = event.data;
      if (!m || typeof m !== 'object' || m.source !== 'khqr-checkout' || m.orderId !== orderId) return;
      if (m.type === 'paid' && !state.paid) {
        state.paid = true;
        safe(onSuccess, { orderId: orderId, status: 'PAID' });
        // Let the customer see the paid state for a moment before the modal goes away.
        state.timer = setTimeout(function () { finish('paid'); }, 1500);
      } else if (m.type === 'expired' || m.type === 'cancelled' || m.type === 'failed') {
        safe(onError, { orderId: orderId, code: m.type, status: m.status, message: 'the payment is ' + m.type });
      }
    }
    function onKey(event) {
      if (event.key === 'Escape') { event.preventDefault(); finish('dismissed'); }
      else if (event.key === 'Tab' && d.activeElement === closeBtn) { event.preventDefault(); frame.focus(); }
    }
    closeBtn.addEventListener('click', function () { finish('dismissed'); });
    overlay.addEventListener('click', function (event) { if (event.target === overlay) finish('dismissed'); });
    w.addEventListener('message', onMessage);
    d.addEventListener('keydown', onKey, true);
    d.documentElement.style.overflow = 'hidden';
    d.body.appendChild(overlay);
    closeBtn.focus();

    active = { orderId: orderId, close: function (reason) { finish(reason || 'closed'); } };
    return active;
  }

  w.KhqrCheckout = { open: open, close: function () { if (active) active.close('closed'); }, origin: BASE, version: '1' };
})(window, document);
`;
