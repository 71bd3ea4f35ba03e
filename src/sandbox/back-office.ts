import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SecretBox } from '../common/crypto';
import { AppConfig } from '../config/config';

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
}

/**
 * The gateways' back office, read from the orchestrator's database through plain SQL: what a
 * real gateway has on file because the merchant registered with it (keys, secrets, webhook
 * settings) and each payment's amount. Read-only, and independent of the provider modules.
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

  constructor(
    private readonly db: DataSource,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
    this.root = new URL(`${config.publicBaseUrl}/sandbox/`);
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
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT t.id, t.order_id, t.merchant_id, t.provider, t.provider_reference, t.amount_minor, t.currency, t.created_at, t.expires_at, a.credentials_sealed
       FROM transactions t JOIN provider_accounts a ON a.merchant_id = t.merchant_id AND a.provider = t.provider
       WHERE t.provider = $1 AND t.provider_reference = ANY($2)`,
      [provider, refs],
    );
    return rows.filter((r) => this.registered(String(r.credentials_sealed), String(r.merchant_id), provider)).map(toTxn);
  }

  /** A payment of a merchant registered with the sandbox, with that registration (one query), or null. */
  async transactionWithAccount(provider: string, providerReference: string): Promise<{ txn: SandboxTransaction; account: Record<string, unknown> } | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT t.id, t.order_id, t.merchant_id, t.provider, t.provider_reference, t.amount_minor, t.currency, t.created_at, t.expires_at, a.credentials_sealed
       FROM transactions t JOIN provider_accounts a ON a.merchant_id = t.merchant_id AND a.provider = t.provider
       WHERE t.provider = $1 AND t.provider_reference = $2`,
      [provider, providerReference],
    );
    if (!rows[0]) return null;
    const txn = toTxn(rows[0]);
    const account = this.registered(String(rows[0].credentials_sealed), txn.merchantId, provider);
    return account ? { txn, account } : null;
  }

  /** The merchant's registration with this gateway (decrypted), or null when it has none with the sandbox. */
  async account(merchantId: string, provider: string): Promise<Record<string, unknown> | null> {
    const rows: { credentials_sealed: string }[] = await this.db.query(`SELECT credentials_sealed FROM provider_accounts WHERE merchant_id = $1 AND provider = $2`, [merchantId, provider]);
    if (!rows[0]) return null;
    return this.registered(rows[0].credentials_sealed, merchantId, provider);
  }

  /** Every account registered with this gateway whose `field` equals `value` (e.g. a bearer token), oldest registration first. */
  async accountsWhere(provider: string, field: string, value: string): Promise<{ merchantId: string; account: Record<string, unknown> }[]> {
    const rows: { merchant_id: string; credentials_sealed: string }[] = await this.db.query(`SELECT merchant_id, credentials_sealed FROM provider_accounts WHERE provider = $1 ORDER BY created_at, id`, [provider]);
    const out: { merchantId: string; account: Record<string, unknown> }[] = [];
    for (const row of rows) {
      const account = this.registered(row.credentials_sealed, row.merchant_id, provider);
      if (account && account[field] === value) out.push({ merchantId: row.merchant_id, account });
    }
    return out;
  }

  /** The opened registration when its base_url points at the sandbox; null for a real gateway's merchant. */
  private registered(sealed: string, merchantId: string, provider: string): Record<string, unknown> | null {
    const account = this.open(sealed, merchantId, provider);
    return this.pointsAtSandbox(account.base_url) ? account : null;
  }

  /** A copy, so a caller's edits never reach the cache. */
  private open(sealed: string, merchantId: string, provider: string): Record<string, unknown> {
    const key = `${merchantId}:${provider}:${sealed}`;
    let account = this.opened.get(key);
    if (!account) {
      account = JSON.parse(this.box.open(sealed, `${merchantId}:${provider}`)) as Record<string, unknown>;
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

function toTxn(r: Record<string, unknown>): SandboxTransaction {
  return {
    id: String(r.id),
    orderId: String(r.order_id),
    merchantId: String(r.merchant_id),
    provider: String(r.provider),
    providerReference: String(r.provider_reference),
    amountMinor: Number(r.amount_minor),
    currency: r.currency as 'USD' | 'KHR',
    createdAt: new Date(r.created_at as string),
    expiresAt: new Date(r.expires_at as string),
  };
}
