import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Histogram } from 'prom-client';
import { isEmbeddablePath, securityHeaderSets } from '../src/security/security-headers';

/**
 * The framework-overhead baseline: a bare Fastify server in its own process answering the
 * same liveness route, with no Nest, hooks, logging or plugins.
 *
 * With BARE_PRODUCT_WORK=1 it also does, with plain Fastify hooks, the per-request work the
 * product itself chooses to do on every response (not Nest's): a request id (UUID, echoed),
 * the same security headers, and the HTTP duration histogram. The bench measures it beside
 * the other two to split the app's overhead into "what we send" and "the framework".
 */
const productWork = process.env.BARE_PRODUCT_WORK === '1';
const app = Fastify({ logger: false, ...(productWork ? { genReqId: () => randomUUID() } : {}) });
if (productWork) {
  const { frameable, sameOrigin } = securityHeaderSets({ publicBaseUrl: 'http://127.0.0.1' });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'as the app',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const series = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    void reply.headers(isEmbeddablePath(request.url) ? frameable : sameOrigin);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = series.get(key);
    if (!child) series.set(key, (child = duration.labels({ method: request.method, route, status: String(reply.statusCode) })));
    child.observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/health/live', () => ({ status: 'ok', uptime_seconds: Math.round(process.uptime()) }));
} else {
  app.get('/health/live', async () => ({ status: 'ok' }));
}
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
