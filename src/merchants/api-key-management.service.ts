import { Injectable } from '@nestjs/common';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { notFound, problem } from '../common/problem';
import { ApiKeyView, presentApiKey } from './api-keys.presenter';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { MERCHANTS_ERRORS } from './merchants.errors';
import { MerchantsRepository } from './merchants.repository';

export type CreatedApiKeyView = ApiKeyView & { api_key: string };

/**
 * Who manages keys: the merchant, and whether only one mode's keys are within reach. A test key
 * (`onlyMode: false`) sees, creates and revokes test keys only, so nothing it does reaches live data;
 * a live key and a signed-in member (`onlyMode: null`) manage both.
 */
export interface KeyOwner {
  merchantId: string;
  onlyMode: boolean | null;
}

/**
 * A merchant's own API keys (`/v1/api-keys`): create (the key shown once), list, revoke now or
 * after an overlap window (rotation: create the new key, then revoke the old one with
 * `expires_in`). Revoking would be easy to do by accident to the last key that works without
 * an expiry (when no other such key remains), so that needs `force`. Each change is audited with the acting user or key, and the
 * merchant row is locked so two revocations at once cannot both pass the last-key check.
 */
@Injectable()
export class ApiKeyManagement {
  constructor(
    private readonly merchants: MerchantsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly keys: ApiKeysService,
    private readonly audits: AuditLogRepository,
  ) {}

  async create(owner: KeyOwner, opts: { expiresInSeconds?: number; livemode: boolean }, actor: string): Promise<CreatedApiKeyView> {
    const { merchantId } = owner;
    const { expiresInSeconds, livemode } = opts;
    if (owner.onlyMode !== null && owner.onlyMode !== livemode) {
      throw problem(MERCHANTS_ERRORS.live_key_required, 'a test key can create test keys only ("livemode": false); use a live key or the dashboard');
    }
    const result = await this.merchants.inTransaction(async (manager) => {
      if (!(await this.merchants.lock(manager, merchantId))) throw notFound('merchant');
      const expiresAt = expiresInSeconds === undefined ? null : await this.apiKeys.cutoffAfter(manager, expiresInSeconds);
      const issued = await this.keys.issue(manager, merchantId, expiresAt, livemode);
      await this.audits.record(manager, {
        actor,
        action: 'api_key.create',
        subjectId: issued.id,
        reason: null,
        details: { merchant_id: merchantId, livemode, expires_at: expiresAt ? new Date(expiresAt).toISOString() : null },
      });
      return { view: presentApiKey(await this.apiKeys.findById(manager, issued.id)), key: issued.key };
    });
    return { ...result.view, api_key: result.key };
  }

  async list(owner: KeyOwner): Promise<{ data: ApiKeyView[]; has_more: false }> {
    return { data: (await this.apiKeys.listForMerchant(owner.merchantId, owner.onlyMode)).map((r) => presentApiKey(r)), has_more: false };
  }

  /** Revokes now, or (`expiresInSeconds`) lets the key work until then. Idempotent on a revoked key. */
  async revoke(owner: KeyOwner, keyId: string, opts: { expiresInSeconds?: number; force: boolean }, actor: string): Promise<ApiKeyView> {
    const { merchantId } = owner;
    const view = await this.merchants.inTransaction(async (manager) => {
      await this.merchants.lock(manager, merchantId);
      const row = await this.apiKeys.findForUpdate(manager, keyId, merchantId, owner.onlyMode);
      if (!row) throw notFound('API key');
      if (row.revoked_at) return presentApiKey(row);
      if (!opts.force && row.expires_at === null && (await this.apiKeys.countOtherLasting(manager, merchantId, keyId, row.livemode)) === 0) {
        throw problem(
          MERCHANTS_ERRORS.last_api_key,
          `this is the merchant’s last ${row.livemode ? 'live' : 'test'} API key without an expiry: create a new key first, or pass force=true to revoke it anyway`,
        );
      }
      const cutoff = opts.expiresInSeconds ? await this.apiKeys.cutoffAfter(manager, opts.expiresInSeconds) : null;
      if (cutoff) await this.apiKeys.expireAt(manager, keyId, cutoff);
      else await this.apiKeys.revoke(manager, keyId);
      await this.audits.record(manager, {
        actor,
        action: cutoff ? 'api_key.expire' : 'api_key.revoke',
        subjectId: keyId,
        reason: null,
        details: { merchant_id: merchantId, ...(cutoff ? { expires_at: new Date(cutoff).toISOString() } : {}) },
      });
      return presentApiKey(await this.apiKeys.findById(manager, keyId));
    });
    this.keys.invalidate();
    return view;
  }
}
