import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { randomToken, sha256Hex } from '../common/crypto';
import { newId } from '../common/ids';
import type { AuthedMerchant } from './auth';

/**
 * API keys: `sk_` + 32 random bytes, shown once, stored as sha256 (a fast hash is right here:
 * the key has 256 bits of entropy, so there is nothing to brute-force). A small cache keeps
 * the hot path (every merchant request) off the database for a few seconds.
 */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { merchant: AuthedMerchant | null; until: number }>();
  private static readonly CACHE_MS = 5_000;

  constructor(private readonly db: DataSource) {}

  async issue(manager: EntityManager, merchantId: string, expiresAt: Date | null = null): Promise<{ id: string; key: string }> {
    const key = `sk_${randomToken(32)}`;
    const id = newId('key');
    await manager.query(`INSERT INTO api_keys (id, merchant_id, key_hash, last4, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
      id,
      merchantId,
      sha256Hex(key),
      key.slice(-4),
      expiresAt,
    ]);
    return { id, key };
  }

  async authenticate(key: string): Promise<AuthedMerchant | null> {
    if (!/^sk_[A-Za-z0-9_-]{20,100}$/.test(key)) return null;
    const hash = sha256Hex(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.merchant;
    // The lookup is by hash through a unique index: an equality on a digest leaks nothing useful about the key.
    const rows: { key_id: string; id: string; name: string; expires_at: Date | null }[] = await this.db.query(
      `SELECT k.id AS key_id, m.id, m.name, k.expires_at FROM api_keys k JOIN merchants m ON m.id = k.merchant_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND m.status = 'active'`,
      [hash],
    );
    const merchant = rows[0] ? { id: rows[0].id, name: rows[0].name, keyId: rows[0].key_id } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    // A key rotated out with an overlap window must stop at its expiry, not up to CACHE_MS later.
    const expiresAt = rows[0]?.expires_at ? new Date(rows[0].expires_at).getTime() : Infinity;
    this.cache.set(hash, { merchant, until: Math.min(now + ApiKeysService.CACHE_MS, expiresAt) });
    return merchant;
  }

  /** Forget cached authentications (after a revoke or a merchant disable). */
  invalidate(): void {
    this.cache.clear();
  }
}
