import 'reflect-metadata';
import { startApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/config';
import { detachEmbeddedSignalHandlers } from './database/embedded-postgres';
import { DemoSeeder } from './demo/demo.module';

/** Longer than the HTTP grace period (10 s) plus a sweep batch and a webhook batch finishing. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const running = await startApp(config);
  const base = config.publicBaseUrl;
  const lines = [`khqr-orchestrator listening on port ${running.port}`];
  if (config.apiDocs) lines.push(`  API docs:     ${base}/docs`);
  lines.push(`  Dashboard:    ${base}/dashboard`);
  if (config.adminTokenGenerated) lines.push(`  Admin token:  ${config.adminToken}${config.databaseUrl ? '' : `   (kept in ${config.dataDir}/admin.token)`}`);
  if (config.seedDemo) {
    const demo = running.app.get(DemoSeeder, { strict: false }).demo;
    if (demo) lines.push(`  Demo API key: ${demo.api_key}   (merchant ${demo.merchant_id}, gateways in the sandbox)`);
    for (const user of running.app.get(DemoSeeder, { strict: false }).users)
      lines.push(`  Sign in:      ${user.email} / ${user.password}   (new password each start)`);
    if (demo?.test_api_key) lines.push(`  Demo test key: ${demo.test_api_key}   (test mode: livemode false, built-in simulators)`);
  }
  if (config.sandbox) {
    lines.push(
      `  Sandbox:      ${base}/sandbox  (POST /sandbox/control/pay to pay an order; acts for test-mode payments and for accounts whose base_url is under it)`,
    );
    if (config.sandboxForced)
      lines.push(
        `  WARNING:      SANDBOX=true with ${config.databaseUrl ? 'DATABASE_URL set' : 'NODE_ENV=production'}: the gateway simulators are mounted beside real data`,
      );
  }
  // The one place secrets are printed on purpose: to the operator's terminal at start, never to the log stream.
  process.stdout.write(lines.join('\n') + '\n');
  // This process stops in order (app, then the embedded database), so the database library's own signal handlers go.
  detachEmbeddedSignalHandlers();
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      // Drain loops, finish in-flight requests, close the pool; a stop that hangs past this is cut short.
      setTimeout(() => {
        console.error(`shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting`);
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS).unref();
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err) => {
  console.error('failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
