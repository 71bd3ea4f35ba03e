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
 */
@Injectable()
export class SandboxBackOffice {
  private readonly box: SecretBox;

  constructor(
    private readonly db: DataSource,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  async transaction(provider: string, providerReference: string): Promise<SandboxTransaction | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT id, order_id, merchant_id, provider, provider_reference, amount_minor, currency, created_at, expires_at
       FROM transactions WHERE provider = $1 AND provider_reference = $2`,
      [provider, providerReference],
    );
    return rows[0] ? toTxn(rows[0]) : null;
  }

  async transactionsByRefs(provider: string, refs: string[]): Promise<SandboxTransaction[]> {
    if (!refs.length) return [];
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT id, order_id, merchant_id, provider, provider_reference, amount_minor, currency, created_at, expires_at
       FROM transactions WHERE provider = $1 AND provider_reference = ANY($2)`,
      [provider, refs],
    );
    return rows.map(toTxn);
  }

  /** The merchant's registration with this gateway (decrypted), or null. */
  async account(merchantId: string, provider: string): Promise<Record<string, unknown> | null> {
    const rows: { credentials_sealed: string }[] = await this.db.query(`SELECT credentials_sealed FROM provider_accounts WHERE merchant_id = $1 AND provider = $2`, [merchantId, provider]);
    if (!rows[0]) return null;
    return JSON.parse(this.box.open(rows[0].credentials_sealed, `${merchantId}:${provider}`)) as Record<string, unknown>;
  }

  /** Every account registered with this gateway whose `field` equals `value` (e.g. a bearer token), oldest registration first. */
  async accountsWhere(provider: string, field: string, value: string): Promise<{ merchantId: string; account: Record<string, unknown> }[]> {
    const rows: { merchant_id: string; credentials_sealed: string }[] = await this.db.query(`SELECT merchant_id, credentials_sealed FROM provider_accounts WHERE provider = $1 ORDER BY created_at, id`, [provider]);
    const out: { merchantId: string; account: Record<string, unknown> }[] = [];
    for (const row of rows) {
      const account = JSON.parse(this.box.open(row.credentials_sealed, `${row.merchant_id}:${provider}`)) as Record<string, unknown>;
      if (account[field] === value) out.push({ merchantId: row.merchant_id, account });
    }
    return out;
  }
}

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
