import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { NotificationDispatcher } from '../src/notifications/notification-dispatcher';
import { configureBakong } from './helpers/bakong';
import { startTestApp, TestApp, TestMerchant } from './helpers/test-app';

const botToken = () => `${100000 + Math.floor(Math.random() * 899999)}:AA${randomBytes(24).toString('base64url')}`;

describe('Telegram merchant notifications (through the sandbox Bot API)', () => {
  let t: TestApp;
  let m: TestMerchant;
  let other: TestMerchant;
  const logs: string[] = [];
  const token = botToken();
  const otherToken = botToken();
  const dispatch = () => t.app.get(NotificationDispatcher).runOnce();
  const messages = async (tok: string) =>
    (await t.request('GET', `/sandbox/telegram/bot${tok}/sandboxMessages`)).json.result as { chat: { id: string }; text: string }[];
  const deliveries = async (merchantId: string) =>
    (await t.db.query(`SELECT status, attempts, last_status, last_error FROM notification_deliveries WHERE merchant_id = $1 ORDER BY created_at`, [merchantId]))
      .rows;
  const paidOrder = async (merchant: TestMerchant, reference: string, amount = '12.50') => {
    const order = (await t.request('POST', '/v1/orders', { token: merchant.apiKey, body: { provider: 'bakong', amount, reference } })).json;
    await t.request('POST', '/sandbox/control/pay', { body: { provider: 'bakong', provider_reference: order.transaction.provider_reference } });
    const verified = await t.request('POST', `/v1/orders/${order.id}/verify`, { token: merchant.apiKey });
    expect(verified.json.status).toBe('PAID');
    return order;
  };

  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    t = await startTestApp({ env: { LOG_LEVEL: 'debug' }, logStream });
    // The Bot API at this app's own sandbox (the port is known only once the app listens).
    t.config.telegramApiBaseUrl = `${t.url}/sandbox/telegram`;
    m = await t.createMerchant('Telegram Shop');
    other = await t.createMerchant('Other Shop');
    await configureBakong(t, m);
    await configureBakong(t, other);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(async () => {
    await t.request('DELETE', '/sandbox/control/faults');
  });

  it('PUT/GET/DELETE a channel: bot_token write-only and masked, bad input refused with nothing stored, another merchant unaffected', async () => {
    const bad = await t.request('PUT', '/v1/notification-channels/telegram', {
      token: m.apiKey,
      body: { bot_token: '1/../../admin', chat_id: 'x y', events: ['order.paid', 'nope'], language: 'fr' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await t.request('GET', '/v1/notification-channels', { token: m.apiKey })).json.data).toEqual([]);

    const put = await t.request('PUT', '/v1/notification-channels/telegram', { token: m.apiKey, body: { bot_token: token, chat_id: '-100123' } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ type: 'telegram', chat_id: '-100123', events: ['order.paid'], language: 'km', bot_token: `••••${token.slice(-4)}` });
    expect(put.text).not.toContain(token);
    const list = await t.request('GET', '/v1/notification-channels', { token: m.apiKey });
    expect(list.json.data).toHaveLength(1);
    expect(list.text).not.toContain(token);
    const { rows } = await t.db.query(`SELECT bot_token_sealed FROM notification_channels WHERE merchant_id = $1`, [m.id]);
    expect(rows[0].bot_token_sealed).not.toContain(token.split(':')[1]);
    expect((await t.request('GET', '/v1/notification-channels', { token: other.apiKey })).json.data).toEqual([]);
    expect((await t.request('DELETE', '/v1/notification-channels/telegram', { token: other.apiKey })).status).toBe(404);
  });

  it('a paid order sends one message (Khmer by default) to its merchant only; another merchant gets none', async () => {
    await t.request('PUT', '/v1/notification-channels/telegram', {
      token: other.apiKey,
      body: { bot_token: otherToken, chat_id: '777', events: ['order.expired'] },
    });
    const order = await paidOrder(m, 'TG-1');
    await paidOrder(other, 'TG-OTHER');
    expect(await dispatch()).toBe(1);
    expect(await dispatch()).toBe(0);
    const got = await messages(token);
    expect(got).toHaveLength(1);
    expect(got[0].chat.id).toBe('-100123');
    expect(got[0].text).toBe(
      ['✅ បានទទួលការបង់ប្រាក់', 'ចំនួនទឹកប្រាក់: 12.50 USD', 'លេខយោង: TG-1', 'ច្រកទូទាត់: Bakong Open API (NBC)', `ការបញ្ជាទិញ: ${order.id}`].join('\n'),
    );
    expect(await messages(otherToken)).toEqual([]);
    expect(await deliveries(other.id)).toEqual([]);
    expect(await deliveries(m.id)).toEqual([{ status: 'delivered', attempts: 1, last_status: 200, last_error: null }]);
  });

  it('the Bot API failing: retried on the webhook schedule, then sent once; English when asked; the token never in logs or errors', async () => {
    await t.request('PUT', '/v1/notification-channels/telegram', { token: m.apiKey, body: { bot_token: token, chat_id: '-100123', language: 'en' } });
    const before = (await messages(token)).length;
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'telegram', mode: 'http500' } });
    await paidOrder(m, 'TG-RETRY', '5000.00');
    expect(await dispatch()).toBe(1);
    const [, failed] = await deliveries(m.id);
    expect(failed).toEqual({ status: 'failed', attempts: 1, last_status: 500, last_error: 'HTTP 500' });
    const { rows } = await t.db.query(
      `SELECT extract(epoch FROM next_attempt_at - updated_at) AS wait FROM notification_deliveries WHERE merchant_id = $1 AND status = 'failed'`,
      [m.id],
    );
    // The first step of the webhook schedule: 5 s ± 20 %.
    expect(Number(rows[0].wait)).toBeGreaterThanOrEqual(4);
    expect(Number(rows[0].wait)).toBeLessThanOrEqual(6);
    expect(await dispatch()).toBe(0); // not due yet
    await t.request('DELETE', '/sandbox/control/faults');
    await t.db.query(`UPDATE notification_deliveries SET next_attempt_at = now() WHERE merchant_id = $1 AND status = 'failed'`, [m.id]);
    expect(await dispatch()).toBe(1);
    const got = await messages(token);
    expect(got).toHaveLength(before + 1);
    expect(got[got.length - 1].text).toMatch(/^✅ Payment received\nAmount: 5000\.00 USD\nReference: TG-RETRY\nGateway: Bakong Open API \(NBC\)\n/);
    expect((await deliveries(m.id))[1]).toEqual({ status: 'delivered', attempts: 2, last_status: 200, last_error: null });
    expect(logs.join('')).toContain('sendMessage'); // the simulator's request lines are logged …
    expect(logs.join('')).not.toContain(token.split(':')[1]); // … without the token
  });

  it('dead after the last attempt of the schedule', async () => {
    await t.request('POST', '/sandbox/control/faults', { body: { provider: 'telegram', mode: 'http500' } });
    await paidOrder(m, 'TG-DEAD');
    const steps = t.config.webhookRetryScheduleMs.length;
    for (let i = 0; i <= steps; i++) {
      await t.db.query(`UPDATE notification_deliveries SET next_attempt_at = now() WHERE merchant_id = $1 AND status = 'failed'`, [m.id]);
      expect(await dispatch()).toBe(1);
    }
    expect((await deliveries(m.id))[2]).toEqual({ status: 'dead', attempts: steps + 1, last_status: 500, last_error: 'HTTP 500' });
  });

  it('the simulator acts only for bots a merchant registered', async () => {
    const stranger = botToken();
    const res = await t.request('POST', `/sandbox/telegram/bot${stranger}/sendMessage`, { body: { chat_id: 1, text: 'hi' } });
    expect(res.status).toBe(401);
    expect((await t.request('GET', `/sandbox/telegram/bot${stranger}/sandboxMessages`)).status).toBe(401);
    expect((await t.request('DELETE', '/v1/notification-channels/telegram', { token: m.apiKey })).json).toEqual({ type: 'telegram', deleted: true });
    expect((await t.request('POST', `/sandbox/telegram/bot${token}/sendMessage`, { body: { chat_id: 1, text: 'hi' } })).status).toBe(401);
  });
});
