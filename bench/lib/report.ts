import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { REPO_ROOT } from './proc';
import { round } from './stats';

/** What a row is judged on: the ratio to its baseline, or the app's own value. */
export interface Target {
  on: 'ratio' | 'app';
  /** min: at least `value`; max: at most `value`; below: strictly under `value`. */
  dir: 'min' | 'max' | 'below';
  value: number;
  text: string;
}

export interface Row {
  id: string;
  scenario: string;
  unit: string;
  app: number;
  appDetail?: string;
  baseline: number | null;
  baselineLabel?: string;
  baselineDetail?: string;
  /** app ÷ baseline for throughput; limit ÷ time for sweeps (1.0 = at the physical limit). */
  ratio: number | null;
  target: Target;
  met: boolean;
  /** Measured over target, oriented so ≥ 1 means met (drives the chart). */
  score: number;
}

export function judge(row: Omit<Row, 'met' | 'score'>): Row {
  const x = row.target.on === 'ratio' ? (row.ratio ?? NaN) : row.app;
  const v = row.target.value;
  const met = row.target.dir === 'min' ? x >= v : row.target.dir === 'max' ? x <= v : x < v;
  const score = row.target.dir === 'min' ? x / v : v / x;
  return { ...row, met: Number.isFinite(x) && met, score: Number.isFinite(score) ? score : 0 };
}

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGb: number;
  node: string;
  postgres: string;
  os: string;
}

export function describeMachine(postgres: string): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  let os: string = process.platform;
  try {
    os = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // no os-release
  }
  return { nproc: cpus().length, cpu, memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version, postgres, os };
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  commit: string;
  scale: number;
  smoke: boolean;
  machine: Machine;
  settings: Record<string, string | number>;
  rows: Row[];
  notes: string[];
  /** Raw per-scenario numbers (everything the rows were computed from). */
  raw: Record<string, unknown>;
}

const fmt = (n: number | null, digits = 2): string => {
  if (n === null || !Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return String(round(n, digits));
};

export function renderMarkdown(r: BenchReport): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results${r.smoke ? ' (smoke run)' : ''}`, '');
  lines.push(`Run ${r.startedAt} → ${r.finishedAt} at commit \`${r.commit}\`, scale ${r.scale}.`, '');
  lines.push(
    `Machine: ${r.machine.nproc} × ${r.machine.cpu}, ${r.machine.memoryGb} GB RAM, ${r.machine.os}; Node ${r.machine.node}; PostgreSQL ${r.machine.postgres} (embedded, fsync on). ` +
      'The app, its database, the sandbox gateways, the baselines and the load generator share these cores; ratios are measured within this one run.',
    '',
  );
  lines.push('| # | Scenario | App | Baseline | Ratio | Target | Result |', '|---|---|---|---|---|---|---|');
  r.rows.forEach((row, i) => {
    const app = `${fmt(row.app)} ${row.unit}${row.appDetail ? ` (${row.appDetail})` : ''}`;
    const base =
      row.baseline === null
        ? (row.baselineLabel ?? '—')
        : `${fmt(row.baseline)} ${row.unit}${row.baselineLabel ? ` — ${row.baselineLabel}` : ''}${row.baselineDetail ? ` (${row.baselineDetail})` : ''}`;
    lines.push(`| ${i + 1} | ${row.scenario} | ${app} | ${base} | ${fmt(row.ratio)} | ${row.target.text} | ${row.met ? '✅ met' : '❌ missed'} |`);
  });
  lines.push('', '## Settings', '');
  for (const [k, v] of Object.entries(r.settings)) lines.push(`- ${k}: ${v}`);
  if (r.notes.length) {
    lines.push('', '## Notes', '');
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  lines.push('', 'Chart: `latest.svg` (each bar is the measured value over its target; the line at 1.0 is the target). Raw numbers: `latest.json`.', '');
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar per row: measured ÷ target (≥ 1 met), the target line at 1.0, the actual numbers as labels. */
export function renderSvg(r: BenchReport): string {
  const rowH = 30;
  const top = 56;
  const labelW = 430;
  const barW = 360;
  const maxScore = 2;
  const width = labelW + barW + 250;
  const height = top + r.rows.length * rowH + 40;
  const x = (score: number) => labelW + (Math.min(score, maxScore) / maxScore) * barW;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="12" y="22" font-size="15" font-weight="bold">khqr-orchestrator benchmarks${r.smoke ? ' (smoke)' : ''}: measured ÷ target</text>`);
  parts.push(
    `<text x="12" y="40" fill="#555">${esc(`${r.machine.nproc} × ${r.machine.cpu}, ${r.machine.memoryGb} GB · commit ${r.commit} · ${r.finishedAt}`)}</text>`,
  );
  for (const tick of [0, 0.5, 1, 1.5, 2]) {
    parts.push(
      `<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${top + r.rows.length * rowH}" stroke="${tick === 1 ? '#222' : '#ddd'}" stroke-width="${tick === 1 ? 2 : 1}"${tick === 1 ? '' : ' stroke-dasharray="3,3"'}/>`,
    );
    parts.push(
      `<text x="${x(tick)}" y="${top + r.rows.length * rowH + 16}" text-anchor="middle" fill="#555">${tick === 1 ? 'target' : tick}${tick === maxScore ? '+' : ''}</text>`,
    );
  }
  r.rows.forEach((row, i) => {
    const y = top + i * rowH;
    const color = row.met ? '#2e9d4f' : '#d1453b';
    parts.push(`<text x="${labelW - 8}" y="${y + 19}" text-anchor="end">${esc(row.scenario)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 6}" width="${Math.max(1, x(row.score) - labelW)}" height="${rowH - 12}" fill="${color}" rx="2"/>`);
    const measured = row.target.on === 'ratio' ? `ratio ${fmt(row.ratio)}` : `${fmt(row.app)} ${row.unit}`;
    parts.push(`<text x="${labelW + barW + 8}" y="${y + 19}" fill="#222">${esc(`${measured} (target ${row.target.text})`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function renderTable(r: BenchReport): string {
  const header = ['#', 'scenario', 'app', 'baseline', 'ratio', 'target', 'result'];
  const body = r.rows.map((row, i) => [
    String(i + 1),
    row.scenario,
    `${fmt(row.app)} ${row.unit}${row.appDetail ? ` (${row.appDetail})` : ''}`,
    row.baseline === null ? (row.baselineLabel ?? '—') : `${fmt(row.baseline)} ${row.unit}${row.baselineLabel ? ` ${row.baselineLabel}` : ''}`,
    fmt(row.ratio),
    row.target.text,
    row.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
