import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { randomToken, sha256Hex } from '../common/crypto';
import { newId } from '../common/ids';
import type { Scope } from '../common/scope';
import { ApiKeysRepository } from './api-keys.repository';

/** The merchant an API key (or a member's session) authenticates, which key did, and the mode it opens (auth.ts puts it on the request). */
export interface AuthedMerchant {
  id: string;
  name: string;
  /** null for a session. */
  keyId: string | null;
  /** false for a test key: every query of the request is then scoped to test data. */
  livemode: boolean;
  /** { merchantId: id, livemode }: what services and repositories take. */
  scope: Scope;
}

/** The prefix of a new key of this mode; keys issued before test mode (`sk_` + random) stay live. */
export const keyPrefix = (livemode: boolean): string => (livemode ? 'sk_live_' : 'sk_test_');

/**
 * API keys: `sk_live_` or `sk_test_` + 32 random bytes, shown once, stored as sha256 (a fast hash is right here:
 * the key has 256 bits of entropy, so there is nothing to brute-force). A small cache keeps
 * the hot path (every merchant request) off the database for a few seconds.
 */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { merchant: AuthedMerchant | null; until: number }>();
  private static readonly CACHE_MS = 5_000;

  constructor(private readonly apiKeys: ApiKeysRepository) {}

  /** A new key; the mode is in the key's prefix for the merchant to see and in the row for the server to trust. */
  async issue(
    manager: EntityManager,
    merchantId: string,
    expiresAt: Date | null = null,
    livemode = true,
  ): Promise<{ id: string; key: string; livemode: boolean }> {
    const key = `${keyPrefix(livemode)}${randomToken(32)}`;
    const id = newId('key');
    await this.apiKeys.insert(manager, { id, merchantId, livemode, keyHash: sha256Hex(key), last4: key.slice(-4), expiresAt });
    return { id, key, livemode };
  }

  async authenticate(key: string): Promise<AuthedMerchant | null> {
    if (!/^sk_[A-Za-z0-9_-]{20,100}$/.test(key)) return null;
    const hash = sha256Hex(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.merchant;
    const found = await this.apiKeys.findAuthenticating(hash);
    // The mode comes from the stored row, never from the prefix the caller typed.
    const merchant = found
      ? { id: found.id, name: found.name, keyId: found.key_id, livemode: found.livemode, scope: { merchantId: found.id, livemode: found.livemode } }
      : null;
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
