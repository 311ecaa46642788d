/**
 * `npm run bench`: every benchmark (SPEC 12), a table on stdout, and bench/results.json =
 * {"node", "cpus", "results": [{name, unit, median, p99, n}]}. Never part of `npm test`.
 *   npm run bench                      everything (~20+ min on 2 cores: the 10,000-cycle run dominates)
 *   npm run bench -- --quick           reduced counts, a smoke check; writes no file unless --out
 *   npm run bench -- --only cycle.scripted.500   benches producing names with that prefix;
 *                                      their rows replace the same names in results.json
 *   --out <file>                       write there instead of bench/results.json
 * Cycle sizes run in child processes (bench/cycle.ts) so each has a clean heap and JIT.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchActorFloor } from './actor-floor.ts';
import { benchInference } from './inference.ts';
import { benchModels } from './models.ts';
import { benchModelsCycle } from './models-cycle.ts';
import { RESULT_MARKER, STEADY_WARMUP } from './cycle.ts';
import { benchReplay } from './replay.ts';
import { benchStartup } from './startup.ts';
import { formatTable, rounded, type BenchResult } from './stats.ts';

export interface BenchContext {
  quick: boolean;
}

export interface BenchSpec {
  id: string;
  /** Result names (or name prefixes) it produces; `--only` selects on these. */
  names: string[];
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs a bench script (default bench/cycle.ts) in a fresh process; its progress goes to our stderr. */
function cycleChild(args: string[], script = 'bench/cycle.ts'): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || !line) reject(new Error(`${script} ${args.join(' ')} exited ${code}\n${out.slice(-2000)}`));
      else resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as BenchResult[]);
    });
  });
}

/** cycle.scripted.<n>: full = steady-state warm-up then `measure` cycles (2000: within a time budget). */
function cycleSize(n: number, measure: number, budgetMs?: number): BenchSpec {
  const names = [`cycle.scripted.${n}`, `cycle.scripted.per_symbol_us.${n}`, `actor.events_per_cycle.${n}`];
  if (n === 500) names.push('actor.events_per_sec', 'rss.500', 'heap_used.500');
  return {
    id: `cycle.scripted.${n}`,
    names,
    run: ({ quick }) => {
      const args = ['--symbols', String(n), '--progress', quick ? '0' : '25'];
      if (quick) args.push('--warmup', n >= 2000 ? '5' : '30', '--measure', n >= 2000 ? '3' : '10');
      else args.push('--warmup', String(STEADY_WARMUP), '--measure', String(measure));
      if (!quick && budgetMs !== undefined) args.push('--budget-ms', String(budgetMs), '--min-measure', '10');
      return cycleChild(args);
    },
  };
}

const growth: BenchSpec = {
  id: 'cycle.scripted.100.growth',
  names: ['cycle.scripted.100.early', 'cycle.scripted.100.after', 'cycle.scripted.100.growth_ratio', 'cycle.scripted.100.heap_'],
  run: ({ quick }) => cycleChild(['--symbols', '100', '--growth', quick ? '300' : '10000', '--window', quick ? '50' : '200', '--progress', quick ? '0' : '1000']),
};

/**
 * Hook for the snapshot figures the lead adds (snapshot.write.500, snapshot.restore.500,
 * snapshot.bytes.500; cycle.models.500 fits here too): push a BenchSpec and it runs in every
 * full bench, after the cycle sizes, honouring --quick and --only.
 */
export const snapshotBenches: BenchSpec[] = [
  {
    id: 'snapshot',
    names: ['snapshot.write.500', 'snapshot.restore.500', 'snapshot.bytes.500'],
    // In its own process: after the in-process benches the parent's heap (models, sessions)
    // made the same writes ~10 ms slower.
    run: ({ quick }) => cycleChild(quick ? ['--runs', '3'] : [], 'bench/snapshot.ts'),
  },
];

