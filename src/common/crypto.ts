import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison: every hash and signature check goes through here. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare against a same-length buffer first so the length difference does not short-circuit the work.
  const same = timingSafeEqual(left.length === right.length ? right : left, left);
  return same && left.length === right.length;
}

export const sha1Hex = (input: string): string => createHash('sha1').update(input, 'utf8').digest('hex');
export const sha256Hex = (input: string | Buffer): string => createHash('sha256').update(input).digest('hex');
export const md5Hex = (input: string): string => createHash('md5').update(input, 'utf8').digest('hex');
export const hmacSha256Hex = (key: string, input: string | Buffer): string => createHmac('sha256', key).update(input).digest('hex');

/** URL-safe random token with `bytes` of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

const GCM_TAG_BYTES = 16;

/**
 * AES-256-GCM for provider credentials at rest. Stored as "v1.<iv>.<tag>.<ciphertext>" (base64url).
 * The associated data binds a ciphertext to its row, so a blob copied to another merchant will not decrypt.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyBase64: string) {
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes, base64-encoded');
    this.key = key;
  }

  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string, associatedData: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('unrecognised sealed secret');
    // GCM verifies only as many tag bytes as it is given: a truncated tag is a forgery made easy, so only the full 16 bytes are accepted.
    const authTag = Buffer.from(tag, 'base64url');
    if (authTag.length !== GCM_TAG_BYTES) throw new Error('unrecognised sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
