import { Injectable } from '@nestjs/common';
import { toPage } from '../common/pagination';
import { notFound, problem } from '../common/problem';
import type { Scope } from '../common/scope';
import { EVENTS_ERRORS } from './events.errors';
import { DeliveryRow, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { ListDeliveriesQuery, WebhookAttemptView, WebhookDeliveryView } from './webhooks.dto';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function presentDelivery(r: DeliveryRow): WebhookDeliveryView {
  return {
    id: r.id,
    object: 'webhook_delivery',
    event_id: r.event_id,
    event_type: r.event_type,
    endpoint_id: r.endpoint_id,
    merchant_id: r.merchant_id,
    livemode: r.livemode,
    url: r.url,
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.status === 'delivered' || r.status === 'dead' ? null : iso(r.next_attempt_at),
    last_attempt_at: iso(r.last_attempt_at),
    last_status: r.last_status,
    last_latency_ms: r.last_latency_ms,
    last_response: r.last_response,
    last_error: r.last_error,
    delivered_at: iso(r.delivered_at),
    created_at: new Date(r.created_at).toISOString(),
  };
}

/** The delivery log and replay: for operators across merchants and modes, for a merchant its own in one mode (`owner` given: another merchant's, or the other mode's, delivery answers 404). */
@Injectable()
export class WebhookDeliveriesService {
  constructor(private readonly deliveries: WebhookDeliveriesRepository) {}

  async list(q: ListDeliveriesQuery, owner?: Scope) {
    const limit = q.limit ?? 20;
    const rows = await this.deliveries.list({
      status: q.status,
      merchantId: owner?.merchantId ?? q.merchant_id,
      livemode: owner?.livemode,
      endpointId: q.endpoint_id,
      eventId: q.event_id,
      startingAfter: q.starting_after,
      limit,
    });
    return toPage(rows, limit, presentDelivery);
  }

  async get(id: string, owner?: Scope): Promise<WebhookDeliveryView> {
    const row = await this.deliveries.find(id, owner);
    if (!row) throw notFound('webhook delivery');
    const attempts = await this.deliveries.attempts(id);
    const attempt_log: WebhookAttemptView[] = attempts.map((a) => ({ ...a, started_at: new Date(a.started_at).toISOString() }));
    return { ...presentDelivery(row), attempt_log };
  }

  /**
   * Re-queue now, whatever its state (a dead delivery gets one more attempt; a delivered one is
   * sent again with the same webhook-id). Refused while an attempt is in flight, or when the
   * endpoint is disabled or deleted.
   */
  async retry(id: string, owner?: Scope): Promise<WebhookDeliveryView> {
    await this.deliveries.inTransaction(async (manager) => {
      const row = await this.deliveries.lockForReplay(manager, id, owner);
      if (!row) throw notFound('webhook delivery');
      if (row.deleted_at) throw problem(EVENTS_ERRORS.endpoint_deleted, 'the webhook endpoint was deleted');
      if (row.endpoint_status !== 'enabled') throw problem(EVENTS_ERRORS.endpoint_disabled, 'the webhook endpoint is disabled');
      if (row.status === 'delivering') throw problem(EVENTS_ERRORS.delivery_in_flight, 'an attempt is in flight; retry when it has finished');
      await this.deliveries.requeueNow(manager, id);
    });
    return this.get(id, owner);
  }
}
