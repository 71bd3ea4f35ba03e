import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Delivery {
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  receivedAt: number;
}

/** A merchant's webhook receiver on 127.0.0.1: records every delivery and answers `status` (200 unless told otherwise). */
export class Receiver {
  readonly deliveries: Delivery[] = [];
  /** Every request, whatever its path (SSRF tests count hits that must not happen). */
  hits = 0;
  status = 200;
  private server: Server | null = null;
  url = '';

  async start(
    host = '127.0.0.1',
    handler?: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string> } | null,
  ): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.hits++;
        const body = Buffer.concat(chunks).toString('utf8');
        const custom = handler?.(req, body);
        if (custom) {
          res.writeHead(custom.status, custom.headers ?? {}).end();
          return;
        }
        this.deliveries.push({
          webhookId: String(req.headers['webhook-id'] ?? ''),
          timestamp: String(req.headers['webhook-timestamp'] ?? ''),
          signature: String(req.headers['webhook-signature'] ?? ''),
          body,
          receivedAt: Date.now(),
        });
        res.writeHead(this.status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    this.server = server;
    this.url = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
