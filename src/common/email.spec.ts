import { isEmailAddress } from './email';

describe('isEmailAddress', () => {
  it('accepts addresses, refuses non-addresses and lone surrogates without throwing', () => {
    expect(isEmailAddress('dara@example.com')).toBe(true);
    expect(isEmailAddress('dara😀@example.com')).toBe(false);
    for (const bad of ['\ud800', 'a\udc00@example.com', 'dara@\ud83dexample.com', 'not an email', '', 12, null]) expect(isEmailAddress(bad)).toBe(false);
  });
});
