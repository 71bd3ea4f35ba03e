import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { DemoSeeder } from '../src/demo/demo.module';
import { startTestApp, TestApp } from './helpers/test-app';
import { waitFor } from './helpers/webhook-receiver';

/** Embedded mode: the demo merchant is subscribed to the sandbox's webhook inbox, which verifies what it receives. */
describe('sandbox webhook inbox (demo merchant)', () => {
  let t: TestApp;
  let dataDir: string;
  let apiKey: string;
  let merchantId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'khqr-inbox-'));
    t = await startTestApp({ env: { SEED_DEMO: 'true', DATA_DIR: dataDir, BACKGROUND_JOBS: 'true', WEBHOOK_POLL_INTERVAL_MS: '60000' } });
    const demo = t.app.get(DemoSeeder).demo!;
    apiKey = demo.api_key;
    merchantId = demo.merchant_id;
  });
  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('subscribes the demo merchant once, even when seeding runs again', async () => {
    const list = await t.request('GET', '/v1/webhook-endpoints', { token: apiKey });
    expect(list.json.data).toEqual([expect.objectContaining({ url: `${t.url}/sandbox/webhook-inbox`, events: ['*'], status: 'enabled' })]);
    await t.app.get(DemoSeeder).onApplicationBootstrap();
    expect((await t.request('GET', '/v1/webhook-endpoints', { token: apiKey })).json.data).toHaveLength(1);
  });

  it('a new order shows up in the inbox as a verified, signed delivery', async () => {
    const created = await t.request('POST', '/v1/orders', {
      token: apiKey,
      body: { provider: 'raksmeypay', amount: '2.50', reference: `inbox-${Date.now()}` },
    });
    expect(created.status).toBe(201);
    const entry = await waitFor(async () => {
      const inbox = await t.request('GET', `/sandbox/webhook-inbox?merchant_id=${merchantId}`);
      return (inbox.json.data as { type: string; body: { data: { order: { id: string } } } }[]).find(
        (e) => e.type === 'order.created' && e.body.data.order.id === created.json.id,
      );
    }, 10_000);
    const event = (await t.request('GET', `/v1/events?limit=1`, { token: apiKey })).json.data[0];
    expect(entry).toMatchObject({ verified: true, verification_error: null, merchant_id: merchantId, webhook_id: event.id, body: event });
  });

  it('refuses (400) and records as unverified a delivery with a forged signature', async () => {
    const body = JSON.stringify({ id: 'evt_forged', type: 'order.paid', data: {} });
    const res = await t.request('POST', '/sandbox/webhook-inbox', {
      rawBody: body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'evt_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      },
    });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('invalid_signature');
    const inbox = await t.request('GET', '/sandbox/webhook-inbox');
    expect(inbox.json.data[0]).toMatchObject({ webhook_id: 'evt_forged', verified: false, merchant_id: null });
    expect((await t.request('DELETE', '/sandbox/webhook-inbox')).status).toBe(200);
    expect((await t.request('GET', '/sandbox/webhook-inbox')).json.data).toEqual([]);
  });

  it("counts only endpoints whose URL really is this inbox: another host's /sandbox/webhook-inbox verifies nothing here", async () => {
    const other = await t.createMerchant('Inbox Lookalike');
    const endpoint = await t.request('POST', '/v1/webhook-endpoints', { token: other.apiKey, body: { url: 'https://shop.example.com/sandbox/webhook-inbox' } });
    expect(endpoint.status).toBe(201);
    const body = JSON.stringify({ id: 'evt_lookalike', type: 'order.paid', data: {} });
    const timestamp = new Date();
    const signature = new Webhook(endpoint.json.secret).sign('evt_lookalike', timestamp, body);
    const res = await t.request('POST', '/sandbox/webhook-inbox', {
      rawBody: body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'evt_lookalike',
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
    });
    expect(res.status).toBe(400);
    expect((await t.request('GET', '/sandbox/webhook-inbox')).json.data[0]).toMatchObject({ webhook_id: 'evt_lookalike', verified: false, merchant_id: null });
  });
});
