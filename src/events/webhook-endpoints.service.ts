import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SecretBox } from '../common/crypto';
import { OutboundHttp } from '../common/http/outbound-http';
import { isIpLiteral, NOT_ALLOWED } from '../common/http/ssrf-guard';
import { newId } from '../common/ids';
import { toPage } from '../common/pagination';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { AppConfig } from '../config/config';
import { newWebhookSecret } from './webhook-policy';
import { CreateWebhookEndpointDto, WebhookEndpointView, WebhookEndpointWithSecretView } from './webhooks.dto';
import { returnedRows } from '../database/rows';

/** Enough for staging + production + a rotation overlap; keeps the per-event fan-out bounded. */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;
export const DEFAULT_GRACE_SECONDS = 24 * 3600;
export const NOTIFY_CHANNEL = 'webhook_deliveries';

export interface EndpointRow {
  id: string;
  merchant_id: string;
  url: string;
  events: string[];
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The associated data that binds a sealed secret to its endpoint row. */
export const secretAad = (endpointId: string) => `webhook_endpoint:${endpointId}`;

export function presentEndpoint(row: EndpointRow): WebhookEndpointView {
  const graceLeft = row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > new Date();
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    events: row.events.length ? row.events : ['*'],
    status: row.status,
    disabled_reason: row.disabled_reason,
    previous_secret_expires_at: graceLeft ? new Date(row.previous_secret_expires_at as Date).toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/**
 * Merchant webhook endpoints and the fan-out of events to them. Secrets are sealed with
 * SecretBox (the dispatcher must be able to sign with them), returned once at creation or
 * rotation, and never logged.
 */
@Injectable()
export class WebhookEndpointsService {
  private readonly box: SecretBox;

  constructor(
    private readonly db: DataSource,
    private readonly http: OutboundHttp,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  /** The endpoint's signing secrets: the current one, plus the previous one while its grace period lasts. */
  signingSecrets(row: Pick<EndpointRow, 'id' | 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at'>, now = new Date()): string[] {
    const secrets = [this.box.open(row.secret_sealed, secretAad(row.id))];
    if (row.previous_secret_sealed && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now) {
      secrets.push(this.box.open(row.previous_secret_sealed, secretAad(row.id)));
    }
    return secrets;
  }

  /** Absolute http(s), no credentials or fragment; an IP literal the SSRF guard refuses is refused now rather than at every attempt. */
  validateUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw validationProblem([{ field: 'url', message: 'url must be an absolute http(s) URL' }]);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw validationProblem([{ field: 'url', message: 'url must be an absolute http(s) URL' }]);
    if (url.username || url.password) throw validationProblem([{ field: 'url', message: 'url must not contain credentials' }]);
    if (url.hash) throw validationProblem([{ field: 'url', message: 'url must not contain a fragment' }]);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIpLiteral(host)) {
      // Refused without naming the address or its range (the URL parser may have turned 2130706433 into 127.0.0.1).
      if (this.http.guard.refusal(host, host)) throw new ProblemException(400, 'url_not_allowed', `webhook url: ${NOT_ALLOWED}`, { errors: [{ field: 'url', message: NOT_ALLOWED }] });
    }
    return url.toString();
  }

  async create(merchantId: string, dto: CreateWebhookEndpointDto): Promise<WebhookEndpointWithSecretView> {
    const url = this.validateUrl(dto.url);
    const events = normaliseEvents(dto.events);
    const id = newId('we');
    const secret = newWebhookSecret();
    return this.db.transaction(async (manager) => {
      // Serialise creations per merchant so the cap holds under concurrency.
      await manager.query(`SELECT 1 FROM merchants WHERE id = $1 FOR UPDATE`, [merchantId]);
      const [{ count }]: { count: string }[] = await manager.query(`SELECT count(*) FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL`, [merchantId]);
      if (Number(count) >= MAX_ENDPOINTS_PER_MERCHANT) {
        throw new ProblemException(409, 'too_many_endpoints', `a merchant may have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first`);
      }
      const rows: EndpointRow[] = await manager.query(
        `INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret_sealed) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [id, merchantId, url, events, this.box.seal(secret, secretAad(id))],
      );
      return { ...presentEndpoint(rows[0]), secret };
    });
  }

  /** Subscribes `url` to every event unless the merchant already has an endpoint there (demo seeding). */
  async ensureEndpoint(merchantId: string, url: string): Promise<void> {
    const normalised = this.validateUrl(url);
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM webhook_endpoints WHERE merchant_id = $1 AND url = $2 AND deleted_at IS NULL`, [merchantId, normalised]);
    if (!rows.length) await this.create(merchantId, { url: normalised });
  }

  async list(merchantId: string, limit: number, startingAfter?: string) {
    const params: unknown[] = [merchantId, limit + 1];
    let where = 'merchant_id = $1 AND deleted_at IS NULL';
    if (startingAfter) {
      params.push(startingAfter);
      where += ` AND id < $3`;
    }
    const rows: EndpointRow[] = await this.db.query(`SELECT * FROM webhook_endpoints WHERE ${where} ORDER BY id DESC LIMIT $2`, params);
    return toPage(rows, limit, presentEndpoint);
  }

  async get(merchantId: string, id: string): Promise<WebhookEndpointView> {
    return presentEndpoint(await this.find(this.db.manager, merchantId, id));
  }

  /** Soft delete (deliveries keep their history); what was still waiting to be sent is dead-lettered. */
  async delete(merchantId: string, id: string) {
    await this.db.transaction(async (manager) => {
      await this.find(manager, merchantId, id, true);
      await manager.query(`UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
      await manager.query(
        `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, last_error = 'endpoint deleted', updated_at = now()
         WHERE endpoint_id = $1 AND status IN ('pending', 'failed')`,
        [id],
      );
    });
    return { id, object: 'webhook_endpoint' as const, deleted: true as const };
  }

  /** A new secret; the previous one keeps signing beside it for the grace period. */
  async rotateSecret(merchantId: string, id: string, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<WebhookEndpointWithSecretView> {
    const secret = newWebhookSecret();
    return this.db.transaction(async (manager) => {
      const row = await this.find(manager, merchantId, id, true);
      const graceUntil = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
      const result: unknown = await manager.query(
        `UPDATE webhook_endpoints SET secret_sealed = $2, previous_secret_sealed = $3, previous_secret_expires_at = $4, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, this.box.seal(secret, secretAad(id)), graceUntil ? row.secret_sealed : null, graceUntil],
      );
      const rows = returnedRows<EndpointRow>(result);
      return { ...presentEndpoint(rows[0]), secret };
    });
  }

  /**
   * The outbox hook: runs inside the event's own transaction, so a delivery row exists exactly
   * when the event does. NOTIFY is transactional too: dispatchers wake at commit, never before.
   */
  async fanOut(manager: EntityManager, event: { id: string; merchantId: string; type: string }): Promise<number> {
    // One statement on this hot path (every event of every order): match the endpoints, insert
    // their deliveries and NOTIFY the dispatchers only when there is something to deliver.
    // Delivery ids are made here (time-sortable, like every id); a merchant has at most
    // MAX_ENDPOINTS_PER_MERCHANT endpoints (enforced under a lock), and the fallback id only
    // guards that invariant so an event can never fail to be written.
    const ids = Array.from({ length: MAX_ENDPOINTS_PER_MERCHANT }, () => newId('whd'));
    const [{ n }]: { n: number }[] = await manager.query(
      `WITH e AS (
         SELECT id, row_number() OVER (ORDER BY id) AS i FROM webhook_endpoints
         WHERE merchant_id = $3 AND status = 'enabled' AND deleted_at IS NULL AND (cardinality(events) = 0 OR $4 = ANY(events))
       ), ins AS (
         INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, status, next_attempt_at)
         SELECT COALESCE(($1::text[])[e.i], $2 || '_' || e.id), $2, e.id, $3, 'pending', now() FROM e
         RETURNING 1
       )
       SELECT c.n, CASE WHEN c.n > 0 THEN pg_notify($5, '') END AS notified FROM (SELECT count(*)::int AS n FROM ins) c`,
      [ids, event.id, event.merchantId, event.type, NOTIFY_CHANNEL],
    );
    return n;
  }

  private async find(manager: EntityManager, merchantId: string, id: string, lock = false): Promise<EndpointRow> {
    const rows: EndpointRow[] = await manager.query(
      `SELECT * FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
      [id, merchantId],
    );
    if (!rows[0]) throw notFound('webhook endpoint');
    return rows[0];
  }
}


/** [] means every type ("*" or omitted); otherwise the listed types in canonical order. */
function normaliseEvents(events: string[] | undefined): string[] {
  if (!events || events.length === 0 || events.includes('*')) return [];
  return [...new Set(events)].sort();
}
