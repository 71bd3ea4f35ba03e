import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Heartbeats } from '../src/common/heartbeats';
import { DemoSeeder } from '../src/demo/demo.module';
import { HEARTBEAT_NAME } from '../src/fulfillment/fulfillment.worker';
import { postTopup, sandboxPay } from './helpers/checkout';
import { startTestApp, TestApp } from './helpers/test-app';

/** What a new user gets from `npm start`: the demo merchant's widget crediting the sandbox PerfectPanel, by the background worker. */
describe('SMM top-up with the demo merchant and the background worker', () => {
  let t: TestApp;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'khqr-demo-'));
    t = await startTestApp({ env: { SEED_DEMO: 'true', DATA_DIR: dataDir, BACKGROUND_JOBS: 'true' } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('credits the demo panel user within seconds of the payment', async () => {
    expect(
      t.app
        .get(Heartbeats)
        .status()
        .map((h) => h.name),
    ).toContain(HEARTBEAT_NAME);
    const demo = t.app.get(DemoSeeder).demo!;
    const panel = await t.request('GET', '/v1/smm-panel', { token: demo.api_key });
    expect(panel.json).toMatchObject({ type: 'perfectpanel', api_url: `${t.url}/sandbox/perfectpanel`, enabled: true, effective_provider: 'bakong' });

    const res = await postTopup(t, demo.merchant_id, { amount: '20', min: '1', max: '1000', u: 'demo_user' });
    expect(res.status).toBe(303);
    const orderId = /ord_[0-9a-z]{26}/.exec(res.headers.get('location')!)![0];
    const { rows } = await t.db.query('SELECT provider, provider_reference FROM transactions WHERE order_id = $1', [orderId]);
    expect(rows[0].provider).toBe('bakong');
    await sandboxPay(t, 'bakong', rows[0].provider_reference);
    expect((await t.request('GET', `/pay/${orderId}/status`)).json.status).toBe('PAID');

    let credit: { status: string } | undefined;
    for (let i = 0; i < 40 && credit?.status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      credit = (await t.db.query('SELECT status FROM smm_credits WHERE order_id = $1', [orderId])).rows[0];
    }
    expect(credit?.status).toBe('done');
    const users = await fetch(`${t.url}/sandbox/perfectpanel/adminapi/v2/users?username=demo_user`, {
      headers: { 'x-api-key': 'demo-perfectpanel-admin-api-key' },
    });
    expect((await users.json()).data.list).toEqual([{ username: 'demo_user', balance: '20.00' }]);
  });
});
