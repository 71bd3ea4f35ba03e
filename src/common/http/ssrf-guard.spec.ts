import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../../config/config';
import { OutboundError, OutboundHttp } from './outbound-http';
import { isIpLiteral, NOT_ALLOWED, SsrfGuard } from './ssrf-guard';

const FORBIDDEN = [
  '127.0.0.1',
  '127.1.2.3',
  '10.0.0.1',
  '172.16.5.4',
  '192.168.1.1',
  '169.254.169.254',
  '169.254.0.1',
  '100.64.0.1',
  '100.127.255.254',
  '0.0.0.0',
  '255.255.255.255',
  '224.0.0.1',
  '198.18.0.1',
  '::1',
  '::',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'febf::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '64:ff9b::7f00:1',
  '64:ff9b:1::1',
  '2002:7f00:1::1',
];
const PUBLIC = ['8.8.8.8', '1.1.1.1', '203.0.114.7', '2606:4700:4700::1111', '::ffff:8.8.8.8'];

describe('SsrfGuard', () => {
  const strict = new SsrfGuard([], false);

  it.each(FORBIDDEN)('refuses %s with no allow-list', (address) => {
    expect(strict.refusal(address)).toMatch(/range|link-local/);
  });

  it.each(PUBLIC)('allows public %s', (address) => {
    expect(strict.refusal(address)).toBeNull();
  });

  it('refuses unparseable addresses', () => {
    expect(strict.refusal('not-an-ip')).toMatch(/unparseable/);
  });

  describe('with the sandbox on (loopback allowed)', () => {
    const sandbox = new SsrfGuard([], true);
    it.each(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'])('allows loopback %s', (address) => {
      expect(sandbox.refusal(address)).toBeNull();
    });
    it.each(['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254', '10.0.0.1', '100.64.0.1', 'fc00::1', '0.0.0.0'])('still refuses %s', (address) => {
      expect(sandbox.refusal(address)).not.toBeNull();
    });
  });

  describe('allow-list', () => {
    const guard = new SsrfGuard(['10.1.0.0/16', '192.168.7.7', 'internal.example', 'fd00::/8', '0.0.0.0/0', '::ffff:172.20.0.0/112'], false);
    it('honours CIDRs, addresses and host names', () => {
      expect(guard.refusal('10.1.200.3')).toBeNull();
      expect(guard.refusal('::ffff:10.1.200.3')).toBeNull();
      expect(guard.refusal('192.168.7.7')).toBeNull();
      expect(guard.refusal('fd00::5')).toBeNull();
      expect(guard.refusal('172.20.1.1')).toBeNull();
      expect(guard.refusal('127.0.0.1', 'internal.example')).toBeNull();
      expect(guard.refusal('127.0.0.1', 'INTERNAL.example.')).toBeNull();
    });
    it('a broad CIDR (0.0.0.0/0) allows private ranges but never link-local', () => {
      expect(guard.refusal('127.0.0.1')).toBeNull();
      expect(guard.refusal('169.254.169.254')).toMatch(/link-local/);
      expect(guard.refusal('169.254.169.254', 'internal.example')).toMatch(/link-local/);
    });
    it('link-local only when listed by address or a CIDR inside 169.254.0.0/16', () => {
      expect(new SsrfGuard(['169.254.169.254'], true).refusal('169.254.169.254')).toBeNull();
      expect(new SsrfGuard(['169.254.169.254'], true).refusal('169.254.169.253')).not.toBeNull();
      expect(new SsrfGuard(['169.254.0.0/16'], false).refusal('169.254.1.1')).toBeNull();
      expect(new SsrfGuard(['169.0.0.0/8'], false).refusal('169.254.1.1')).not.toBeNull();
      expect(new SsrfGuard(['fe80::/10'], false).refusal('fe80::1')).toBeNull();
      expect(new SsrfGuard(['::/0'], false).refusal('fe80::1')).not.toBeNull();
    });
    it('does not widen: 10.2.0.1 is outside 10.1.0.0/16', () => {
      expect(new SsrfGuard(['10.1.0.0/16'], false).refusal('10.2.0.1')).not.toBeNull();
    });
  });

  it('validates allow-list entries', () => {
    for (const ok of ['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '[::1]', 'hooks.internal', '']) expect(SsrfGuard.validateAllowlistEntry(ok)).toBe(true);
    for (const bad of ['10.0.0.0/99', 'bad host', 'http://x/']) expect(SsrfGuard.validateAllowlistEntry(bad)).toBe(false);
  });

  it('recognises IP literals', () => {
    expect(isIpLiteral('127.0.0.1')).toBe(true);
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('localhost')).toBe(false);
  });

  it('the lookup refuses a host name that resolves to loopback', async () => {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => strict.lookup('localhost', { all: true }, (e) => resolve(e)));
    expect(err?.code).toBe('ESSRF');
    const ok = await new Promise<unknown>((resolve) => new SsrfGuard([], true).lookup('localhost', {}, (e, address) => resolve(e ?? address)));
    expect(String(ok)).toMatch(/^(127\.|::1)/);
  });
});

describe('OutboundHttp against the SSRF matrix', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/landed` });
        return res.end();
      }
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const http = (allowlist: string[], loopback: boolean) =>
    new OutboundHttp({ outboundAllowlist: allowlist, outboundLoopback: loopback, providerTimeoutMs: 1000 } as AppConfig);

  it.each([
    'http://127.0.0.1:PORT/',
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:PORT/',
    'http://localhost:PORT/',
    'http://2130706433:PORT/',
    'http://0x7f.1:PORT/',
    'http://100.64.0.1/',
    'http://[fc00::1]/',
    'http://[fe80::1]/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://0.0.0.0:PORT/',
  ])('refuses %s before any byte is sent, saying only "not allowed"', async (raw) => {
    const client = http([], false);
    const before = hits;
    const err = await client.send({ method: 'POST', url: raw.replace('PORT', String(port)), body: '{}', timeoutMs: 1000 }).catch((e: unknown) => e);
    await client.close();
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).kind).toBe('refused');
    // The message reaches merchants (problem details, delivery errors): no resolved address, no range.
    expect((err as OutboundError).message).toBe(NOT_ALLOWED);
    expect(hits).toBe(before);
  });

  it('refuses non-http schemes and credentials in URLs', async () => {
    const client = http([], true);
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1/', `http://user:pw@127.0.0.1:${port}/`]) {
      const err = await client.send({ method: 'GET', url }).catch((e: unknown) => e);
      expect((err as OutboundError).kind).toBe('refused');
    }
    await client.close();
  });

  it('honours the allow-list (address and host name)', async () => {
    const byAddress = http(['127.0.0.1'], false);
    expect((await byAddress.send({ method: 'GET', url: `http://127.0.0.1:${port}/` })).status).toBe(200);
    await byAddress.close();
    const byName = http(['localhost'], false);
    expect((await byName.send({ method: 'GET', url: `http://localhost:${port}/` })).status).toBe(200);
    await byName.close();
  });

  it('never follows a redirect (to loopback or anywhere): the 3xx is the answer', async () => {
    const client = http(['127.0.0.1'], false);
    const before = hits;
    const res = await client.send({ method: 'POST', url: `http://127.0.0.1:${port}/redirect`, body: '{}' });
    await client.close();
    expect(res.status).toBe(302);
    expect(hits).toBe(before + 1);
  });
});
