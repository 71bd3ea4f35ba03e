import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'cfg-'));

  it('starts with no environment at all (embedded mode), generating the secrets into DATA_DIR', () => {
    const dir = dataDir();
    const c = loadConfig({ DATA_DIR: dir });
    expect(c.port).toBe(3000);
    expect(c.sandbox).toBe(true);
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
    expect(Buffer.from(c.encryptionKey, 'base64')).toHaveLength(32);
    expect(c.adminToken).toMatch(/^adm_/);
    // Stable across restarts: the same key decrypts yesterday's credentials.
    expect(loadConfig({ DATA_DIR: dir }).encryptionKey).toBe(c.encryptionKey);
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        DATA_DIR: dataDir(),
        PORT: 'eighty',
        SANDBOX: 'maybe',
        ENCRYPTION_KEY: 'short',
        LOG_LEVEL: 'loud',
        RATE_LIMIT_PER_IP_PER_S: '0',
        OUTBOUND_ALLOWLIST: '10.0.0.0/99',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'SANDBOX', 'ENCRYPTION_KEY', 'LOG_LEVEL', 'RATE_LIMIT_PER_IP_PER_S', 'OUTBOUND_ALLOWLIST']) expect(problems).toContain(name);
  });

  it('requires real secrets in production and turns the sandbox off there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@y/z', DATA_DIR: dataDir() })).toThrow(
      /ADMIN_TOKEN[\s\S]*ENCRYPTION_KEY|ENCRYPTION_KEY[\s\S]*ADMIN_TOKEN/,
    );
    const c = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@y/z',
      ADMIN_TOKEN: 'a'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(c.sandbox).toBe(false);
    expect(c.seedDemo).toBe(false);
  });

  describe('SANDBOX defaults: on in embedded mode only', () => {
    const DB = 'postgres://x@y/z';
    const KEY = Buffer.alloc(32, 1).toString('base64');
    const TOKEN = 'a'.repeat(32);
    it.each([
      // [case, env, sandbox, forced (logged loudly), loopback without OUTBOUND_ALLOWLIST]
      ['embedded, no SANDBOX', {}, true, false, true],
      ['embedded, SANDBOX=false', { SANDBOX: 'false' }, false, false, false],
      ['DATABASE_URL set (systemd, PM2, staging), no SANDBOX', { DATABASE_URL: DB, ENCRYPTION_KEY: KEY }, false, false, false],
      ['DATABASE_URL set, NODE_ENV=development', { DATABASE_URL: DB, ENCRYPTION_KEY: KEY, NODE_ENV: 'development' }, false, false, false],
      ['DATABASE_URL set, NODE_ENV=staging', { DATABASE_URL: DB, ENCRYPTION_KEY: KEY, NODE_ENV: 'staging' }, false, false, false],
      ['DATABASE_URL set, SANDBOX=true', { DATABASE_URL: DB, ENCRYPTION_KEY: KEY, SANDBOX: 'true' }, true, true, false],
      ['production, DATABASE_URL set', { NODE_ENV: 'production', DATABASE_URL: DB, ENCRYPTION_KEY: KEY, ADMIN_TOKEN: TOKEN }, false, false, false],
      [
        'production, DATABASE_URL set, SANDBOX=true',
        { NODE_ENV: 'production', DATABASE_URL: DB, ENCRYPTION_KEY: KEY, ADMIN_TOKEN: TOKEN, SANDBOX: 'true' },
        true,
        true,
        false,
      ],
      ['production, embedded', { NODE_ENV: 'production', ADMIN_TOKEN: TOKEN }, false, false, false],
      ['production, embedded, SANDBOX=true', { NODE_ENV: 'production', ADMIN_TOKEN: TOKEN, SANDBOX: 'true' }, true, true, true],
    ] as [string, Record<string, string>, boolean, boolean, boolean][])('%s', (_name, env, sandbox, forced, loopback) => {
      const c = loadConfig({ DATA_DIR: dataDir(), ...env });
      expect({ sandbox: c.sandbox, sandboxForced: c.sandboxForced, outboundLoopback: c.outboundLoopback }).toEqual({
        sandbox,
        sandboxForced: forced,
        outboundLoopback: loopback,
      });
    });
  });

  it('TRUST_PROXY takes a hop count or the proxies’ addresses, so only the proxy’s own entry is believed', () => {
    const trust = (raw: string) => loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: raw }).trustProxy;
    expect(trust('1')).toBe(1);
    expect(trust('2')).toBe(2);
    expect(trust('0')).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust('10.0.0.0/8, 192.168.1.7,loopback,fd00::/8')).toEqual(['10.0.0.0/8', '192.168.1.7', 'loopback', 'fd00::/8']);
    for (const bad of ['maybe', '10.0.0.0/33', 'nginx', '1.2.3.4/8/9', ',']) expect(() => trust(bad)).toThrow(/TRUST_PROXY/);
  });
});
