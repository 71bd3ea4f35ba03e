import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { newId } from '../common/ids';
import type { Scope } from '../common/scope';
import type { ProviderId } from '../providers/provider';
import { ProviderAccountRow } from './merchant.entity';

export type SealedAccountRow = Pick<ProviderAccountRow, 'merchantId' | 'livemode' | 'provider' | 'credentialsSealed' | 'needsAttention'>;

/** The select list of a SealedAccountRow, from the provider_accounts table under `alias` (for queries that join it). */
export const SEALED_ACCOUNT_COLUMNS = (alias: string) =>
  `${alias}.merchant_id AS "merchantId", ${alias}.livemode, ${alias}.provider, ${alias}.credentials_sealed AS "credentialsSealed", ${alias}.needs_attention AS "needsAttention"`;

/**
 * The provider_accounts table's reads and writes, by intent, each scoped by merchant and mode (a
 * test-mode row is the account test orders use, at the simulator). Credentials come and go sealed;
 * ProviderAccountsService opens them.
 */
@Injectable()
export class ProviderAccountsRepository {
  constructor(private readonly db: DataSource) {}

  /** Creates or replaces the merchant's account at the gateway; new credentials clear needs_attention. */
  async upsertSealed(scope: Scope, provider: string, credentialsSealed: string, credentialExpiresAt: Date | null = null): Promise<void> {
    await this.db.query(
      `INSERT INTO provider_accounts (id, merchant_id, livemode, provider, credentials_sealed, credential_expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (merchant_id, livemode, provider) DO UPDATE SET credentials_sealed = EXCLUDED.credentials_sealed, needs_attention = NULL,
         credential_expires_at = EXCLUDED.credential_expires_at, updated_at = now()`,
      [newId('pac'), scope.merchantId, scope.livemode, provider, credentialsSealed, credentialExpiresAt],
    );
  }

  /** Creates the account unless the merchant has one in this mode already (two first test orders at once: one wins, both use it). */
  async insertSealedIfAbsent(scope: Scope, provider: string, credentialsSealed: string): Promise<void> {
    await this.db.query(
      `INSERT INTO provider_accounts (id, merchant_id, livemode, provider, credentials_sealed) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (merchant_id, livemode, provider) DO NOTHING`,
      [newId('pac'), scope.merchantId, scope.livemode, provider, credentialsSealed],
    );
  }

  /**
   * Live accounts whose credential expires before now + `withinSeconds` (already expired included), per
   * provider, across merchants: for the metric and /health/ready (counts only, no merchant named).
   */
  async countExpiringCredentials(withinSeconds: number): Promise<{ provider: string; expiring: number; expired: number }[]> {
    const rows: { provider: string; expiring: string; expired: string }[] = await this.db.query(
      `SELECT provider, count(*) AS expiring, count(*) FILTER (WHERE credential_expires_at <= now()) AS expired
       FROM provider_accounts WHERE livemode AND credential_expires_at < now() + make_interval(secs => $1) GROUP BY provider ORDER BY provider`,
      [withinSeconds],
    );
    return rows.map((r) => ({ provider: r.provider, expiring: Number(r.expiring), expired: Number(r.expired) }));
  }

  listForMerchant(scope: Scope): Promise<ProviderAccountRow[]> {
    return this.db.getRepository(ProviderAccountRow).find({ where: { merchantId: scope.merchantId, livemode: scope.livemode }, order: { provider: 'ASC' } });
  }

  /** Raw SQL: this runs on every order creation and gateway check, and a repository find costs more CPU than the query itself. */
  async findSealed(scope: Scope, provider: ProviderId): Promise<SealedAccountRow | undefined> {
    const rows: SealedAccountRow[] = await this.db.query(
      `SELECT ${SEALED_ACCOUNT_COLUMNS('provider_accounts')} FROM provider_accounts WHERE merchant_id = $1 AND livemode = $3 AND provider = $2`,
      [scope.merchantId, provider, scope.livemode],
    );
    return rows[0];
  }

  async markNeedsAttention(scope: Scope, provider: ProviderId, reason: string | null): Promise<void> {
    await this.db.query(`UPDATE provider_accounts SET needs_attention = $3, updated_at = now() WHERE merchant_id = $1 AND livemode = $4 AND provider = $2`, [
      scope.merchantId,
      provider,
      reason,
      scope.livemode,
    ]);
  }

  /** The gateways the merchant has an account for in this mode (ids as stored; the caller keeps those this server knows). */
  async configuredProviders(scope: Scope): Promise<string[]> {
    const rows: { provider: string }[] = await this.db.query(`SELECT provider FROM provider_accounts WHERE merchant_id = $1 AND livemode = $2`, [
      scope.merchantId,
      scope.livemode,
    ]);
    return rows.map((r) => r.provider);
  }

  /**
   * Deletes the merchant's account of this mode unless the merchant has a PENDING order on that gateway (its checks need the credentials),
   * in one statement so an order created meanwhile cannot slip between the check and the delete.
   */
  async deleteUnlessPending(scope: Scope, provider: ProviderId): Promise<'deleted' | 'missing' | 'in_use'> {
    const rows: { deleted: boolean; exists: boolean }[] = await this.db.query(
      `WITH gone AS (
         DELETE FROM provider_accounts
          WHERE merchant_id = $1 AND livemode = $3 AND provider = $2
            AND NOT EXISTS (SELECT 1 FROM orders WHERE merchant_id = $1 AND livemode = $3 AND provider = $2 AND status = 'PENDING')
          RETURNING id)
       SELECT EXISTS (SELECT 1 FROM gone) AS deleted,
              EXISTS (SELECT 1 FROM provider_accounts WHERE merchant_id = $1 AND livemode = $3 AND provider = $2) AS exists`,
      [scope.merchantId, provider, scope.livemode],
    );
    if (rows[0].deleted) return 'deleted';
    return rows[0].exists ? 'in_use' : 'missing';
  }
}
