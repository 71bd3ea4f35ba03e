import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { randomToken, sha256Hex } from '../common/crypto';
import { newId } from '../common/ids';
import { ApiKeysRepository } from './api-keys.repository';

/** The merchant an API key (or a member's session) authenticates, and which key did: null for a session (auth.ts puts it on the request). */
export interface AuthedMerchant {
  id: string;
  name: string;
  keyId: string | null;
}

/**
 * API keys: `sk_` + 32 random bytes, shown once, stored as sha256 (a fast hash is right here:
 * the key has 256 bits of entropy, so there is nothing to brute-force). A small cache keeps
 * the hot path (every merchant request) off the database for a few seconds.
 */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { merchant: AuthedMerchant | null; until: number }>();
  private static readonly CACHE_MS = 5_000;

  constructor(private readonly apiKeys: ApiKeysRepository) {}

  async issue(manager: EntityManager, merchantId: string, expiresAt: Date | null = null): Promise<{ id: string; key: string }> {
    const key = `sk_${randomToken(32)}`;
    const id = newId('key');
    await this.apiKeys.insert(manager, { id, merchantId, keyHash: sha256Hex(key), last4: key.slice(-4), expiresAt });
    return { id, key };
  }

  async authenticate(key: string): Promise<AuthedMerchant | null> {
    if (!/^sk_[A-Za-z0-9_-]{20,100}$/.test(key)) return null;
    const hash = sha256Hex(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.merchant;
    const found = await this.apiKeys.findAuthenticating(hash);
    const merchant = found ? { id: found.id, name: found.name, keyId: found.key_id } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    // A key rotated out with an overlap window must stop at its expiry, not up to CACHE_MS later.
    const expiresAt = found?.expires_at ? new Date(found.expires_at).getTime() : Infinity;
    this.cache.set(hash, { merchant, until: Math.min(now + ApiKeysService.CACHE_MS, expiresAt) });
    return merchant;
  }

  /** Forget cached authentications (after a revoke or a merchant disable). */
  invalidate(): void {
    this.cache.clear();
  }
}
