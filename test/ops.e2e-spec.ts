import * as http from 'node:http';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Heartbeats } from '../src/common/heartbeats';
import { LINGER_MAX_BYTES, LINGER_MAX_MS } from '../src/common/http/lingering-close';
import { OutboxWriter } from '../src/events/outbox.writer';
import { WebhookDispatcher } from '../src/events/webhook-dispatcher.service';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TEST_ADMIN_TOKEN, TestApp, TestMerchant } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

/** The value of one Prometheus sample (`name{labels} value`), or undefined when absent. Label order as prom-client writes it. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('operations: health, metrics, limits, headers', () => {
  let t: TestApp;
  let m: TestMerchant;
  let seq = 0;
  const scrape = async () => {
    const res = await t.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text;
  };
  const newOrder = async (amount = '4.00') => {
    const res = await t.request('POST', '/v1/orders', { token: m.apiKey, body: { provider: 'raksmeypay', amount, reference: `OPS-${++seq}` } });
    expect(res.status).toBe(201);
    return res.json;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'https://shop.example.com' } });
    m = await t.createMerchant('Ops Shop');
    await configureRaksmeypay(t, m);
  });
  afterAll(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
    await t.close();
  });

  describe('health', () => {
    it('live answers without touching anything; ready checks database, migrations and loops', async () => {
      const live = await t.request('GET', '/health/live');
      expect(live.status).toBe(200);
      expect(live.json.status).toBe('ok');
      const ready = await t.request('GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.json.status).toBe('ok');
      expect(ready.json.details.database.status).toBe('up');
      expect(ready.json.details.migrations).toMatchObject({ status: 'up' });
      expect(ready.json.details.migrations.applied).toBeGreaterThanOrEqual(1);
      expect(ready.json.details.background_loops.status).toBe('up');
    });

    it('ready turns 503 when a registered loop stops beating, and green again when it beats', async () => {
      const heartbeats = t.app.get(Heartbeats);
      heartbeats.register('ops-test-loop', 100);
      try {
        expect((await t.request('GET', '/health/ready')).status).toBe(200);
        await new Promise((r) => setTimeout(r, 300));
        const stale = await t.request('GET', '/health/ready');
        expect(stale.status).toBe(503);
        expect(stale.headers.get('content-type')).toContain('application/problem+json');
        expect(stale.headers.get('retry-after')).toBe('5');
        expect(stale.json).toMatchObject({ status: 503, code: 'not_ready' });
        expect(stale.json.detail).toContain('background_loops');
        expect(stale.json.checks.background_loops.loops['ops-test-loop'].fresh).toBe(false);
        expect(stale.json.checks.database.status).toBe('up');
        heartbeats.beat('ops-test-loop');
        expect((await t.request('GET', '/health/ready')).status).toBe(200);
      } finally {
        heartbeats.unregister('ops-test-loop');
      }
    });

    it('ready reports a missing migration as not ready', async () => {
      const [{ name }] = (await t.db.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`)).rows;
      await t.db.query(`UPDATE migrations SET name = name || '_hidden' WHERE name = $1`, [name]);
      try {
        const res = await t.request('GET', '/health/ready');
        expect(res.status).toBe(503);
        expect(res.json.checks.migrations).toMatchObject({ status: 'down', missing: [name] });
      } finally {
        await t.db.query(`UPDATE migrations SET name = $1 WHERE name = $1 || '_hidden'`, [name]);
      }
      expect((await t.request('GET', '/health/ready')).status).toBe(200);
    });
  });

  it('echoes the caller’s X-Request-Id, or makes one', async () => {
    const given = await t.request('GET', '/health/live', { headers: { 'x-request-id': 'req-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('req-abc.123');
    const made = await t.request('GET', '/health/live', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // The probe is an ordinary route: it gets the same security headers as everything else.
    expect(given.headers.get('x-content-type-options')).toBe('nosniff');
    expect(given.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(given.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(given.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  describe('metrics', () => {
    it('exposes every named series, and they move with the work done', async () => {
      const before = await scrape();
      for (const name of [
        'http_request_duration_seconds',
        'khqr_orders_created_total',
        'khqr_order_transitions_total',
        'khqr_provider_call_duration_seconds',
        'khqr_provider_call_errors_total',
        'khqr_reconciliation_sweep_duration_seconds',
        'khqr_oldest_due_pending_transaction_age_seconds',
        'khqr_pending_transactions',
        'khqr_webhook_backlog',
        'khqr_webhook_delivery_lag_seconds',
        'khqr_webhook_deliveries_total',
        'khqr_smm_credits_total',
        'process_cpu_seconds_total',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect([name, before.includes(`# HELP ${name} `)]).toEqual([name, true]);
      }
      const created0 = sample(before, 'khqr_orders_created_total', { provider: 'raksmeypay', currency: 'USD' }) ?? 0;
      const paid0 = sample(before, 'khqr_order_transitions_total', { provider: 'raksmeypay', status: 'PAID' }) ?? 0;
      const calls0 = sample(before, 'khqr_provider_call_duration_seconds_count', { provider: 'raksmeypay', outcome: 'ok' }) ?? 0;
      const errors0 = sample(before, 'khqr_provider_call_errors_total', { provider: 'raksmeypay', kind: 'unavailable' }) ?? 0;
      const sweeps0 = sample(before, 'khqr_reconciliation_sweep_duration_seconds_count', { trigger: 'manual' }) ?? 0;

      // A receiver so the order's events fan out to webhook deliveries (the dispatcher loop is off in tests).
      const receiver = await WebhookReceiver.start();
      try {
        const ep = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/ops') } });
        expect(ep.status).toBe(201);
        receiver.secrets = [ep.json.secret];

        const order = await newOrder('4.00');
        const pending = await scrape();
        expect(sample(pending, 'khqr_orders_created_total', { provider: 'raksmeypay', currency: 'USD' })).toBe(created0 + 1);
        expect(sample(pending, 'khqr_pending_transactions', { provider: 'raksmeypay' })).toBeGreaterThanOrEqual(1);
        // Route pattern, not the raw URL.
        expect(sample(pending, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/orders', status: '201' })).toBeGreaterThanOrEqual(1);
        expect(pending).not.toContain(order.id);
        expect(sample(pending, 'khqr_webhook_backlog', { state: 'due' })).toBeGreaterThanOrEqual(1);
        expect(sample(pending, 'khqr_webhook_delivery_lag_seconds')).toBeGreaterThanOrEqual(0);

        // A transaction overdue for its check shows in the age gauge.
        await t.db.query(`UPDATE transactions SET next_check_at = now() - interval '90 seconds' WHERE id = $1`, [order.transaction.id]);
        expect(sample(await scrape(), 'khqr_oldest_due_pending_transaction_age_seconds')).toBeGreaterThanOrEqual(89);

        // A failing gateway call counts as an error, a good one as ok.
        await t.request('POST', '/sandbox/control/faults', { body: { provider: 'raksmeypay', mode: 'http500' } });
        expect((await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey })).status).toBe(502);
        await t.request('DELETE', '/sandbox/control/faults');
        await t.request('POST', '/sandbox/control/pay', { body: { provider: 'raksmeypay', provider_reference: order.transaction.provider_reference } });
        const verified = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: m.apiKey });
        expect(verified.json.status).toBe('PAID');

        const sweep = await t.request('POST', '/admin/reconciliation/runs', { token: TEST_ADMIN_TOKEN });
        expect(sweep.status).toBe(201);
        await t.app.get(WebhookDispatcher).drain();
        expect(receiver.received.length).toBeGreaterThanOrEqual(2);

        const after = await scrape();
        expect(sample(after, 'khqr_order_transitions_total', { provider: 'raksmeypay', status: 'PAID' })).toBe(paid0 + 1);
        expect(sample(after, 'khqr_provider_call_duration_seconds_count', { provider: 'raksmeypay', outcome: 'ok' })).toBeGreaterThanOrEqual(calls0 + 1);
        expect(sample(after, 'khqr_provider_call_errors_total', { provider: 'raksmeypay', kind: 'unavailable' })).toBe(errors0 + 1);
        expect(sample(after, 'khqr_reconciliation_sweep_duration_seconds_count', { trigger: 'manual' })).toBe(sweeps0 + 1);
        expect(sample(after, 'khqr_webhook_deliveries_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(2);
        expect(sample(after, 'khqr_webhook_backlog', { state: 'due' })).toBe(0);
        expect(sample(after, 'khqr_webhook_delivery_lag_seconds')).toBe(0);
        expect(sample(after, 'khqr_oldest_due_pending_transaction_age_seconds')).toBe(0);
        expect(sample(after, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/orders/:id/verify', status: '502' })).toBe(1);
      } finally {
        await receiver.close();
      }
    });

    it('an order event counts only once its database transaction commits, and never when it rolls back', async () => {
      const count = async () => sample(await scrape(), 'khqr_orders_created_total', { provider: 'raksmeypay', currency: 'USD' }) ?? 0;
      const order = await newOrder('1.00');
      const outbox = t.app.get(OutboxWriter);
      const db = t.app.get(DataSource);
      const event = (sequence: number) => ({
        merchantId: m.id,
        livemode: true,
        orderId: order.id,
        type: 'order.created' as const,
        sequence,
        data: { order: { provider: 'raksmeypay', currency: 'USD', status: 'PENDING' } },
      });
      const before = await count();

      await expect(
        db.transaction(async (manager) => {
          await outbox.append(manager, event(1001));
          throw new Error('rolled back on purpose');
        }),
      ).rejects.toThrow('rolled back on purpose');
      expect(await count()).toBe(before);

      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let appended!: () => void;
      const inside = new Promise<void>((r) => (appended = r));
      const tx = db.transaction(async (manager) => {
        await outbox.append(manager, event(1002));
        appended();
        await held;
      });
      await inside;
      expect(await count()).toBe(before); // written but not committed
      release();
      await tx;
      expect(await count()).toBe(before + 1);
    });
  });

  describe('limits and headers', () => {
    it('a body over 1 MiB answers a 413 problem and creates nothing', async () => {
      const reference = `BIG-${Date.now()}`;
      const res = await t.request('POST', '/v1/orders', {
        token: m.apiKey,
        body: { provider: 'raksmeypay', amount: '1.00', reference, description: 'x'.repeat(1024 * 1024 + 10) },
      });
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.code).toBe('body_too_large');
      expect((await t.db.query(`SELECT count(*)::int AS n FROM orders WHERE reference = $1`, [reference])).rows[0].n).toBe(0);
    });

    it('the 413 reaches fetch, node:http and plain socket clients every time, for 2 MiB and 20 MiB bodies sent quickly or slowly (lingering close)', async () => {
      const MiB = 1024 * 1024;
      const target = new URL('/v1/orders', t.url);
      const headers = { authorization: `Bearer ${m.apiKey}`, 'content-type': 'application/json' };
      const CHUNK = Buffer.alloc(64 * 1024, 0x20);
      const pause = () => new Promise((r) => setTimeout(r, 1));

      // fetch (undici): quick = one buffer with Content-Length; slow = a stream in 64 KiB steps (chunked, no length).
      const viaFetch = async (size: number, slow: boolean) => {
        let body: BodyInit;
        if (!slow) body = Buffer.alloc(size, 0x20);
        else {
          let sent = 0;
          body = new ReadableStream<Uint8Array>({
            async pull(controller) {
              if (sent >= size) return controller.close();
              await pause();
              sent += CHUNK.length;
              controller.enqueue(new Uint8Array(CHUNK));
            },
          });
        }
        const res = await fetch(target, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
        return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
      };

      // node:http: quick = the whole body in one write with Content-Length; slow = 64 KiB steps, chunked, the whole body whatever the answer (as a simple client does).
      const viaHttp = (size: number, slow: boolean) =>
        new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
          let answered = false;
          const req = http.request(target, { method: 'POST', headers: slow ? headers : { ...headers, 'content-length': String(size) } }, (res) => {
            answered = true;
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body: text }));
          });
          // After the answer has arrived, the server closing the rest of an oversized upload is expected.
          req.on('error', (err) => (answered ? undefined : reject(err)));
          if (!slow) return void req.end(Buffer.alloc(size, 0x20));
          void (async () => {
            for (let sent = 0; sent < size && !req.destroyed; sent += CHUNK.length) {
              await pause();
              req.write(CHUNK);
            }
            if (!req.destroyed) req.end();
          })();
        });

      // A plain TCP client that writes and reads independently (as many HTTP libraries do): the one that lost the 413 most
      // often, since a write failing on a reset socket ends it before the answer already received is read.
      const viaSocket = (size: number, slow: boolean) =>
        new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
          const socket = net.connect(Number(target.port), target.hostname);
          let received = '';
          socket.on('data', (d) => (received += d.toString('latin1')));
          socket.on('error', (err) => (received ? undefined : reject(err)));
          socket.on('close', () => {
            const [head, body = ''] = received.split('\r\n\r\n');
            if (!head) return reject(new Error('closed without an answer'));
            resolve({ status: Number(head.split(' ')[1]), type: /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1], body });
          });
          const auth = Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('');
          const framing = slow ? 'transfer-encoding: chunked\r\n' : `content-length: ${size}\r\n`;
          socket.write(`POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\n${auth}${framing}\r\n`);
          if (!slow) return void socket.write(Buffer.alloc(size, 0x20));
          void (async () => {
            for (let sent = 0; sent < size && !socket.destroyed; sent += CHUNK.length) {
              await pause();
              socket.write(`${CHUNK.length.toString(16)}\r\n`);
              socket.write(CHUNK);
              socket.write('\r\n');
            }
            if (!socket.destroyed) socket.end('0\r\n\r\n');
          })();
        });

      for (let round = 0; round < 3; round++) {
        for (const size of [2 * MiB, 20 * MiB]) {
          for (const slow of [false, true]) {
            for (const [client, send] of [
              ['fetch', viaFetch],
              ['node:http', viaHttp],
              ['socket', viaSocket],
            ] as const) {
              const res = await send(size, slow).catch((err: Error & { cause?: Error }) => ({
                status: `${err.message} ${err.cause?.message ?? ''}`,
                type: '',
                body: '',
              }));
              expect({ client, size, slow, status: res.status, type: res.type }).toEqual({
                client,
                size,
                slow,
                status: 413,
                type: expect.stringContaining('application/problem+json'),
              });
              expect(JSON.parse(res.body).code).toBe('body_too_large');
            }
          }
        }
      }
      // Still serving normally afterwards.
      expect((await t.request('GET', '/v1/orders', { token: m.apiKey })).status).toBe(200);
    });

    it('the lingering after a 413 is bounded: a flood is cut after LINGER_MAX_BYTES, a trickle after LINGER_MAX_MS', async () => {
      const target = new URL(t.url);
      // Sends an endless body (Content-Length 1 GiB) at `pace`; resolves with what it got back once the server has closed the connection.
      const endless = (pace: 'flood' | 'trickle') =>
        new Promise<{ status: number; written: number; closedWhileSending: boolean; lingeredMs: number }>((resolve) => {
          // allowHalfOpen: the server's FIN after its answer must not stop this client; only the server's close does.
          const socket = net.connect({ port: Number(target.port), host: target.hostname, allowHalfOpen: true });
          let received = '';
          let open = true;
          let answeredAt = 0;
          socket.on('data', (d) => {
            answeredAt ||= Date.now();
            received += d.toString('latin1');
          });
          socket.on('error', () => undefined);
          socket.on('close', () => {
            const closedWhileSending = open;
            open = false;
            resolve({ status: Number(received.split(' ')[1]), written: socket.bytesWritten, closedWhileSending, lingeredMs: Date.now() - answeredAt });
          });
          socket.write(
            `POST /v1/orders HTTP/1.1\r\nhost: ${target.host}\r\nauthorization: Bearer ${m.apiKey}\r\ncontent-type: application/json\r\ncontent-length: ${1024 ** 3}\r\n\r\n`,
          );
          const chunk = Buffer.alloc(pace === 'flood' ? 256 * 1024 : 1024, 0x20);
          void (async () => {
            while (open && !socket.destroyed) {
              if (pace === 'trickle') await new Promise((r) => setTimeout(r, 50));
              if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
            }
          })();
        });

      const flood = await endless('flood');
      expect(flood.status).toBe(413);
      expect(flood.closedWhileSending).toBe(true);
      // What the server read and dropped, plus what the two kernels' socket buffers held: far below the 1 GiB offered.
      expect(flood.written).toBeLessThan(LINGER_MAX_BYTES + 32 * 1024 * 1024);

      const trickle = await endless('trickle');
      expect(trickle.status).toBe(413);
      // Cut by the server (the client never stops on its own), after LINGER_MAX_MS of bytes well under the byte bound.
      expect(trickle.closedWhileSending).toBe(true);
      expect(trickle.written).toBeLessThan(LINGER_MAX_BYTES);
      expect(trickle.lingeredMs).toBeGreaterThanOrEqual(LINGER_MAX_MS / 2);
    });

    it('security headers: CSP that Swagger UI and our pages work under, framing only for embeddable pages', async () => {
      const docs = await t.request('GET', '/docs');
      expect(docs.status).toBe(200);
      const csp = docs.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self' 'unsafe-inline'");
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("img-src 'self' data: blob:");
      expect(csp).toContain("frame-ancestors 'self'");
      expect(docs.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
      expect(docs.headers.get('referrer-policy')).toBe('no-referrer');
      expect(docs.headers.get('x-dns-prefetch-control')).toBe('off');
      expect(docs.headers.get('x-permitted-cross-domain-policies')).toBe('none');
      expect(docs.headers.get('origin-agent-cluster')).toBe('?1');
      // Swagger UI's assets are same-origin, so the policy lets them load.
      const assets = [...docs.text.matchAll(/(?:src|href)="\.?\/?([^"]+\.(?:js|css))"/g)].map((x) => x[1]);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) expect(asset.startsWith('http')).toBe(false);

      const api = await t.request('GET', '/v1/orders', { token: m.apiKey });
      expect(api.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(api.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");

      // Embeddable paths get no X-Frame-Options from us; a page that sets its own (stricter, nonce-based) policy keeps it.
      const order = await newOrder();
      const pay = await t.request('GET', `/pay/${order.id}`);
      expect(pay.headers.get('x-frame-options')).toBeNull();
      expect(pay.headers.get('content-security-policy')).toContain('frame-ancestors');
      expect(pay.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      const missing = await t.request('GET', '/pay/ord_01jd0000000000000000000000');
      expect(missing.headers.get('x-frame-options')).toBeNull();
      // No HSTS on a plain-http PUBLIC_BASE_URL.
      expect(pay.headers.get('strict-transport-security')).toBeNull();
    });

    it('CORS answers for configured origins only', async () => {
      const ok = await t.request('OPTIONS', '/v1/orders', {
        headers: {
          origin: 'https://shop.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,idempotency-key',
        },
      });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
      const other = await t.request('OPTIONS', '/v1/orders', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const simple = await t.request('GET', '/health/live', { headers: { origin: 'https://shop.example.com' } });
      expect(simple.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    });
  });
});

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_KEY_PER_S: '4', RATE_LIMIT_PER_IP_PER_S: '3' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const burst = (n: number, fn: () => Promise<{ status: number }>) => Promise.all(Array.from({ length: n }, fn));

  it('per API key: over the limit answers 429 problems with Retry-After; another key is unaffected; the window refills', async () => {
    const a = await t.createMerchant('Busy');
    const b = await t.createMerchant('Quiet');
    const results = await burst(8, () => t.request('GET', '/v1/orders', { token: a.apiKey }));
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200)).toHaveLength(4);
    expect(limited).toHaveLength(4);
    const one = limited[0] as Awaited<ReturnType<TestApp['request']>>;
    expect(one.headers.get('content-type')).toContain('application/problem+json');
    expect(one.json).toMatchObject({ status: 429, code: 'rate_limited', limit: 4 });
    expect(Number(one.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(one.headers.get('retry-after-api_key')).toBeNull();

    expect((await t.request('GET', '/v1/orders', { token: b.apiKey })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const later = await t.request('GET', '/v1/orders', { token: a.apiKey });
    expect(later.status).toBe(200);
    expect(later.headers.get('x-ratelimit-limit')).toBe('4');
  });

  it('per IP on public callbacks and pages; admin and health are not limited', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const results = await burst(6, () => t.request('GET', '/callbacks/raksmeypay/100000001/return?success_time=1'));
    // Within the limit the callback itself answers (400: a stale return, whether or not the number exists); beyond it, 429.
    expect(results.filter((r) => r.status === 400)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(3);
    const page = await t.request('GET', '/pay/ord_01jd0000000000000000000000');
    expect(page.status).toBe(429);
    expect(page.json.code).toBe('rate_limited');

    const admin = await burst(10, () => t.request('GET', '/admin/merchants', { token: TEST_ADMIN_TOKEN }));
    expect(admin.every((r) => r.status === 200)).toBe(true);
    const health = await burst(10, () => t.request('GET', '/health/live'));
    expect(health.every((r) => r.status === 200)).toBe(true);
  });
});

describe('behind the shipped proxy (docker-compose.yml + deploy/nginx.conf)', () => {
  let t: TestApp;
  // The app's TRUST_PROXY exactly as docker-compose.yml ships it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const compose = (require('js-yaml') as { load(text: string): unknown }).load(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8')) as {
    services: { app: { environment: Record<string, string> } };
  };
  const shippedTrustProxy = compose.services.app.environment.TRUST_PROXY;

  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: shippedTrustProxy, RATE_LIMIT_PER_IP_PER_S: '3', ADMIN_AUTH_FAILURES_PER_MIN: '10', API_DOCS: 'false' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a forged X-Forwarded-For cannot choose the address the rate limiter sees; the proxy’s entry can', async () => {
    // This test's socket plays nginx. A client that sends its own X-Forwarded-For gets the real address after it
    // (what an appending proxy would forward; the shipped nginx replaces the header outright): the app believes only the last hop.
    const forged = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.request('GET', '/callbacks/raksmeypay/100000001/return', { headers: { 'x-forwarded-for': `203.0.113.${i + 1}, 198.51.100.7` } }),
      ),
    );
    // An unknown number answers 400 like a forged return (the numbers cannot be walked); over the budget, 429.
    expect(forged.filter((r) => r.status === 400)).toHaveLength(3);
    expect(forged.filter((r) => r.status === 429)).toHaveLength(3);
    // Another client behind the same proxy has its own budget.
    expect((await t.request('GET', '/callbacks/raksmeypay/100000001/return', { headers: { 'x-forwarded-for': '198.51.100.8' } })).status).toBe(400);
  });

  it('wrong admin tokens are throttled per address (429 with Retry-After after 10 a minute); correct tokens never count', async () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const attacker = from('198.51.100.20');
    for (let i = 0; i < 15; i++) expect((await t.request('GET', '/admin/merchants', { token: TEST_ADMIN_TOKEN, headers: attacker })).status).toBe(200);
    for (let i = 0; i < 10; i++)
      expect((await t.request('GET', '/admin/merchants', { token: `adm_guess_${i}_0123456789abcdef`, headers: attacker })).status).toBe(401);
    const blocked = await t.request('GET', '/admin/merchants', { token: 'adm_guess_10_0123456789abcdef', headers: attacker });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('content-type')).toContain('application/problem+json');
    expect(blocked.json).toMatchObject({ status: 429, code: 'rate_limited', limit: 10 });
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // While blocked, even the right token gets 429: answering it would tell a guesser which guess was right.
    expect((await t.request('GET', '/admin/merchants', { token: TEST_ADMIN_TOKEN, headers: attacker })).status).toBe(429);
    // Other addresses are unaffected.
    expect((await t.request('GET', '/admin/merchants', { token: TEST_ADMIN_TOKEN, headers: from('198.51.100.21') })).status).toBe(200);
    expect((await t.request('GET', '/admin/merchants', { token: 'adm_wrong_0123456789abcdef', headers: from('198.51.100.21') })).status).toBe(401);
  });

  it('API_DOCS=false turns off Swagger UI and the OpenAPI document', async () => {
    for (const path of ['/docs', '/docs-json']) expect([path, (await t.request('GET', path)).status]).toEqual([path, 404]);
  });
});
