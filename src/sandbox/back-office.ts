import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/crypto';
import { AppConfig } from '../config/config';
import { BackOfficeTransactionRow, SandboxBackOfficeRepository } from './back-office.repository';

export interface SandboxTransaction {
  id: string;
  orderId: string;
  merchantId: string;
  provider: string;
  providerReference: string;
  amountMinor: number;
  currency: 'USD' | 'KHR';
  createdAt: Date;
  expiresAt: Date;
  /** false: a test-mode payment (docs/test-mode.md). */
  livemode: boolean;
}

/**
 * Who the simulators act for. Test-mode registrations (provider_accounts.livemode = false, always
 * at the simulator) always; live registrations whose base_url points at this sandbox only while
 * SANDBOX is on. With SANDBOX off a live account or transaction is unknown here (404), whatever
 * its base_url says, so the always-mounted simulators can never confirm a live payment.
 *
 * The gateways' back office, read from the orchestrator's database through the sandbox's own
 * read-only port (back-office.repository.ts): what a real gateway has on file because the
 * merchant registered with it (keys, secrets, webhook settings) and each payment's amount.
 * Read-only, and independent of the provider modules.
 *
 * A gateway knows only the merchants registered with it: here, accounts whose base_url points at
 * this sandbox. Every read below keeps to those, so no simulator can sign for, pay or confirm a
 * real merchant's account or transaction (anything else reads as unknown: 404).
 */
@Injectable()
export class SandboxBackOffice {
  private readonly box: SecretBox;
  /**
   * Opened registrations by their sealed text, as a gateway keeps its merchants' keys at hand
   * rather than decrypting them on every request. Keyed by the ciphertext itself, so a changed
   * registration is a new entry and nothing stale is ever served.
   */
  private readonly opened = new Map<string, Record<string, unknown>>();
  /** PUBLIC_BASE_URL/sandbox/, parsed once: what a registration's base_url must be under. */
  private readonly root: URL;
  /** SANDBOX: whether live registrations pointing at the sandbox count (test-mode ones always do). */
  readonly liveEnabled: boolean;

  constructor(
    private readonly repository: SandboxBackOfficeRepository,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
    this.root = new URL(`${config.publicBaseUrl}/sandbox/`);
    this.liveEnabled = config.sandbox;
  }

  /**
   * Whether a configured gateway URL points at this sandbox: the same origin as PUBLIC_BASE_URL
   * (scheme, host, port, as the URL parser normalises them) and a path at or under its /sandbox/
   * once dot segments are resolved. Parsed, never string-prefixed, so https://evil.example/sandbox/,
   * …/sandboxX, …/sandbox/../admin or a URL with credentials do not count.
   */
  pointsAtSandbox(url: unknown): boolean {
    if (typeof url !== 'string') return false;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.username || u.password) return false;
    return u.origin === this.root.origin && `${u.pathname.replace(/\/+$/, '')}/`.startsWith(this.root.pathname);
  }

  async transaction(provider: string, providerReference: string): Promise<SandboxTransaction | null> {
    return (await this.transactionWithAccount(provider, providerReference))?.txn ?? null;
  }

  async transactionsByRefs(provider: string, refs: string[]): Promise<SandboxTransaction[]> {
    if (!refs.length) return [];
    const rows = await this.repository.transactionsByReferences(provider, refs);
    return rows.filter((r) => this.registered(r.credentials_sealed, r.merchant_id, provider, r.livemode)).map(toTxn);
  }

  /** A payment of a merchant registered with the sandbox, with that registration (one query), or null. */
  async transactionWithAccount(provider: string, providerReference: string): Promise<{ txn: SandboxTransaction; account: Record<string, unknown> } | null> {
    const row = await this.repository.transactionByReference(provider, providerReference);
    if (!row) return null;
    const txn = toTxn(row);
    const account = this.registered(row.credentials_sealed, txn.merchantId, provider, txn.livemode);
    return account ? { txn, account } : null;
  }

  /** The registration a payment was made under (its merchant and mode), decrypted, or null when the sandbox does not act for it. */
  async account(txn: Pick<SandboxTransaction, 'merchantId' | 'livemode'>, provider: string): Promise<Record<string, unknown> | null> {
    const sealed = await this.repository.sealedAccount(txn.merchantId, txn.livemode, provider);
    if (!sealed) return null;
    return this.registered(sealed, txn.merchantId, provider, txn.livemode);
  }

  /** Every account registered with this gateway whose `field` equals `value` (e.g. a bearer token), oldest registration first. */
  async accountsWhere(provider: string, field: string, value: string): Promise<{ merchantId: string; livemode: boolean; account: Record<string, unknown> }[]> {
    const rows = await this.repository.sealedAccounts(provider);
    const out: { merchantId: string; livemode: boolean; account: Record<string, unknown> }[] = [];
    for (const row of rows) {
      const account = this.registered(row.credentials_sealed, row.merchant_id, provider, row.livemode);
      if (account && account[field] === value) out.push({ merchantId: row.merchant_id, livemode: row.livemode, account });
    }
    return out;
  }

  /**
   * The opened registration when the sandbox acts for it: a test-mode account always (it is the
   * simulator's by construction), a live one only with SANDBOX on and its base_url at the sandbox.
   */
  private registered(sealed: string, merchantId: string, provider: string, livemode: boolean): Record<string, unknown> | null {
    if (livemode && !this.liveEnabled) return null;
    const account = this.open(sealed, merchantId, provider, livemode);
    return !livemode || this.pointsAtSandbox(account.base_url) ? account : null;
  }

  /** A copy, so a caller's edits never reach the cache. */
  private open(sealed: string, merchantId: string, provider: string, livemode: boolean): Record<string, unknown> {
    const key = `${merchantId}:${provider}:${sealed}`;
    let account = this.opened.get(key);
    if (!account) {
      // Bound like the orchestrator seals it (merchants/provider-accounts.service.ts accountBinding): `:test` for a test-mode account.
      account = JSON.parse(this.box.open(sealed, livemode ? `${merchantId}:${provider}` : `${merchantId}:${provider}:test`)) as Record<string, unknown>;
      if (this.opened.size >= OPENED_CACHE_MAX) this.opened.clear();
      this.opened.set(key, account);
    }
    return { ...account };
  }
}

/** A text field of a registration ('' when absent): the orchestrator stores credential fields as strings. */
export function field(registration: Record<string, unknown> | null | undefined, name: string): string {
  const value = registration?.[name];
  return typeof value === 'string' ? value : '';
}

/** Registrations kept opened; past this the cache starts over (the sandbox holds a handful). */
const OPENED_CACHE_MAX = 1_000;

function toTxn(r: BackOfficeTransactionRow): SandboxTransaction {
  return {
    id: String(r.id),
    orderId: String(r.order_id),
    merchantId: String(r.merchant_id),
    provider: String(r.provider),
    providerReference: String(r.provider_reference),
    amountMinor: Number(r.amount_minor),
    currency: r.currency as 'USD' | 'KHR',
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    livemode: r.livemode,
  };
}
