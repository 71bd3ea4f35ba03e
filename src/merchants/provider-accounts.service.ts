import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/crypto';
import { FieldError, notFound, problem, validationProblem } from '../common/problem';
import type { Scope } from '../common/scope';
import { MERCHANTS_ERRORS } from './merchants.errors';
import { AppConfig } from '../config/config';
import { CredentialField, PaymentProvider, ProviderCredentials, ProviderId, ProviderRegistry, StoredCredentials } from '../providers/provider';
import { ProviderAccountRow } from './merchant.entity';
import { ProviderAccountsRepository, SealedAccountRow } from './provider-accounts.repository';
import { SIMULATED_ACCOUNTS } from './simulated-accounts';

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
 * What a sealed account is bound to (AES-GCM associated data): `merchant:provider`, plus `:test` for a
 * test-mode account, so a sealed blob copied from one mode's row to the other's does not open.
 * The sandbox's back office repeats this rule on its side of the wire.
 */
export const accountBinding = (merchantId: string, provider: string, livemode: boolean): string =>
  livemode ? `${merchantId}:${provider}` : `${merchantId}:${provider}:test`;

/**
 * A merchant's own gateway credentials, one account per gateway and mode. Sealed with AES-256-GCM
 * (ENCRYPTION_KEY), bound to (merchant, provider, mode) as associated data; secrets are write-only
 * and masked on read. A test-mode account always talks to the built-in simulator (its base_url is
 * forced to PUBLIC_BASE_URL/sandbox/{provider}); a merchant without one gets a simulated account.
 */
@Injectable()
export class ProviderAccountsService {
  private readonly box: SecretBox;
  private readonly sandboxBase: string;
  private readonly publicBaseUrl: string;

  constructor(
    private readonly accounts: ProviderAccountsRepository,
    private readonly registry: ProviderRegistry,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
    this.publicBaseUrl = config.publicBaseUrl;
    this.sandboxBase = `${config.publicBaseUrl}/sandbox`;
  }

  /** Where every test-mode call to this gateway goes, whatever an account says. */
  simulatorUrl(providerId: string): string {
    return `${this.sandboxBase}/${providerId}`;
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
   * A test-mode account is the simulator's whatever base_url came in, and is not checked.
   */
  async put(scope: Scope, providerId: string, body: unknown): Promise<ProviderAccountView> {
    const credentials = this.validate(providerId, body);
    const provider = this.provider(providerId);
    if (!scope.livemode) credentials.base_url = this.simulatorUrl(providerId);
    let checkWarnings: string[] = [];
    if (provider.checkAccount && scope.livemode) {
      const baseUrl = (typeof credentials.base_url === 'string' ? credentials.base_url : provider.defaultBaseUrl).replace(/\/+$/, '');
      if (baseUrl) {
        const check = await provider.checkAccount({ ...credentials, base_url: baseUrl } as ProviderCredentials);
        if (check.refusal) throw problem(MERCHANTS_ERRORS.provider_account_rejected, `${providerId}: ${check.refusal}`, { provider: providerId });
        checkWarnings = check.warnings;
      }
    }
    const sealed = this.box.seal(JSON.stringify(credentials), accountBinding(scope.merchantId, providerId, scope.livemode));
    await this.accounts.upsertSealed(scope, providerId, sealed, provider.credentialExpiry?.(credentials) ?? null);
    const view = (await this.list(scope)).find((a) => a.provider === providerId)!;
    return { ...view, warnings: [...view.warnings, ...checkWarnings] };
  }

  async list(scope: Scope): Promise<ProviderAccountView[]> {
    const rows = await this.accounts.listForMerchant(scope);
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
  async credentials<Id extends ProviderId>(scope: Scope, providerId: Id, opts: { skipNeedingAttention?: boolean } = {}): Promise<ProviderCredentials<Id>> {
    const row = await this.accounts.findSealed(scope, providerId);
    return this.credentialsFromRow(providerId, row?.credentialsSealed || scope.livemode ? row : await this.simulatedAccount(scope, providerId), opts);
  }

  /** credentials() without the simulated stand-in: for verifying what a gateway signed, where only a configured account may count. */
  async configuredCredentials<Id extends ProviderId>(scope: Scope, providerId: Id): Promise<ProviderCredentials<Id>> {
    return this.credentialsFromRow(providerId, await this.accounts.findSealed(scope, providerId));
  }

  /**
   * The merchant's test-mode account at this gateway, created with fresh simulated credentials when
   * there is none (docs/test-mode.md). Only for test mode: a live account is never invented.
   */
  async simulatedAccount(scope: Scope, providerId: ProviderId): Promise<SealedAccountRow | undefined> {
    if (scope.livemode) throw new Error('simulated accounts exist in test mode only');
    const credentials = SIMULATED_ACCOUNTS[providerId](this.sandboxBase, this.publicBaseUrl);
    const sealed = this.box.seal(JSON.stringify(credentials), accountBinding(scope.merchantId, providerId, false));
    await this.accounts.insertSealedIfAbsent(scope, providerId, sealed);
    return this.accounts.findSealed(scope, providerId);
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
    const livemode = row.livemode !== false;
    const creds = this.open({ merchantId: row.merchantId, provider: providerId, credentialsSealed: row.credentialsSealed, livemode });
    const provider = this.provider(providerId);
    // Test mode never reaches a real gateway host: the simulator's URL, whatever is stored.
    const stored = livemode ? creds.base_url : this.simulatorUrl(providerId);
    const baseUrl = (typeof stored === 'string' ? stored : provider.defaultBaseUrl).replace(/\/+$/, '');
    // The gateway publishes no production host and the account names none: no call is made to a guessed one.
    if (!baseUrl) throw problem(MERCHANTS_ERRORS.provider_account_incomplete, missingBaseUrl(providerId));
    // The one place stored JSON becomes a typed account: put() stored only what validate() accepted
    // against this gateway's credentialFields, which credentialFields() keeps in step with its account type.
    return { ...creds, base_url: baseUrl } as ProviderCredentials<Id>;
  }

  /** Removes the merchant's account for one gateway: 404 when there is none, 409 while PENDING orders still need it. */
  async delete(scope: Scope, providerId: string): Promise<{ object: 'provider_account'; provider: string; deleted: true }> {
    const provider = this.provider(providerId);
    const outcome = await this.accounts.deleteUnlessPending(scope, provider.id);
    if (outcome === 'missing') throw notFound(`the ${provider.id} account`);
    if (outcome === 'in_use')
      throw problem(MERCHANTS_ERRORS.provider_account_in_use, `the ${provider.id} account has PENDING orders; delete it once they are final`);
    return { object: 'provider_account', provider: provider.id, deleted: true };
  }

  async markNeedsAttention(scope: Scope, providerId: ProviderId, reason: string | null): Promise<void> {
    await this.accounts.markNeedsAttention(scope, providerId, reason);
  }

  private open(row: Pick<ProviderAccountRow, 'merchantId' | 'provider' | 'credentialsSealed' | 'livemode'>): StoredCredentials {
    return JSON.parse(this.box.open(row.credentialsSealed, accountBinding(row.merchantId, row.provider, row.livemode))) as StoredCredentials;
  }
}