/** Every benchmark in run order (read at call time, so specs pushed onto snapshotBenches count). */
export const allBenches = (): BenchSpec[] => [
  {
    id: 'inference',
    names: ['inference.'],
    run: () => benchInference(),
  },
  {
    id: 'inference.500x6x3',
    names: ['inference.500x6x3'],
    run: ({ quick }) => benchModels(quick ? { iterations: 10, warmup: 5 } : {}),
  },
  {
    id: 'cycle.models.500',
    names: ['cycle.models.500'],
    run: ({ quick }) => benchModelsCycle(quick ? { warmup: 40, measured: 10 } : {}),
  },
  {
    id: 'replay',
    names: ['replay.symbol_bars_per_sec', 'replay.load_ms', 'replay.stream_symbol_bars_per_sec'],
    run: ({ quick }) => benchReplay(quick ? 2 : 10, quick ? 1 : 3),
  },
  {
    id: 'startup',
    names: ['startup.first_cycle_ms', 'startup.cli_first_cycle_ms'],
    run: ({ quick }) => benchStartup(quick ? 1 : 5),
  },
  {
    id: 'actor.stage_walk_floor.500',
    names: ['actor.stage_walk_floor.500'],
    run: () => benchActorFloor(500),
  },
  cycleSize(10, 300),
  cycleSize(100, 200),
  cycleSize(500, 100),
  // 2000 symbols: the same steady-state warm-up, then measured cycles within ~60 s.
  cycleSize(2000, 100, 60_000),
  growth,
  ...snapshotBenches,
];

/** `--only p`: the specs naming p exactly if any, else those with a name (or id) starting with p. */
function select(specs: BenchSpec[], only: string | undefined): BenchSpec[] {
  if (only === undefined) return specs;
  const exact = specs.filter((spec) => spec.id === only || spec.names.includes(only));
  return exact.length > 0 ? exact : specs.filter((spec) => spec.id.startsWith(only) || spec.names.some((name) => name.startsWith(only)));
}

/** A partial run's rows replace the same names in place; new names are appended. */
function merge(previous: BenchResult[], fresh: BenchResult[]): BenchResult[] {
  const byName = new Map(fresh.map((r) => [r.name, r]));
  const merged = previous.map((r) => byName.get(r.name) ?? r);
  const known = new Set(previous.map((r) => r.name));
  return [...merged, ...fresh.filter((r) => !known.has(r.name))];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' } } });
  const ctx: BenchContext = { quick: values.quick };
  const chosen = select(allBenches(), values.only);
  if (chosen.length === 0) {
    process.stderr.write(`--only ${values.only}: no benchmark produces such a name (ids: ${allBenches().map((b) => b.id).join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  const results: BenchResult[] = [];
  const failed: string[] = [];
  const started = performance.now();
  for (const spec of chosen) {
    const t0 = performance.now();
    process.stderr.write(`bench ${spec.id} ...\n`);
    try {
      const got = (await spec.run(ctx)).map(rounded);
      results.push(...got);
      process.stderr.write(`bench ${spec.id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (error) {
      // One broken bench must not throw away the others' minutes of measurements.
      failed.push(spec.id);
      process.stderr.write(`bench ${spec.id} FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    }
  }
  if (failed.length > 0) {
    process.stderr.write(`failed benches (their rows keep their previous values): ${failed.join(', ')}\n`);
    process.exitCode = 1;
  }
  process.stdout.write(`\n${formatTable(results)}\n\nnode ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${((performance.now() - started) / 1000).toFixed(0)} s${values.quick ? ' (quick)' : ''}\n`);

  const out = values.out ?? (values.quick ? undefined : fileURLToPath(new URL('./results.json', import.meta.url)));
  if (out === undefined) return;
  let merged = results;
  if ((values.only !== undefined || failed.length > 0) && existsSync(out)) {
    // A partial run refreshes its own rows and keeps the others of the last full run.
    merged = merge((JSON.parse(readFileSync(out, 'utf8')) as { results: BenchResult[] }).results, results);
  }
  writeFileSync(out, `${JSON.stringify({ node: process.version, cpus: os.cpus().length, results: merged }, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}

await main();
