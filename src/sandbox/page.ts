import type { FastifyReply } from 'fastify';
import * as QRCode from 'qrcode';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface GatewayPageInput {
  gateway: string;
  title: string;
  amountText: string;
  qrText: string;
  /** Hidden fields posted by the Pay button. */
  payAction: string;
  fields: Record<string, string>;
  cancelAction?: string;
  note?: string;
}

/** A simulated gateway's hosted payment page: amount, a QR, and the buttons a test clicks. */
export async function gatewayPage(p: GatewayPageInput): Promise<string> {
  const qr = await QRCode.toString(p.qrText, { type: 'svg', margin: 1, width: 220 });
  const hidden = Object.entries(p.fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(p.title)} — sandbox</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;display:flex;justify-content:center}main{background:#fff;margin:24px;padding:24px;border-radius:12px;max-width:360px;text-align:center;box-shadow:0 2px 12px #0002}
.tag{background:#fde68a;border-radius:6px;padding:2px 8px;font-size:12px}.amount{font-size:28px;font-weight:700;margin:12px 0}button{font-size:16px;padding:10px 28px;border:0;border-radius:8px;background:#1a9bfc;color:#fff;cursor:pointer;margin:6px}button.secondary{background:#9ca3af}</style></head>
<body><main><span class="tag">SANDBOX · ${esc(p.gateway)}</span><h1>${esc(p.title)}</h1><div class="amount" data-testid="amount">${esc(p.amountText)}</div>
<div aria-label="KHQR code">${qr}</div>${p.note ? `<p>${esc(p.note)}</p>` : ''}
<form method="post" action="${esc(p.payAction)}">${hidden}<button type="submit" id="pay">Pay</button></form>
${p.cancelAction ? `<form method="post" action="${esc(p.cancelAction)}">${hidden}<button type="submit" class="secondary" id="cancel">Cancel</button></form>` : ''}
</main></body></html>`;
}

export function errorPage(gateway: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error — sandbox</title></head><body><h1>${esc(gateway)}: payment request refused</h1><p id="error">${esc(message)}</p></body></html>`;
}

/** A simulated gateway's JSON answer, serialised as the gateway would send it. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): void {
  void reply.status(status).header('content-type', 'application/json').send(JSON.stringify(body));
}
