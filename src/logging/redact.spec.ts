import { isSecretKey, REDACTED, scrubSecrets, scrubString } from './redact';

describe('scrubSecrets', () => {
  it('replaces secret-named keys at any depth, keeping the shape', () => {
    const input = {
      merchant: 'mer_1',
      account: { profile_id: '1001', profile_key: 'pk-secret', nested: { 'Secret-Key': 'abc', api_key: 'k', token: 'tok' } },
      headers: { Authorization: 'Bearer sk_abcdefghijklmnopqrstuvwxyz', cookie: 'sid=1' },
      list: [{ password: 'p' }, 'plain'],
      empty: { secret: '' },
    };
    expect(scrubSecrets(input)).toEqual({
      merchant: 'mer_1',
      account: { profile_id: '1001', profile_key: REDACTED, nested: { 'Secret-Key': REDACTED, api_key: REDACTED, token: REDACTED } },
      headers: { Authorization: REDACTED, cookie: REDACTED },
      list: [{ password: REDACTED }, 'plain'],
      empty: { secret: '' },
    });
    // The input is not modified.
    expect(input.account.profile_key).toBe('pk-secret');
  });

  it('finds key and token shapes inside free text', () => {
    expect(scrubString('key sk_AbCdEf0123456789xyzXYZ used')).toBe(`key sk_${REDACTED} used`);
    expect(scrubString('secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(`secret whsec_${REDACTED}`);
    expect(scrubString('admin adm_0123456789abcdef')).toBe(`admin adm_${REDACTED}`);
    expect(scrubString('Authorization: Bearer abc.def-ghi_123')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scrubString('/x?profile_key=abc&amount=1&token=t0k')).toBe(`/x?profile_key=${REDACTED}&amount=1&token=${REDACTED}`);
    expect(scrubString('{"secret_key":"s3cr3t","id":1}')).toBe(`{"secret_key":"${REDACTED}","id":1}`);
    // Ordinary ids and words stay readable.
    expect(scrubString('order ord_01jd0000000000000000000000 by skip_locked task_runner')).toBe(
      'order ord_01jd0000000000000000000000 by skip_locked task_runner',
    );
  });

  it('handles errors, cycles, depth and non-plain objects', () => {
    const err = Object.assign(new Error('failed with sk_AbCdEf0123456789xyz'), { api_key: 'x', code: 'E1' });
    const out = scrubSecrets(err) as Record<string, unknown>;
    expect(out).toMatchObject({ type: 'Error', message: `failed with sk_${REDACTED}`, api_key: REDACTED, code: 'E1' });
    expect(String(out.stack)).not.toContain('sk_AbCdEf');

    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(scrubSecrets(cyclic)).toEqual({ a: 1, self: '[circular]' });

    let deep: Record<string, unknown> = { token: 't' };
    for (let i = 0; i < 12; i++) deep = { next: deep };
    expect(JSON.stringify(scrubSecrets(deep))).toContain('[depth limit]');

    const buf = Buffer.from('x');
    const date = new Date(0);
    expect(scrubSecrets({ buf, date })).toEqual({ buf, date });
    expect(scrubSecrets(null)).toBeNull();
    expect(scrubSecrets(42)).toBe(42);
  });

  it('copies only what it changes: a clean value comes back as the same reference', () => {
    const clean = { context: 'OrdersService', order: { id: 'ord_1', amount: '9.90', items: [{ sku: 'a' }] }, note: 'keyboard order' };
    expect(scrubSecrets(clean)).toBe(clean);
    const list = ['plain', { id: 1 }];
    expect(scrubSecrets(list)).toBe(list);
    // One secret deep inside: a new path down to it, untouched siblings shared.
    const dirty = { a: { b: { token: 't0k' } }, c: { d: 1 } };
    const out = scrubSecrets(dirty) as typeof dirty;
    expect(out).not.toBe(dirty);
    expect(out.a.b.token).toBe(REDACTED);
    expect(out.c).toBe(dirty.c);
    expect(dirty.a.b.token).toBe('t0k');
  });

  it('recognises every secret key name however it is spelled (the quick pre-check never hides one)', () => {
    const names = [
      'Authorization',
      'PROXY-AUTHORIZATION',
      'Cookie',
      'Set-Cookie',
      'X-Api-Key',
      'apiKey',
      'ProfileKey',
      'secretKey',
      'SECRET',
      'client-secret',
      'signingSecret',
      'WEBHOOK_SECRET',
      'Token',
      'accessToken',
      'refresh-token',
      'ID_TOKEN',
      'Password',
      'passwd',
      'privateKey',
      'encryption-key',
      'adminToken',
      'Credentials',
      'credentials_sealed',
      'keyHash',
    ];
    for (const name of names) expect([name, isSecretKey(name)]).toEqual([name, true]);
    for (const name of ['keyboard', 'monkey', 'tokens_used', 'author', 'context', 'secretary']) expect([name, isSecretKey(name)]).toEqual([name, false]);
    expect(scrubString('BEARER abcdefgh')).toBe(`BEARER ${REDACTED}`);
    expect(scrubString('x?TOKEN=abc&Password=p')).toBe(`x?TOKEN=${REDACTED}&Password=${REDACTED}`);
    expect(scrubString('{"Secret":"x"}')).toBe(`{"Secret":"${REDACTED}"}`);
  });
});
