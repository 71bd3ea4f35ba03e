import { freePort } from '../../src/database/embedded-postgres';
import { BenchContext, check, ScenarioResult } from '../lib/context';
import { api, load, LoadResult } from '../lib/http';
import { readCpuMs, Service, startService } from '../lib/proc';
import { judge } from '../lib/report';
import { round } from '../lib/stats';

export const HEALTH_CONNECTIONS = 32;

const startBare = async (name: string, env: Record<string, string>): Promise<Service> => {
  const port = await freePort();
  return startService({ name, script: 'bench/bare-fastify.ts', port, readyPath: '/health/live', env: { NODE_ENV: 'production', PORT: String(port), ...env } });
};

/**
 * Scenario 1: GET /health/live through the whole app vs the same route on a bare Fastify
 * process (the judged ratio). A third process, bare Fastify doing the product's own
 * per-request work (request id, security headers, duration histogram), splits the gap into
 * what we choose to send and what Nest costs; CPU per request is read from /proc for all three.
 */
export async function frameworkOverhead(ctx: BenchContext): Promise<ScenarioResult> {
  const { app, sizes } = ctx;
  const live = await api(app.url, 'GET', '/health/live');
  check(live.status === 200, `GET /health/live answered ${live.status} ${live.text.slice(0, 200)}`);
  const bare = await startBare('bare-fastify', {});
  const product = await startBare('bare-fastify-product-work', { BARE_PRODUCT_WORK: '1' });
  try {
    const sides = [
      { name: 'app', url: app.url, cpuMs: () => app.cpuMs(), runs: [] as LoadResult[], cpuUs: [] as number[] },
      { name: 'bare', url: bare.url, cpuMs: () => readCpuMs(bare.pid), runs: [] as LoadResult[], cpuUs: [] as number[] },
      { name: 'bare + product work', url: product.url, cpuMs: () => readCpuMs(product.pid), runs: [] as LoadResult[], cpuUs: [] as number[] },
    ];
    const run = async (side: (typeof sides)[number], seconds: number): Promise<LoadResult> => {
      const cpu0 = side.cpuMs();
      const r = await load({ url: `${side.url}/health/live`, connections: HEALTH_CONNECTIONS, seconds });
      side.cpuUs.push(((side.cpuMs() - cpu0) * 1000) / r.ok);
      check(
        r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.ok > 0,
        `GET ${side.name} /health/live under load: ${JSON.stringify(r.statusCodes)} errors ${r.errors} timeouts ${r.timeouts}`,
      );
      return r;
    };
    for (const side of sides) await run(side, sizes.warmupSeconds);
    for (const side of sides) side.cpuUs.length = 0;
    // Interleaved so a burst of outside load hits every side; the best round of each counts.
    for (let i = 0; i < sizes.rounds; i++) {
      for (const side of sides) side.runs.push(await run(side, sizes.loadSeconds));
      ctx.log(`health round ${i + 1}: ${sides.map((s) => `${s.name} ${round(s.runs[i].rps)} /s`).join(', ')}`);
    }
    const best = (runs: LoadResult[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const cpu = (side: (typeof sides)[number]) => Math.round(Math.min(...side.cpuUs));
    const [a, b, p] = sides.map((s) => best(s.runs));
    const [appSide, bareSide, productSide] = sides;
    return {
      rows: [
        judge({
          id: 'health_live',
          scenario: `Framework overhead: /health/live, ${HEALTH_CONNECTIONS} conn.`,
          unit: 'req/s',
          app: a.rps,
          appDetail: `p50 ${round(a.p50, 1)} ms, p99 ${round(a.p99, 1)} ms, ${cpu(appSide)} µs app CPU/request`,
          baseline: b.rps,
          baselineLabel: 'bare Fastify process',
          baselineDetail: `p50 ${round(b.p50, 1)} ms, p99 ${round(b.p99, 1)} ms, ${cpu(bareSide)} µs CPU/request`,
          ratio: a.rps / b.rps,
          target: { on: 'ratio', dir: 'min', value: 0.85, text: '≥ 0.85' },
        }),
      ],
      notes: [
        `/health/live, CPU per request: app ${cpu(appSide)} µs, bare Fastify ${cpu(bareSide)} µs, bare Fastify doing the product's own per-request work ` +
          `(request id, security headers, duration histogram) ${cpu(productSide)} µs at ${round(p.rps)} req/s (${round(p.rps / b.rps, 2)} of bare). ` +
          `The rest of the app's overhead is Nest's request pipeline and the app's other hooks (logging context, graceful close, lingering close).`,
      ],
      raw: Object.fromEntries(sides.map((s) => [s.name, { runs: s.runs, cpuUsPerRequest: s.cpuUs }])),
    };
  } finally {
    await Promise.all([bare.stop(), product.stop()]);
  }
}
