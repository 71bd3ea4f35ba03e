import Fastify from 'fastify';

/**
 * The framework-overhead baseline: a bare Fastify server in its own process answering the
 * same liveness route, with no Nest, hooks, logging or plugins.
 */
const app = Fastify({ logger: false });
app.get('/health/live', async () => ({ status: 'ok' }));
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
