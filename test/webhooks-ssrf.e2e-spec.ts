import { WebhookDispatcher } from '../src/events/webhook-dispatcher.service';
import { configureRaksmeypay } from './helpers/raksmeypay';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

/**
 * The SSRF matrix for webhook URLs with the sandbox OFF (so loopback is not allowed by
 * default): refused at creation for IP literals, at send time after DNS for host names, and
 * allowed only through OUTBOUND_ALLOWLIST (never link-local unless listed by address).
 */
/** What a refusal must not tell the merchant: a resolved address or the kind of network it is in. */
const ADDRESS_OR_RANGE = /\d+\.\d+\.\d+\.\d+|::|loopback|private|link-local|range/i;

describe('webhooks: SSRF guard (sandbox off)', () => {
  let receiver: WebhookReceiver;
  let refSeq = 0;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
  });

  async function merchant(t: TestApp): Promise<TestMerchant> {
    const m = await t.createMerchant();
    // No gateway call happens at order creation for RaksmeyPay (the link is signed locally), so the sandbox need not be mounted.
    await configureRaksmeypay(t, m);
    return m;
  }

  async function order(t: TestApp, m: TestMerchant): Promise<void> {
    const res = await t.request('POST', '/v1/orders', {
      token: m.apiKey,
      body: { provider: 'raksmeypay', amount: '1.00', reference: `ssrf-${Date.now()}-${refSeq++}` },
    });
    expect(res.status).toBe(201);
  }

  describe('no allow-list', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { SANDBOX: 'false', WEBHOOK_RETRY_SCHEDULE_MS: '10' } });
    });
    afterAll(async () => {
      await t.close();
    });

    it.each([
      'http://127.0.0.1:PORT/hooks',
      'http://10.0.0.1/hooks',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:PORT/hooks',
      'http://100.64.0.1/hooks',
      'http://[fc00::1]/hooks',
      'http://[fe80::1]/hooks',
      'http://[::ffff:127.0.0.1]:PORT/hooks',
      'http://2130706433:PORT/hooks',
      'http://0.0.0.0:PORT/hooks',
    ])('refuses the IP literal %s when the endpoint is created', async (raw) => {
      const m = await merchant(t);
      const res = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: raw.replace('PORT', String(receiver.port)) } });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('url_not_allowed');
      // "not allowed", nothing about the address (2130706433 would read back as 127.0.0.1) or its range.
      expect(res.text).not.toMatch(ADDRESS_OR_RANGE);
    });

    it('a gateway base_url whose name resolves to an internal address: the 502 says "not allowed", not the address', async () => {
      const m = await t.createMerchant();
      const put = await t.request('PUT', '/v1/provider-accounts/raksmeypay', {
        token: m.apiKey,
        body: { profile_id: 'p-ssrf', profile_key: 'k-ssrf-000000000001', base_url: `http://localhost:${receiver.port}` },
      });
      expect(put.status).toBe(200);
      const created = await t.request('POST', '/v1/orders', {
        token: m.apiKey,
        body: { provider: 'raksmeypay', amount: '1.00', reference: `ssrf-verify-${refSeq++}` },
      });
      const res = await t.request('POST', `/v1/orders/${created.json.id}/verify`, { token: m.apiKey });
      expect(res.status).toBe(502);
      expect(res.json.detail).toBe('raksmeypay: the gateway could not be reached (destination not allowed)');
      expect(res.text).not.toMatch(ADDRESS_OR_RANGE);
    });

    it('a host name resolving to loopback (localhost) is refused at send time, after DNS: nothing reaches the receiver', async () => {
      const m = await merchant(t);
      const created = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: `http://localhost:${receiver.port}/ssrf-localhost` } });
      expect(created.status).toBe(201);
      await order(t, m);
      await t.app.get(WebhookDispatcher).runOnce();
      const [row] = (await t.db.query(`SELECT status, attempts, last_status, last_error FROM webhook_deliveries WHERE endpoint_id = $1`, [created.json.id]))
        .rows;
      expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status: null });
      expect(row.last_error).toBe('refused: destination not allowed');
      expect(receiver.received.filter((d) => d.path === '/ssrf-localhost')).toHaveLength(0);
    });
  });

  describe('OUTBOUND_ALLOWLIST=127.0.0.1,0.0.0.0/0', () => {
    let t: TestApp;
    beforeAll(async () => {
      // A deliberately broad list: it opens private ranges, yet never the link-local/metadata range.
      t = await startTestApp({ env: { SANDBOX: 'false', OUTBOUND_ALLOWLIST: '127.0.0.1,0.0.0.0/0' } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('delivers to an allow-listed address', async () => {
      const m = await merchant(t);
      const created = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/allowed') } });
      expect(created.status).toBe(201);
      receiver.secrets.push(created.json.secret);
      await order(t, m);
      await t.app.get(WebhookDispatcher).runOnce();
      const got = receiver.received.filter((d) => d.path === '/allowed');
      expect(got).toHaveLength(1);
      expect(got[0].verifiedWith).toBe(created.json.secret);
    });

    it('a redirect to loopback is not followed even though loopback is allowed', async () => {
      const m = await merchant(t);
      const created = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/bounce') } });
      receiver.secrets.push(created.json.secret);
      receiver.reply = ({ path }) =>
        path === '/bounce' ? { status: 302, headers: { location: `http://127.0.0.1:${receiver.port}/internal-admin` } } : { status: 200 };
      try {
        await order(t, m);
        await t.app.get(WebhookDispatcher).runOnce();
      } finally {
        receiver.reply = () => ({ status: 200 });
      }
      expect(receiver.received.filter((d) => d.path === '/internal-admin')).toHaveLength(0);
      const [row] = (await t.db.query(`SELECT status, last_status FROM webhook_deliveries WHERE endpoint_id = $1`, [created.json.id])).rows;
      expect(row).toEqual({ status: 'failed', last_status: 302 });
    });

    it.each(['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/x', 'http://[::ffff:169.254.169.254]/x'])(
      'still refuses link-local %s',
      async (url) => {
        const m = await merchant(t);
        const res = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url } });
        expect(res.status).toBe(400);
        expect(res.json.code).toBe('url_not_allowed');
        expect(res.text).not.toMatch(ADDRESS_OR_RANGE);
      },
    );
  });

  it('169.254.169.254 is reachable only when listed by address', async () => {
    const t = await startTestApp({ env: { SANDBOX: 'false', OUTBOUND_ALLOWLIST: '169.254.169.254' } });
    try {
      const m = await merchant(t);
      expect((await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: 'http://169.254.169.254/hooks' } })).status).toBe(201);
      expect((await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: 'http://169.254.169.253/hooks' } })).status).toBe(400);
      expect((await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: `http://127.0.0.1:${receiver.port}/hooks` } })).status).toBe(
        400,
      );
    } finally {
      await t.close();
    }
  });

  it('SANDBOX=true beside a real database does not open loopback: only OUTBOUND_ALLOWLIST does', async () => {
    const t = await startTestApp({ env: { SANDBOX: 'true', OUTBOUND_ALLOWLIST: '' } });
    try {
      const m = await merchant(t);
      const res = await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/sandbox-flag-only') } });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('url_not_allowed');
    } finally {
      await t.close();
    }
  });

  it('with the sandbox on and loopback allow-listed (as the test app does), loopback is allowed but link-local is not', async () => {
    const t = await startTestApp();
    try {
      const m = await merchant(t);
      expect((await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: receiver.url('/sandboxed') } })).status).toBe(201);
      expect((await t.request('POST', '/v1/webhook-endpoints', { token: m.apiKey, body: { url: 'http://169.254.169.254/' } })).status).toBe(400);
    } finally {
      await t.close();
    }
  });
});
