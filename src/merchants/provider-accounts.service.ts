import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/crypto';
import { FieldError, notFound, problem, validationProblem } from '../common/problem';
import { MERCHANTS_ERRORS } from './merchants.errors';
import { AppConfig } from '../config/config';
import { CredentialField, PaymentProvider, ProviderCredentials, ProviderId, ProviderRegistry, StoredCredentials } from '../providers/provider';
import { ProviderAccountRow } from './merchant.entity';
import { ProviderAccountsRepository, SealedAccountRow } from './provider-accounts.repository';

export interface ProviderAccountView {
  object: 'provider_account';
  provider: string;
  /** Non-secret fields as stored; secret fields masked. */
  credentials: Record<string, unknown>;
  needs_attention: string | null;
  /** What keeps this account from taking payments, or will soon (e.g. no base_url where the gateway publishes no host, a token expiring within 14 days). */
  warnings: string[];
  /** When the stored credential stops working, where the gateway's credential tells (a Bakong token's JWT exp); else null. */
  token_expires_at: string | null;
  updated_at: string;
}

/** The gateway rejected this account's credentials earlier; it waits for the merchant to update them. */
export class AccountNeedsAttentionError extends Error {
  constructor(
    readonly provider: ProviderId,
    readonly reason: string,
  ) {
    super(`the ${provider} account needs new credentials (${reason}); checks resume after PUT /v1/provider-accounts/${provider}`);
    this.name = 'AccountNeedsAttentionError';
  }
}

export function maskSecret(value: unknown): string {
  const text = String(value ?? '');
  return text.length >= 12 ? `••••${text.slice(-4)}` : '••••';
}

function checkField(field: CredentialField, value: unknown): string | null {
  if (value === undefined || value === null || value === '') return field.required ? 'is required' : null;
  if (field.kind === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) return 'must be an object';
    for (const [k, v] of Object.entries(value as object)) {
      if (typeof v !== 'string' || k.length > 100 || v.length > 200) return 'must map field names to strings';
    }
    return field.check?.(value) ?? null;
  }
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 2000) return 'is too long';
  if (field.kind === 'url') {
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
    } catch {
      return 'must be an absolute http(s) URL';
    }
  }
  return field.check?.(value) ?? null;
}

/** Warn this many days before a credential expires (account GET, metric, /health/ready). */
export const CREDENTIAL_WARNING_DAYS = 14;

/** The warning for a credential that has expired or expires within CREDENTIAL_WARNING_DAYS; null otherwise. */
export function credentialExpiryWarning(providerId: string, expiresAt: Date | null, now: Date): string | null {
  if (!expiresAt) return null;
  const left = expiresAt.getTime() - now.getTime();
  const renew = `issue a new one and PUT it in /v1/provider-accounts/${providerId}`;
  if (left <= 0) return `the ${providerId} token expired at ${expiresAt.toISOString()}: ${renew}`;
  if (left > CREDENTIAL_WARNING_DAYS * 86_400_000) return null;
  return `the ${providerId} token expires at ${expiresAt.toISOString()} (in ${Math.ceil(left / 86_400_000)} days): ${renew}`;
}

const missingBaseUrl = (providerId: string) =>
  `the ${providerId} account has no base_url and the gateway publishes no production host; PUT /v1/provider-accounts/${providerId} with the base_url your gateway gave you`;

/**
 * A merchant's own gateway credentials. Sealed with AES-256-GCM (ENCRYPTION_KEY), bound to
 * (merchant, provider) as associated data; secrets are write-only and masked on read.
 */
@Injectable()
export class ProviderAccountsService {
  private readonly box: SecretBox;

