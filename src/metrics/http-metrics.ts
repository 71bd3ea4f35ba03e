import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsService } from './metrics.service';

/**
 * Times every HTTP request in Fastify's onResponse hook. The route label is the matched route
 * pattern (`/v1/orders/:id`), never the raw URL, so ids do not explode the series count;
 * requests that matched no route share the label `unmatched`.
 */
export function installHttpMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.observeHttp(request.method, reply.statusCode === 404 && !request.routeOptions?.url ? 'unmatched' : route, reply.statusCode, reply.elapsedTime / 1000);
  });
}
