/**
 * Shared helpers of the benchmarks: the result row of bench/results.json and median/p99 over
 * samples that the caller took after its own warm-up (warm-up samples never reach here).
 */
import type { BenchResult } from './inference.ts';

export type { BenchResult } from './inference.ts';

/** Nearest-rank quantile of an ascending array: sorted[min(n-1, floor(q n))] (as bench/inference.ts). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no samples');
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** median and p99 of the measured samples (unsorted in, not modified). */
export function summarize(name: string, unit: string, samples: readonly number[]): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  return { name, unit, median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), n: sorted.length };
}

/** Rates (bars/s): median, and as `p99` the slow tail (the 1st percentile), so p99 stays "worst 1 %". */
export function summarizeRate(name: string, unit: string, samples: readonly number[]): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  return { name, unit, median: quantile(sorted, 0.5), p99: quantile(sorted, 0.01), n: sorted.length };
}

/** A figure measured once (a rate over a whole run, a memory reading): median = p99 = value, n = 1. */
export function single(name: string, unit: string, value: number): BenchResult {
  return { name, unit, median: value, p99: value, n: 1 };
}

/** Round for the JSON file: 4 significant digits keep it readable and diff-friendly. */
export function rounded(result: BenchResult): BenchResult {
  const r = (x: number): number => (Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(4)) : x);
  return { ...result, median: r(result.median), p99: r(result.p99) };
}

/** A fixed-width table of results for the console. */
export function formatTable(results: readonly BenchResult[]): string {
  const fmt = (x: number): string => (Math.abs(x) >= 1000 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(2) : x.toFixed(4));
  const rows = results.map((r) => [r.name, r.unit, fmt(r.median), fmt(r.p99), String(r.n)]);
  const head = ['name', 'unit', 'median', 'p99', 'n'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
