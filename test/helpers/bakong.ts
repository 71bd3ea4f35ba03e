import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { SecretBox } from '../../src/common/crypto';
import { liveScope } from '../../src/common/scope';
import { ProviderAccountsRepository } from '../../src/merchants/provider-accounts.repository';
import type { TestApp, TestMerchant } from './test-app';

/** A Bakong account id unique to the merchant (≤ 32 characters, as KHQR requires). */
export const bakongIdFor = (m: TestMerchant) => `shop_${m.id.slice(-10).toLowerCase()}@devb`;

/** Points a merchant's Bakong Open API account at this app's sandbox. */
export async function configureBakong(t: TestApp, m: TestMerchant, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const body = {
    account_id: bakongIdFor(m),
    merchant_name: 'Test Shop',
    merchant_city: 'Phnom Penh',
    token: `tok-${m.id}`,
    base_url: `${t.url}/sandbox/bakong`,
    ...extra,
  };
  const res = await t.request('PUT', '/v1/provider-accounts/bakong', { token: m.apiKey, body });
  if (res.status !== 200) throw new Error(`configure bakong: ${res.status} ${res.text}`);
  return body;
}

/**
 * Stores a Bakong account as it was saved earlier, without the check a PUT makes now: how an
 * account looks once its token has expired since (a PUT with an expired token is refused).
 */
export async function storeBakongUnchecked(t: TestApp, m: TestMerchant, extra: Record<string, unknown> = {}): Promise<void> {
  const body = {
    account_id: bakongIdFor(m),
    merchant_name: 'Test Shop',
    merchant_city: 'Phnom Penh',
    token: `tok-${m.id}`,
    base_url: `${t.url}/sandbox/bakong`,
    ...extra,
  };
  const sealed = new SecretBox(t.config.encryptionKey).seal(JSON.stringify(body), `${m.id}:bakong`);
  await t.app.get(ProviderAccountsRepository).upsertSealed(liveScope(m.id), 'bakong', sealed);
}

/** Points a merchant's Bakong KHQR API service account at this app's sandbox. */
export async function configureBakongapi(t: TestApp, m: TestMerchant, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const body = { bakong_id: bakongIdFor(m), merchant_name: 'My Store', base_url: `${t.url}/sandbox/bakongapi`, ...extra };
  const res = await t.request('PUT', '/v1/provider-accounts/bakongapi', { token: m.apiKey, body });
  if (res.status !== 200) throw new Error(`configure bakongapi: ${res.status} ${res.text}`);
  return body;
}

/** A JWT-shaped token whose exp is in the past, as an expired Bakong token looks. */
export function expiredJwt(): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const past = Math.floor(Date.now() / 1000) - 3600;
  return `${part({ typ: 'JWT', alg: 'HS256' })}.${part({ iat: past - 7_776_000, exp: past, data: { id: 'expired' } })}.c2lnbmF0dXJl`;
}

/** GETs an image and reads the QR code in it with jsQR (PNG decoded by pngjs). */
export async function fetchQrImage(url: string): Promise<{ status: number; headers: Headers; body: Buffer; decoded: string | null }> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  let decoded: string | null = null;
  if (res.status === 200 && res.headers.get('content-type') === 'image/png') {
    const png = PNG.sync.read(body);
    decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
  }
  return { status: res.status, headers: res.headers, body, decoded };
}

/** A gateway that answers whatever the test says: for answers the sandbox never gives (malformed amounts, unknown codes). */
export interface FakeGateway {
  url: string;
  calls: { method: string; url: string; body: string; authorization?: string }[];
  answer: (req: { method: string; url: string; body: string }) => { status: number; body: unknown };
  close(): Promise<void>;
}

export async function startFakeGateway(): Promise<FakeGateway> {
  const fake: Partial<FakeGateway> = { calls: [], answer: () => ({ status: 500, body: 'no answer configured' }) };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = { method: req.method ?? 'GET', url: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8'), authorization: req.headers.authorization };
      fake.calls!.push(call);
      const { status, body } = fake.answer!(call);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake as FakeGateway;
}
