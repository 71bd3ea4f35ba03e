import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPage } from '../common/pagination';
import { notFound, ProblemException } from '../common/problem';
import { NOTIFY_CHANNEL } from './webhook-endpoints.service';
import { ListDeliveriesQuery, WebhookAttemptView, WebhookDeliveryView } from './webhooks.dto';

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  merchant_id: string;
  url: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_latency_ms: number | null;
  last_response: string | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function presentDelivery(r: DeliveryRow): WebhookDeliveryView {
  return {
    id: r.id,
    object: 'webhook_delivery',
    event_id: r.event_id,
    event_type: r.event_type,
    endpoint_id: r.endpoint_id,
    merchant_id: r.merchant_id,
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

const SELECT = `SELECT d.id, d.event_id, e.type AS event_type, d.endpoint_id, d.merchant_id, ep.url, d.status, d.attempts, d.next_attempt_at,
  d.last_attempt_at, d.last_status, d.last_latency_ms, d.last_response, d.last_error, d.delivered_at, d.created_at
  FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhook_endpoints ep ON ep.id = d.endpoint_id`;

/** The delivery log for operators, and replay. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(private readonly db: DataSource) {}

  async list(q: ListDeliveriesQuery) {
    const limit = q.limit ?? 20;
    const params: unknown[] = [limit + 1];
    const where: string[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.status) add('d.status = ?', q.status);
    if (q.merchant_id) add('d.merchant_id = ?', q.merchant_id);
    if (q.endpoint_id) add('d.endpoint_id = ?', q.endpoint_id);
    if (q.event_id) add('d.event_id = ?', q.event_id);
    if (q.starting_after) add('d.id < ?', q.starting_after);
    const rows: DeliveryRow[] = await this.db.query(`${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT $1`, params);
    return toPage(rows, limit, presentDelivery);
  }

  async get(id: string): Promise<WebhookDeliveryView> {
    const rows: DeliveryRow[] = await this.db.query(`${SELECT} WHERE d.id = $1`, [id]);
    if (!rows[0]) throw notFound('webhook delivery');
    const attempts: { attempt: number; started_at: Date; status: number | null; latency_ms: number; response_snippet: string | null; error: string | null }[] = await this.db.query(
      `SELECT attempt, started_at, status, latency_ms, response_snippet, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt, started_at LIMIT 100`,
      [id],
    );
    const attempt_log: WebhookAttemptView[] = attempts.map((a) => ({ ...a, started_at: new Date(a.started_at).toISOString() }));
    return { ...presentDelivery(rows[0]), attempt_log };
  }

  /**
   * Re-queue now, whatever its state (a dead delivery gets one more attempt; a delivered one is
   * sent again with the same webhook-id). Refused while an attempt is in flight, or when the
   * endpoint is disabled or deleted.
   */
  async retry(id: string): Promise<WebhookDeliveryView> {
    await this.db.transaction(async (manager) => {
      const rows: { status: string; endpoint_status: string; deleted_at: Date | null }[] = await manager.query(
        `SELECT d.status, ep.status AS endpoint_status, ep.deleted_at FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         WHERE d.id = $1 FOR UPDATE OF d`,
        [id],
      );
      const row = rows[0];
      if (!row) throw notFound('webhook delivery');
      if (row.deleted_at) throw new ProblemException(409, 'endpoint_deleted', 'the webhook endpoint was deleted');
      if (row.endpoint_status !== 'enabled') throw new ProblemException(409, 'endpoint_disabled', 'the webhook endpoint is disabled');
      if (row.status === 'delivering') throw new ProblemException(409, 'delivery_in_flight', 'an attempt is in flight; retry when it has finished');
      await manager.query(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), claimed_by = NULL, claimed_until = NULL, updated_at = now() WHERE id = $1`,
        [id],
      );
      await manager.query(`SELECT pg_notify($1, '')`, [NOTIFY_CHANNEL]);
    });
    return this.get(id);
  }
}
