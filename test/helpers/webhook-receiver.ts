import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  path: string;
  webhookId: string;
  timestamp: string;
  signature: string;
  rawBody: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Which of the receiver's secrets verified it (standardwebhooks library), or null. */
  verifiedWith: string | null;
  receivedAt: number;
  answered: number;
}

export interface ReceiverReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

/**
 * A merchant's webhook receiver on 127.0.0.1: verifies every delivery with the
 * `standardwebhooks` library against the secrets it was given, records it, and answers what
 * the test's `reply` decides (default 200).
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  secrets: string[] = [];
  reply: (req: { path: string; webhookId: string; count: number }) => ReceiverReply = () => ({ status: 200 });
  private server: Server;
  private readonly counts = new Map<string, number>();
  port = 0;

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    r.server = createServer((req, res) => {
      void r.handle(req).then((reply) => {
        const send = () => {
          res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
          res.end(reply.body ?? 'ok');
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
    r.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.port = (r.server.address() as AddressInfo).port;
    return r;
  }

  url(path = '/hooks'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private async handle(req: IncomingMessage): Promise<ReceiverReply> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    let verifiedWith: string | null = null;
    for (const secret of this.secrets) {
      try {
        new Webhook(secret).verify(rawBody, headers);
        verifiedWith = secret;
        break;
      } catch {
        // try the next secret
      }
    }
    const count = (this.counts.get(headers['webhook-id']) ?? 0) + 1;
    this.counts.set(headers['webhook-id'], count);
    const reply = verifiedWith ? this.reply({ path: req.url ?? '/', webhookId: headers['webhook-id'], count }) : { status: 400, body: 'bad signature' };
    let body: unknown = null;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = null;
    }
    this.received.push({
      path: req.url ?? '/',
      webhookId: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
      rawBody,
      body,
      verifiedWith,
      receivedAt: Date.now(),
      answered: reply.status,
    });
    return reply;
  }

  /** Deliveries this receiver accepted (2xx). */
  accepted(): ReceivedDelivery[] {
    return this.received.filter((d) => d.answered >= 200 && d.answered < 300);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns truthy or `timeoutMs` passes (bounded). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}
