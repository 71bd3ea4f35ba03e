import { WebhookDispatcher } from '../../src/events/webhook-dispatcher.service';
import type { TestApp, TestMerchant } from './test-app';
import type { WebhookReceiver } from './webhook-receiver';

/**
 * Every refund event of `m` (created, succeeded and failed all present) reached `receiver` under its
 * event id, signed (verified with standardwebhooks), with a body matching `{id, type, data: dataShape}`.
 */
export async function expectRefundEventsDelivered(t: TestApp, m: TestMerchant, receiver: WebhookReceiver, dataShape: Record<string, unknown>): Promise<void> {
  await t.app.get(WebhookDispatcher).drain();
  const expected = await t.db.query(`SELECT id, type FROM events WHERE merchant_id = $1 AND type LIKE 'refund.%'`, [m.id]);
  expect(new Set(expected.rows.map((r) => r.type))).toEqual(new Set(['refund.created', 'refund.succeeded', 'refund.failed']));
  const delivered = new Map(receiver.accepted().map((d) => [d.webhookId, d]));
  for (const event of expected.rows) {
    const d = delivered.get(event.id);
    expect({ id: event.id, verified: Boolean(d?.verifiedWith) }).toEqual({ id: event.id, verified: true });
    expect(d!.body).toMatchObject({ id: event.id, type: event.type, data: dataShape });
  }
}
