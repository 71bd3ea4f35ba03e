import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/database/embedded-postgres';
import { createTestDatabase, httpRequest, TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from './helpers/test-app';
import { ensureWebBundle } from './helpers/web-bundle';

/**
 * What a new user does after `npm start`: the entry point (src/main.ts) in its own process with the
 * demo seeded prints the dashboard URL and the demo user's password; /dashboard serves the built
 * app and the printed password signs in through POST /auth/login.
 */
describe('npm start: the dashboard and the demo sign-in', () => {
  let child: ChildProcess | null = null;
  let dataDir: string;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints /dashboard and demo@example.com with its password, which signs in as the demo merchant’s owner', async () => {
    await ensureWebBundle();
    dataDir = mkdtempSync(join(tmpdir(), 'khqr-start-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let output = '';
    child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, '..', 'src', 'main.ts')], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: await createTestDatabase(),
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: url,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        SANDBOX: 'true',
        OUTBOUND_ALLOWLIST: '127.0.0.1',
        SEED_DEMO: 'true',
        BACKGROUND_JOBS: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const until = Date.now() + 90_000;
    while (!/Sign in: +operator@example\.com/.test(output)) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toContain(`Dashboard:    ${url}/dashboard`);
    const [, password] = /Sign in: +demo@example\.com \/ (\S+)/.exec(output)!;

    const page = await httpRequest(`${url}/dashboard`, 'GET');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('<div id="root">');

    expect((await httpRequest(`${url}/auth/login`, 'POST', { body: { email: 'demo@example.com', password: `${password}x` } })).status).toBe(401);
    const login = await httpRequest(`${url}/auth/login`, 'POST', { body: { email: 'demo@example.com', password } });
    expect(login.status).toBe(200);
    expect(login.json.user).toMatchObject({ email: 'demo@example.com', role: 'owner' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const orders = await httpRequest(`${url}/v1/orders`, 'GET', { headers: { cookie } });
    expect(orders.status).toBe(200);
    const gateways = await httpRequest(`${url}/v1/provider-accounts`, 'GET', { headers: { cookie } });
    expect(gateways.json.data.length).toBeGreaterThan(0);
  }, 180_000);
});
