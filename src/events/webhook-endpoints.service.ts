import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { EntityManager } from 'typeorm';
import { SecretBox } from '../common/crypto';
import { OutboundHttp } from '../common/http/outbound-http';
import { isIpLiteral, NOT_ALLOWED } from '../common/http/ssrf-guard';
import { newId } from '../common/ids';
import { toPage } from '../common/pagination';
import { notFound, problem, validationProblem } from '../common/problem';
import { EVENTS_ERRORS } from './events.errors';
import type { NewEvent } from './events.repository';
import { AppConfig } from '../config/config';
import { newWebhookSecret } from './webhook-policy';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { EndpointRow, WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { CreateWebhookEndpointDto, WebhookEndpointView, WebhookEndpointWithSecretView } from './webhooks.dto';

/** Enough for staging + production + a rotation overlap; keeps the per-event fan-out bounded. */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;

/** Ids for an event's deliveries, one per endpoint a merchant may have, in the order the fan-out uses them (time-sortable, like every id). */
export function newDeliveryIds(): string[] {
  return Array.from({ length: MAX_ENDPOINTS_PER_MERCHANT }, () => newId('whd'));
}
export const DEFAULT_GRACE_SECONDS = 24 * 3600;
/** The associated data that binds a sealed secret to its endpoint row. */
export const secretAad = (endpointId: string) => `webhook_endpoint:${endpointId}`;

export function presentEndpoint(row: EndpointRow): WebhookEndpointView {
  const graceLeft = row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > new Date();
  return {
    id: row.id,
    object: 'webhook_endpoint',
    livemode: row.livemode,
    url: row.url,
    events: row.events.length ? row.events : ['*'],
    status: row.status,
    disabled_reason: row.disabled_reason,
    previous_secret_expires_at: graceLeft ? new Date(row.previous_secret_expires_at as Date).toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** Opened signing secrets kept by WebhookEndpointsService.signingSecrets. */
const OPENED_SECRETS_KEPT = 1_000;

/**
 * Merchant webhook endpoints and the fan-out of events to them. Secrets are sealed with
 * SecretBox (the dispatcher must be able to sign with them), returned once at creation or
 * rotation, and never logged.
 */
@Injectable()
export class WebhookEndpointsService {
  private readonly box: SecretBox;
  /** Opened signing secrets by endpoint and ciphertext (see openSecret). */
  private readonly openedSecrets = new Map<string, string>();

  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly http: OutboundHttp,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  /** The endpoint's signing secrets: the current one, plus the previous one while its grace period lasts. */
  signingSecrets(row: Pick<EndpointRow, 'id' | 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at'>, now = new Date()): string[] {
    const secrets = [this.openSecret(row.id, row.secret_sealed)];
    if (row.previous_secret_sealed && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now) {
      secrets.push(this.openSecret(row.id, row.previous_secret_sealed));
    }
    return secrets;
  }

  /**
   * A sealed secret opened once and kept (every delivery signs: an AES-GCM open per attempt was
   * ~5 % of the dispatcher's CPU). Keyed by endpoint and ciphertext, so a rotation (a new
   * ciphertext) is opened afresh and a ciphertext only ever opens under its own endpoint's AAD.
   * Bounded: emptied when full. The plaintexts stay in this process only, as during a signing.
   */
  private openSecret(endpointId: string, sealed: string): string {
    const key = `${endpointId}:${sealed}`;
    let secret = this.openedSecrets.get(key);
    if (secret === undefined) {
      secret = this.box.open(sealed, secretAad(endpointId));
      if (this.openedSecrets.size >= OPENED_SECRETS_KEPT) this.openedSecrets.clear();
      this.openedSecrets.set(key, secret);
    }
    return secret;
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
      if (this.http.guard.refusal(host, host))
        throw problem(EVENTS_ERRORS.url_not_allowed, `webhook url: ${NOT_ALLOWED}`, { errors: [{ field: 'url', message: NOT_ALLOWED }] });
    }
    return url.toString();
  }

  async create(scope: Scope, dto: CreateWebhookEndpointDto): Promise<WebhookEndpointWithSecretView> {
    const url = this.validateUrl(dto.url);
    const events = normaliseEvents(dto.events);
    const id = newId('we');
    const secret = newWebhookSecret();
    return this.endpoints.inTransaction(async (manager) => {
      if ((await this.endpoints.countLiveLockingMerchant(manager, scope)) >= MAX_ENDPOINTS_PER_MERCHANT) {
        throw problem(EVENTS_ERRORS.too_many_endpoints, `a merchant may have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first`);
      }
      const row = await this.endpoints.insert(manager, {
        id,
        merchant_id: scope.merchantId,
        livemode: scope.livemode,
        url,
        events,
        secret_sealed: this.box.seal(secret, secretAad(id)),
      });
      return { ...presentEndpoint(row), secret };
    });
  }

  /** Subscribes `url` to every event unless the merchant already has an endpoint there (demo seeding). */
  async ensureEndpoint(scope: Scope, url: string): Promise<void> {
    const normalised = this.validateUrl(url);
    if (!(await this.endpoints.existsAt(scope, normalised))) await this.create(scope, { url: normalised });
  }

  async list(scope: Scope, limit: number, startingAfter?: string) {
    return toPage(await this.endpoints.listForMerchant(scope, limit, startingAfter), limit, presentEndpoint);
  }

  async get(scope: Scope, id: string): Promise<WebhookEndpointView> {
    return presentEndpoint(await this.find(scope, id));
  }

  /** Soft delete (deliveries keep their history); what was still waiting to be sent is dead-lettered. */
  async delete(scope: Scope, id: string) {
    await this.endpoints.inTransaction(async (manager) => {
      await this.find(scope, id, manager);
      await this.endpoints.softDelete(manager, id);
      await this.deliveries.deadLetterWaiting(manager, id, 'endpoint deleted');
    });
    return { id, object: 'webhook_endpoint' as const, deleted: true as const };
  }

  /** A new secret; the previous one keeps signing beside it for the grace period. */
  async rotateSecret(scope: Scope, id: string, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<WebhookEndpointWithSecretView> {
    const secret = newWebhookSecret();
    return this.endpoints.inTransaction(async (manager) => {
      const row = await this.find(scope, id, manager);
      const graceUntil = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
      const updated = await this.endpoints.replaceSecret(manager, id, this.box.seal(secret, secretAad(id)), graceUntil ? row.secret_sealed : null, graceUntil);
      return { ...presentEndpoint(updated), secret };
    });
  }

  /**
   * The outbox's insert (events.module.ts): the event and its deliveries in one statement, inside
   * the event's own transaction, so a delivery row exists exactly when the event does. NOTIFY is
   * transactional too: dispatchers wake at commit, never before. Delivery ids are made here
   * (time-sortable, like every id); a merchant has at most MAX_ENDPOINTS_PER_MERCHANT endpoints
   * (enforced under a lock), and the fallback id only guards that invariant so an event can never
   * fail to be written.
   */
  async insertEventWithFanOut(manager: EntityManager, event: NewEvent): Promise<{ deliveries: number; notificationChannels: boolean }> {
    return this.deliveries.insertEventWithFanOut(manager, event, newDeliveryIds());
  }

  /** A live endpoint of the merchant's; locked FOR UPDATE when found inside a transaction (`manager`). */
  private async find(scope: Scope, id: string, manager?: EntityManager): Promise<EndpointRow> {
    const row = await this.endpoints.findForMerchant(scope, id, { manager, lock: manager !== undefined });
    if (!row) throw notFound('webhook endpoint');
    return row;
  }
}

/** [] means every type ("*" or omitted); otherwise the listed types in canonical order. */
function normaliseEvents(events: string[] | undefined): string[] {
  if (!events || events.length === 0 || events.includes('*')) return [];
  return [...new Set(events)].sort();
}
