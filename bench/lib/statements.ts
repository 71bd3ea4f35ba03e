import { BenchContext } from './context';
import { round } from './stats';

/** One statement's share of a unit of work (an order, a delivery), from pg_stat_statements. */
export interface StatementStat {
  query: string;
  /** Calls per unit. */
  callsPerOrder: number;
  /** Execution and planning time per unit. */
  msPerOrder: number;
  planMsPerOrder: number;
  meanMs: number;
}

/** pg_stat_statements since the last reset, per unit of work (`--pg-stats`): what each statement costs the database. */
export async function statementsPer(ctx: BenchContext, units: number): Promise<StatementStat[] | undefined> {
  if (!ctx.pgStats || units <= 0) return undefined;
  const { rows } = await ctx.pool.query(
    `SELECT regexp_replace(query, '[[:space:]]+', ' ', 'g') AS query, calls::float8 AS calls, total_exec_time AS total, total_plan_time AS plan,
            mean_exec_time AS mean
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
      ORDER BY total_exec_time + total_plan_time DESC LIMIT 15`,
  );
  return rows.map((r: { query: string; calls: number; total: number; plan: number; mean: number }) => ({
    query: r.query.slice(0, 160),
    callsPerOrder: round(r.calls / units, 3),
    msPerOrder: round(r.total / units, 3),
    planMsPerOrder: round(r.plan / units, 3),
    meanMs: round(r.mean, 3),
  }));
}

export async function resetStatements(ctx: BenchContext): Promise<void> {
  if (ctx.pgStats) await ctx.pool.query('SELECT pg_stat_statements_reset()');
}

/** Logs a statement table, one line per statement, `unit` naming what the numbers are per. */
export function logStatements(ctx: BenchContext, who: string, unit: string, list: StatementStat[] | undefined): void {
  for (const st of list ?? [])
    ctx.log(`  ${who}: ${st.callsPerOrder}×/${unit} ${st.msPerOrder} ms/${unit} + plan ${st.planMsPerOrder} (mean ${st.meanMs} ms) ${st.query}`);
}
