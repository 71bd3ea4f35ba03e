import { SecretBox } from './crypto';

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.alloc(32, 3).toString('base64'));

  it('opens what it sealed, bound to its associated data', () => {
    const sealed = box.seal('profile-key-1', 'mer_1:raksmeypay');
    expect(box.open(sealed, 'mer_1:raksmeypay')).toBe('profile-key-1');
    expect(() => box.open(sealed, 'mer_2:raksmeypay')).toThrow();
  });

  it('refuses a truncated authentication tag (GCM would otherwise check only its first bytes)', () => {
    const sealed = box.seal('profile-key-1', 'ad');
    const [version, iv, tag, ciphertext] = sealed.split('.');
    const full = Buffer.from(tag, 'base64url');
    expect(full).toHaveLength(16);
    // Every shorter prefix of the genuine tag: each is a correct tag of that length, so only the length check rejects it.
    for (const bytes of [4, 8, 12, 15]) {
      const truncated = [version, iv, full.subarray(0, bytes).toString('base64url'), ciphertext].join('.');
      expect(() => box.open(truncated, 'ad')).toThrow();
    }
  });
});
