import { freePort } from '../../src/database/embedded-postgres';
import { BenchContext, check, ScenarioResult } from '../lib/context';
import { api, load, LoadResult } from '../lib/http';
import { startService } from '../lib/proc';
import { judge } from '../lib/report';
import { round } from '../lib/stats';

export const HEALTH_CONNECTIONS = 32;

/** Scenario 2: GET /health/live through the whole app vs the same route on a bare Fastify process. */
export async function frameworkOverhead(ctx: BenchContext): Promise<ScenarioResult> {
  const { app, sizes } = ctx;
  const live = await api(app.url, 'GET', '/health/live');
  check(live.status === 200, `GET /health/live answered ${live.status} ${live.text.slice(0, 200)}`);
  const port = await freePort();
  const bare = await startService({
    name: 'bare-fastify',
    script: 'bench/bare-fastify.ts',
    port,
    readyPath: '/health/live',
    env: { NODE_ENV: 'production', PORT: String(port) },
  });
  try {
    const appCpuUs: number[] = [];
    const run = async (url: string, seconds: number): Promise<LoadResult> => {
      const cpu0 = app.cpuMs();
      const r = await load({ url: `${url}/health/live`, connections: HEALTH_CONNECTIONS, seconds });
      if (url === app.url) appCpuUs.push(((app.cpuMs() - cpu0) * 1000) / r.ok);
      check(
        r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.ok > 0,
        `GET ${url}/health/live under load: ${JSON.stringify(r.statusCodes)} errors ${r.errors} timeouts ${r.timeouts}`,
      );
      return r;
    };
    await run(app.url, sizes.warmupSeconds);
    await run(bare.url, sizes.warmupSeconds);
    appCpuUs.length = 0;
    const appRuns: LoadResult[] = [];
    const bareRuns: LoadResult[] = [];
    // Interleaved so a burst of outside load hits both sides; the best round of each counts.
    for (let i = 0; i < sizes.rounds; i++) {
      appRuns.push(await run(app.url, sizes.loadSeconds));
      bareRuns.push(await run(bare.url, sizes.loadSeconds));
      ctx.log(`health round ${i + 1}: app ${round(appRuns[i].rps)} /s, bare ${round(bareRuns[i].rps)} /s`);
    }
    const best = (runs: LoadResult[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const a = best(appRuns);
    const b = best(bareRuns);
    return {
      rows: [
        judge({
          id: 'health_live',
          scenario: `Framework overhead: /health/live, ${HEALTH_CONNECTIONS} conn.`,
          unit: 'req/s',
          app: a.rps,
          appDetail: `p50 ${round(a.p50, 1)} ms, p99 ${round(a.p99, 1)} ms, ${Math.round(Math.min(...appCpuUs))} µs app CPU/request`,
          baseline: b.rps,
          baselineLabel: 'bare Fastify process',
          baselineDetail: `p50 ${round(b.p50, 1)} ms, p99 ${round(b.p99, 1)} ms`,
          ratio: a.rps / b.rps,
          target: { on: 'ratio', dir: 'min', value: 0.85, text: '≥ 0.85' },
        }),
      ],
      raw: { app: appRuns, bare: bareRuns, appCpuUsPerRequest: appCpuUs },
    };
  } finally {
    await bare.stop();
  }
}
