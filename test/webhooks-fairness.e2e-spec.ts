import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { WebhookDispatcher } from '../src/events/webhook-dispatcher.service';
import { BREAKER_FAILURES } from '../src/events/webhook-policy';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';
import { sleep, waitFor } from './helpers/webhook-receiver';

/**
 * A receiver on 127.0.0.1 whose paths are either tarpits (the request is read and never
 * answered: the dispatcher's timeout ends it) or answer 200 at once. It counts the requests
 * open at the same time per path, so the per-endpoint cap is measured where it matters.
 */
class TarpitReceiver {
  private server: Server;
  readonly tarpits = new Set<string>();
  readonly open = new Map<string, number>();
  readonly maxOpen = new Map<string, number>();
  readonly arrivals: { path: string; webhookId: string; at: number; answered: boolean }[] = [];
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.open.set(path, (this.open.get(path) ?? 0) + 1);
      this.maxOpen.set(path, Math.max(this.maxOpen.get(path) ?? 0, this.open.get(path) ?? 0));
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        this.open.set(path, (this.open.get(path) ?? 1) - 1);
      };
      res.on('close', close);
      req.resume();
      req.on('end', () => {
        const tarpit = this.tarpits.has(path);
        this.arrivals.push({ path, webhookId: String(req.headers['webhook-id'] ?? ''), at: Date.now(), answered: !tarpit });
        if (!tarpit) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string) {
    return this.arrivals.filter((a) => a.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('webhook dispatch fairness: per-endpoint caps, merchants served in turn, circuit breaker', () => {
  const receiver = new TarpitReceiver();
  const apps: TestApp[] = [];
  let refSeq = 0;

  beforeAll(() => receiver.start());
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await receiver.close();
  });

  async function merchant(t: TestApp, paths: string[]): Promise<TestMerchant & { endpoints: string[] }> {
    const m = await t.createMerchant();
    await configureRaksmeypay(t, m);
    const endpoints: string[] = [];
    for (const path of paths) {
      const res = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url(path), events: ['order.created'] } });
      expect(res.status).toBe(201);
      endpoints.push(res.json.id);
    }
    return { ...m, endpoints };
  }

  async function orders(t: TestApp, m: TestMerchant, n: number): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, async () => {
        const res = await t.request('POST', '/v1/orders', {
          token: m.apiKey,
          body: { provider: 'raksmeypay', amount: '5.00', reference: `fair-${Date.now()}-${refSeq++}` },
        });
        expect(res.status).toBe(201);
      }),
    );
  }

  it("merchant A's tarpit endpoints hold at most their caps; merchant B's events are delivered without waiting for A's timeouts", async () => {
    const TIMEOUT_MS = 4000;
    // 8 slots: a merchant may hold 4 (half); an endpoint 2.
    const t = await startTestApp({
      env: {
        BACKGROUND_JOBS: 'true',
        WEBHOOK_CONCURRENCY: '8',
        WEBHOOK_ENDPOINT_CONCURRENCY: '2',
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        WEBHOOK_POLL_INTERVAL_MS: '100',
        WEBHOOK_RETRY_SCHEDULE_MS: '100,100,100,100,100,100,100,100,100,100',
      },
    });
    apps.push(t);
    await waitFor(() => t.app.get(WebhookDispatcher).listening, 5000);
    const tarpits = ['/a-tarpit-1', '/a-tarpit-2', '/a-tarpit-3'];
    for (const p of tarpits) receiver.tarpits.add(p);
    const a = await merchant(t, tarpits);
    const b = await merchant(t, ['/b-fast']);

    // A's backlog is due first: 30 events × 3 endpoints, older than anything of B's.
    await orders(t, a, 30);
    const aOpen = () => tarpits.reduce((n, p) => n + (receiver.open.get(p) ?? 0), 0);
    await waitFor(() => aOpen() >= 4, 10_000);

    await orders(t, b, 20);
    await waitFor(() => receiver.on('/b-fast').length >= 20, 15_000);
    const created = new Map<string, number>(
      (await t.db.query(`SELECT id, created_at FROM events WHERE merchant_id = $1`, [b.id])).rows.map((r) => [r.id, new Date(r.created_at).getTime()]),
    );
    expect(created.size).toBe(20);
    const latencies = receiver.on('/b-fast').map((d) => d.at - (created.get(d.webhookId) ?? 0));
    // Every one of B's deliveries arrived well before A's first attempts could time out: none waited for a slot A held.
    expect(Math.max(...latencies)).toBeLessThan(TIMEOUT_MS / 2);
    expect(new Set(receiver.on('/b-fast').map((d) => d.webhookId))).toEqual(new Set(created.keys()));

    // At the receiver: never more than 2 requests open per endpoint, and A as a whole never past half the slots.
    for (const p of tarpits) expect(receiver.maxOpen.get(p)).toBeLessThanOrEqual(2);
    expect(aOpen()).toBeLessThanOrEqual(4);
    const inFlight = (
      await t.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE merchant_id = $1 AND status = 'delivering' AND next_attempt_at > now()`, [a.id])
    ).rows[0].n;
    expect(inFlight).toBeLessThanOrEqual(4);
    for (const p of tarpits) receiver.tarpits.delete(p);
  });

  it('an endpoint that keeps not answering opens its breaker: nothing is sent during the cool-down, no attempts are burnt, then one probe closes it', async () => {
    const COOLDOWN_MS = 2000;
    const t = await startTestApp({
      env: {
        BACKGROUND_JOBS: 'true',
        WEBHOOK_CONCURRENCY: '8',
        WEBHOOK_ENDPOINT_CONCURRENCY: '2',
        WEBHOOK_TIMEOUT_MS: '300',
        WEBHOOK_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
        WEBHOOK_POLL_INTERVAL_MS: '100',
        WEBHOOK_RETRY_SCHEDULE_MS: Array.from({ length: 40 }, () => '50').join(','),
      },
    });
    apps.push(t);
    const path = '/breaker';
    receiver.tarpits.add(path);
    const c = await merchant(t, [path]);
    const endpoint = async () => (await t.db.query(`SELECT consecutive_failures, paused_until FROM webhook_endpoints WHERE id = $1`, [c.endpoints[0]])).rows[0];
    await orders(t, c, 10);

    const opened = await waitFor(async () => {
      const ep = await endpoint();
      return ep.paused_until && new Date(ep.paused_until).getTime() > Date.now() + 500 ? ep : null;
    }, 15_000);
    expect(opened.consecutive_failures).toBeGreaterThanOrEqual(BREAKER_FAILURES);
    // Open: let the attempts still on the wire end, then nothing more arrives until the cool-down is over.
    await waitFor(() => (receiver.open.get(path) ?? 0) === 0, 5000);
    const attempts = async () =>
      (
        await t.db.query(
          `SELECT sum(attempts)::int AS n, count(*) FILTER (WHERE status = 'dead')::int AS dead FROM webhook_deliveries WHERE endpoint_id = $1`,
          [c.endpoints[0]],
        )
      ).rows[0];
    await waitFor(async () => (await attempts()).n === receiver.on(path).length, 5000);
    const arrived = receiver.on(path).length;
    const before = await attempts();
    const until = new Date((await endpoint()).paused_until).getTime();
    await sleep(Math.max(0, until - Date.now() - 300));
    expect(receiver.on(path).length).toBe(arrived);
    expect(await attempts()).toEqual(before);
    expect(before.dead).toBe(0);
    expect(before.n).toBe(arrived);

    // The endpoint recovers: after the cool-down one probe gets through, its answer closes the breaker, the backlog follows.
    receiver.tarpits.delete(path);
    await waitFor(
      async () =>
        (await t.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'`, [c.endpoints[0]])).rows[0].n ===
        10,
      15_000,
    );
    const reopened = receiver.on(path).slice(arrived);
    expect(reopened[0].at).toBeGreaterThanOrEqual(until - 50);
    expect(await endpoint()).toEqual({ consecutive_failures: 0, paused_until: null });
    expect(receiver.maxOpen.get(path)).toBeLessThanOrEqual(2);
  });
});
