import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { randomToken } from '../common/crypto';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id with the library's defaults (19 MiB, 2 passes: OWASP's baseline). */
const OPTIONS = { algorithm: Algorithm.Argon2id } as const;

/**
 * Password hashing. `verifyOrDummy` does the same work whether or not there is a hash to check
 * (an unknown email verifies against a hash of a random password), so the time of an answer does
 * not tell whether the email exists.
 */
@Injectable()
export class Passwords {
  private dummy: Promise<string> | null = null;

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verifyOrDummy(storedHash: string | null, password: string): Promise<boolean> {
    this.dummy ??= hash(randomToken(16), OPTIONS);
    const target = storedHash ?? (await this.dummy);
    let ok: boolean;
    try {
      ok = await verify(target, password);
    } catch {
      ok = false;
    }
    return ok && storedHash !== null;
  }
}
