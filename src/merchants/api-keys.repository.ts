import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/rows';

/** An API key as operators see it: never the key, only its last four characters. */
export interface ApiKeyRow {
  id: string;
  last4: string;
  /** false for a test key (`sk_test_…`). */
  livemode: boolean;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

/** The key a live (unrevoked, unexpired) key hash authenticates, with its active merchant. */
export interface AuthenticatingKey {
  key_id: string;
  id: string;
  name: string;
  livemode: boolean;
  expires_at: Date | null;
}

const KEY_COLUMNS = 'id, last4, livemode, created_at, expires_at, revoked_at';

/** The api_keys table's reads and writes, by intent. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: DataSource) {}

  async insert(
    manager: EntityManager,
    key: { id: string; merchantId: string; livemode: boolean; keyHash: string; last4: string; expiresAt: Date | null },
  ): Promise<void> {
    await manager.query(`INSERT INTO api_keys (id, merchant_id, livemode, key_hash, last4, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
      key.id,
      key.merchantId,
      key.livemode,
      key.keyHash,
      key.last4,
      key.expiresAt,
    ]);
  }

  /** By hash through a unique index: an equality on a digest leaks nothing useful about the key. */
  async findAuthenticating(keyHash: string): Promise<AuthenticatingKey | null> {
    const rows: AuthenticatingKey[] = await this.db.query(
      `SELECT k.id AS key_id, m.id, m.name, k.livemode, k.expires_at FROM api_keys k JOIN merchants m ON m.id = k.merchant_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND m.status = 'active'`,
      [keyHash],
    );
    return rows[0] ?? null;
  }

  /** Newest first; of one mode when `livemode` is given (a test key sees test keys only), else both. */
  listForMerchant(merchantId: string, livemode: boolean | null = null): Promise<ApiKeyRow[]> {
    return this.db.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE merchant_id = $1 AND ($2::boolean IS NULL OR livemode = $2) ORDER BY id DESC`, [
      merchantId,
      livemode,
    ]);
  }

  /** The database's now() plus `seconds`: the moment keys retired by a rotation stop working. */
  async cutoffAfter(manager: EntityManager, seconds: number): Promise<Date> {
    const [{ cutoff }]: { cutoff: Date }[] = await manager.query(`SELECT now() + make_interval(secs => $1) AS cutoff`, [seconds]);
    return cutoff;
  }

  /** Makes every key of the merchant and mode still in use expire at `cutoff` (never later than it already would); the ids it shortened. */
  async retireLiveKeys(manager: EntityManager, merchantId: string, livemode: boolean, cutoff: Date): Promise<string[]> {
    const retired: unknown = await manager.query(
      `UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, $2::timestamptz), $2::timestamptz)
        WHERE merchant_id = $1 AND livemode = $3 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        RETURNING id`,
      [merchantId, cutoff, livemode],
    );
    return returnedRows<{ id: string }>(retired).map((r) => r.id);
  }

  /** The merchant's key (of one mode when `livemode` is given), locked until `manager`'s transaction ends. */
  async findForUpdate(manager: EntityManager, keyId: string, merchantId: string, livemode: boolean | null = null): Promise<ApiKeyRow | null> {
    const [row]: ApiKeyRow[] = await manager.query(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1 AND merchant_id = $2 AND ($3::boolean IS NULL OR livemode = $3) FOR UPDATE`,
      [keyId, merchantId, livemode],
    );
    return row ?? null;
  }

  async findById(manager: EntityManager, keyId: string): Promise<ApiKeyRow> {
    const [row]: ApiKeyRow[] = await manager.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [keyId]);
    return row;
  }

  async revoke(manager: EntityManager, keyId: string): Promise<void> {
    await manager.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
  }

  /** Makes one key stop working at `cutoff` (never later than it already would). */
  async expireAt(manager: EntityManager, keyId: string, cutoff: Date): Promise<void> {
    await manager.query(`UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, $2::timestamptz), $2::timestamptz) WHERE id = $1`, [keyId, cutoff]);
  }

  /** How many of the merchant's keys of this mode other than `keyId` work now and have no expiry (the ones a revoke leaves in service). */
  async countOtherLasting(manager: EntityManager, merchantId: string, keyId: string, livemode: boolean): Promise<number> {
    const [{ n }]: { n: string }[] = await manager.query(
      `SELECT count(*) AS n FROM api_keys WHERE merchant_id = $1 AND livemode = $3 AND id <> $2 AND revoked_at IS NULL AND expires_at IS NULL`,
      [merchantId, keyId, livemode],
    );
    return Number(n);
  }
}