  constructor(
    private readonly accounts: ProviderAccountsRepository,
    private readonly registry: ProviderRegistry,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  private provider(id: string): PaymentProvider {
    const provider = this.registry.get(id);
    if (!provider)
      throw problem(
        MERCHANTS_ERRORS.unknown_provider,
        `unknown provider "${String(id).slice(0, 40)}"; known: ${this.registry
          .all()
          .map((p) => p.id)
          .join(', ')}`,
      );
    return provider;
  }

  validate(providerId: string, body: unknown): StoredCredentials {
    const provider = this.provider(providerId);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw validationProblem([{ field: '', message: 'the body must be a JSON object' }]);
    const errors: FieldError[] = [];
    const known = new Set(provider.credentialFields.map((f) => f.name));
    for (const name of Object.keys(body)) if (!known.has(name)) errors.push({ field: name, message: `unknown field for ${provider.id}` });
    const clean: StoredCredentials = {};
    for (const field of provider.credentialFields) {
      const value = (body as Record<string, unknown>)[field.name];
      const error = checkField(field, value);
      if (error) errors.push({ field: field.name, message: `${field.name} ${error}` });
      else if (value !== undefined && value !== null && value !== '') clean[field.name] = value;
    }
    if (errors.length) throw validationProblem(errors);
    return clean;
  }

  /**
   * Stores the account after asking the gateway about it when the gateway can tell (checkAccount):
   * a refusal answers 422 and stores nothing; an unanswered check is a warning in this answer.
   */
  async put(merchantId: string, providerId: string, body: unknown): Promise<ProviderAccountView> {
    const credentials = this.validate(providerId, body);
    const provider = this.provider(providerId);
    let checkWarnings: string[] = [];
    if (provider.checkAccount) {
      const baseUrl = (typeof credentials.base_url === 'string' ? credentials.base_url : provider.defaultBaseUrl).replace(/\/+$/, '');
      if (baseUrl) {
        const check = await provider.checkAccount({ ...credentials, base_url: baseUrl } as ProviderCredentials);
        if (check.refusal) throw problem(MERCHANTS_ERRORS.provider_account_rejected, `${providerId}: ${check.refusal}`, { provider: providerId });
        checkWarnings = check.warnings;
      }
    }
    const sealed = this.box.seal(JSON.stringify(credentials), `${merchantId}:${providerId}`);
    await this.accounts.upsertSealed(merchantId, providerId, sealed, provider.credentialExpiry?.(credentials) ?? null);
    const view = (await this.list(merchantId)).find((a) => a.provider === providerId)!;
    return { ...view, warnings: [...view.warnings, ...checkWarnings] };
  }

  async list(merchantId: string): Promise<ProviderAccountView[]> {
    const rows = await this.accounts.listForMerchant(merchantId);
    return rows.map((row) => {
      const provider = this.registry.get(row.provider);
      const creds = this.open(row);
      const masked: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(creds)) masked[k] = provider?.credentialFields.find((f) => f.name === k)?.secret ? maskSecret(v) : v;
      const warnings = provider && !creds.base_url && !provider.defaultBaseUrl ? [missingBaseUrl(provider.id)] : [];
      const expiry = credentialExpiryWarning(row.provider, row.credentialExpiresAt, new Date());
      if (expiry) warnings.push(expiry);
      return {
        object: 'provider_account',
        provider: row.provider,
        credentials: masked,
        needs_attention: row.needsAttention,
        warnings,
        token_expires_at: row.credentialExpiresAt ? row.credentialExpiresAt.toISOString() : null,
        updated_at: row.updatedAt.toISOString(),
      };
    });
  }

  /**
   * The decrypted credentials with base_url defaulted, for provider calls. 422 problem when missing,
   * or when there is no base_url and the gateway has no documented host to default to.
   * With `skipNeedingAttention`, an account the gateway rejected (e.g. an expired Bakong token)
   * throws AccountNeedsAttentionError instead, so background checks don't retry it blindly
   * until the merchant PUTs new credentials.
   */
  async credentials<Id extends ProviderId>(
    merchantId: string,
    providerId: Id,
    opts: { skipNeedingAttention?: boolean } = {},
  ): Promise<ProviderCredentials<Id>> {
    return this.credentialsFromRow(providerId, await this.accounts.findSealed(merchantId, providerId), opts);
  }

  /**
   * credentials() for a row the caller read itself (SEALED_ACCOUNT_COLUMNS, all null when the
   * account is missing), so a hot path can fetch it in the same round trip as its own query.
   */
  credentialsFromRow<Id extends ProviderId>(
    providerId: Id,
    row: Partial<SealedAccountRow> | undefined,
    opts: { skipNeedingAttention?: boolean } = {},
  ): ProviderCredentials<Id> {
    if (!row?.credentialsSealed || !row.merchantId) {
      throw problem(MERCHANTS_ERRORS.provider_account_missing, `no ${providerId} account is configured; PUT /v1/provider-accounts/${providerId} first`);
    }
    if (opts.skipNeedingAttention && row.needsAttention) throw new AccountNeedsAttentionError(providerId, row.needsAttention);
    const creds = this.open({ merchantId: row.merchantId, provider: providerId, credentialsSealed: row.credentialsSealed });
    const provider = this.provider(providerId);
    const baseUrl = (typeof creds.base_url === 'string' ? creds.base_url : provider.defaultBaseUrl).replace(/\/+$/, '');
    // The gateway publishes no production host and the account names none: no call is made to a guessed one.
    if (!baseUrl) throw problem(MERCHANTS_ERRORS.provider_account_incomplete, missingBaseUrl(providerId));
    // The one place stored JSON becomes a typed account: put() stored only what validate() accepted
    // against this gateway's credentialFields, which credentialFields() keeps in step with its account type.
    return { ...creds, base_url: baseUrl } as ProviderCredentials<Id>;
  }

  /** Removes the merchant's account for one gateway: 404 when there is none, 409 while PENDING orders still need it. */
  async delete(merchantId: string, providerId: string): Promise<{ object: 'provider_account'; provider: string; deleted: true }> {
    const provider = this.provider(providerId);
    const outcome = await this.accounts.deleteUnlessPending(merchantId, provider.id);
    if (outcome === 'missing') throw notFound(`the ${provider.id} account`);
    if (outcome === 'in_use')
      throw problem(MERCHANTS_ERRORS.provider_account_in_use, `the ${provider.id} account has PENDING orders; delete it once they are final`);
    return { object: 'provider_account', provider: provider.id, deleted: true };
  }

  async markNeedsAttention(merchantId: string, providerId: ProviderId, reason: string | null): Promise<void> {
    await this.accounts.markNeedsAttention(merchantId, providerId, reason);
  }

  private open(row: Pick<ProviderAccountRow, 'merchantId' | 'provider' | 'credentialsSealed'>): StoredCredentials {
    return JSON.parse(this.box.open(row.credentialsSealed, `${row.merchantId}:${row.provider}`)) as StoredCredentials;
  }
}
