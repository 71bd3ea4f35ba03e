import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Histogram } from 'prom-client';
import { MetricsService } from './metrics.service';

/**
 * Times every HTTP request in Fastify's onResponse hook. The route label is the matched route
 * pattern (`/v1/orders/:id`), never the raw URL, so ids do not explode the series count;
 * requests that matched no route share the label `unmatched`. The labelled child histogram of
 * each (method, route, status) is kept, so an observation does not hash its labels again; the
 * map is as bounded as the series themselves (route patterns × methods × statuses).
 */
export function installHttpMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  const series = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${status} ${route}`;
    let child = series.get(key);
    if (!child) {
      child = metrics.httpSeries(request.method, route, status);
      series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
}
