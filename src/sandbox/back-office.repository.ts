import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A payment as the back office reads it, with its merchant's registration still sealed. */
export interface BackOfficeTransactionRow {
  id: string;
  order_id: string;
  merchant_id: string;
  provider: string;
  provider_reference: string;
  /** bigint: node-postgres reads it as a decimal string. */
  amount_minor: string;
  currency: string;
  created_at: Date;
  expires_at: Date;
  /** The transaction's mode, and so its account's (the join pairs equal modes only). */
  livemode: boolean;
  credentials_sealed: string;
}

export interface BackOfficeWebhookEndpointRow {
  id: string;
  merchant_id: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
}

// A transaction with the account of its own mode: a test-mode payment is never paired with a live registration, or the reverse.
const TRANSACTION_WITH_ACCOUNT = `SELECT t.id, t.order_id, t.merchant_id, t.provider, t.provider_reference, t.amount_minor, t.currency, t.created_at, t.expires_at,
              t.livemode, a.credentials_sealed
       FROM transactions t JOIN provider_accounts a ON a.merchant_id = t.merchant_id AND a.livemode = t.livemode AND a.provider = t.provider`;

/**
 * The sandbox's read-only view of the orchestrator's tables (transactions, provider_accounts,
 * webhook_endpoints, smm_panels): what a real gateway, panel or webhook receiver has on file
 * because the merchant registered with it. Plain SELECTs, independent of the product modules'
 * code (the sandbox never imports them); it never writes. Secrets come back sealed: the callers
 * open them and keep to registrations that point at the sandbox.
 */
@Injectable()
export class SandboxBackOfficeRepository {
  constructor(private readonly db: DataSource) {}

  async transactionByReference(provider: string, providerReference: string): Promise<BackOfficeTransactionRow | null> {
    const rows: BackOfficeTransactionRow[] = await this.db.query(`${TRANSACTION_WITH_ACCOUNT}\n       WHERE t.provider = $1 AND t.provider_reference = $2`, [
      provider,
      providerReference,
    ]);
    return rows[0] ?? null;
  }

  transactionsByReferences(provider: string, providerReferences: string[]): Promise<BackOfficeTransactionRow[]> {
    return this.db.query(`${TRANSACTION_WITH_ACCOUNT}\n       WHERE t.provider = $1 AND t.provider_reference = ANY($2)`, [provider, providerReferences]);
  }

  /** The merchant's sealed credentials for this gateway in this mode, or null. */
  async sealedAccount(merchantId: string, livemode: boolean, provider: string): Promise<string | null> {
    const rows: { credentials_sealed: string }[] = await this.db.query(
      `SELECT credentials_sealed FROM provider_accounts WHERE merchant_id = $1 AND livemode = $3 AND provider = $2`,
      [merchantId, provider, livemode],
    );
    return rows[0]?.credentials_sealed ?? null;
  }

  /** Every merchant's sealed credentials for this gateway, oldest registration first. */
  sealedAccounts(provider: string): Promise<{ merchant_id: string; livemode: boolean; credentials_sealed: string }[]> {
    return this.db.query(`SELECT merchant_id, livemode, credentials_sealed FROM provider_accounts WHERE provider = $1 ORDER BY created_at, id`, [provider]);
  }

  /** Live webhook endpoints whose URL ends with `pathSuffix` (a narrowing only: the caller checks the host). */
  webhookEndpointsEndingWith(pathSuffix: string): Promise<BackOfficeWebhookEndpointRow[]> {
    return this.db.query(
      `SELECT id, merchant_id, url, secret_sealed, previous_secret_sealed, previous_secret_expires_at FROM webhook_endpoints
       WHERE deleted_at IS NULL AND url LIKE $1`,
      [`%${pathSuffix}`],
    );
  }

  /** Every merchant's SMM panel of this type, its API key sealed. */
  smmPanels(type: string): Promise<{ merchant_id: string; api_key_sealed: string; api_url: string }[]> {
    return this.db.query(`SELECT merchant_id, api_key_sealed, api_url FROM smm_panels WHERE type = $1 ORDER BY merchant_id`, [type]);
  }

  /** Whether some merchant's Telegram channel holds the bot token with this sha256 (the sandbox's Bot API knows only those bots). */
  async telegramBotRegistered(tokenHash: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM notification_channels WHERE type = 'telegram' AND bot_token_hash = $1 LIMIT 1`, [tokenHash]);
    return rows.length > 0;
  }
}
