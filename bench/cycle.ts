/**
 * Cycle benchmarks of the actor engine with the scripted predictor (SPEC 12):
 *   cycle.scripted.<N>, cycle.scripted.per_symbol_us.<N>   ms per cycle / us per symbol per cycle
 *   actor.events_per_sec, rss.500                           from the 500-symbol run
 *   cycle.scripted.100.early / .after10k / .growth_ratio    one 10,000-cycle run
 * Each size runs in its own child process (bench/run.ts spawns this file), so JIT state and the
 * heap of one size never leak into another's timings or RSS. Standalone, with a CPU profile of
 * the measured cycles only (summarise it with bench/cpuprofile-top.ts):
 *   node --import tsx bench/cycle.ts --symbols 500 --measure 100 --profile /tmp/cycle500.cpuprofile
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createRig } from './rig.ts';
import { single, summarize, type BenchResult } from './stats.ts';

/**
 * Cycles before measuring. Predictions start once 21 bars exist and z-scores after 20 more raw
 * outputs; the standardization window (100) is full at cycle ~121, the blend and IC windows of
 * the intraday horizons earlier. Measuring before that would time a cheaper, half-empty engine.
 */
export const STEADY_WARMUP = 125;

export interface CycleRunOptions {
  symbols: number;
  /**
   * Attach an XState inspector and count `@xstate.event`s during the measured cycles. Only the
   * event-count run does: an inspector makes XState build an inspection object per microstep,
   * which a production engine (no --inspect) never pays, so timed runs go without one.
   */
  countEvents?: boolean;
  warmup: number;
  measure: number;
  /** Stop measuring early once the measured cycles took this long (keeps 2000 symbols bounded). */
  budgetMs?: number;
  /** Never fewer measured cycles than this, whatever the budget. */
  minMeasure?: number;
  /** Log progress to stderr every this many cycles (0: quiet). */
  progressEvery?: number;
  /** Write a V8 CPU profile of the measured cycles only (not warm-up) to this .cpuprofile path. */
  profilePath?: string;
}

export interface CycleRun {
  samples: number[];
  /** `@xstate.event` inspection events during the measured cycles. */
  events: number;
  rssMb: number;
  /** Heap in use after the run (after a full GC if gc is exposed, i.e. what the engine retains). */
  heapUsedMb: number;
}

/** The inspector's CPU profiler, so a profile covers the measured cycles and nothing else. */
async function startProfiler(): Promise<{ stop(path: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(path: string): Promise<void> {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
      process.stderr.write(`  wrote ${path}\n`);
    },
  };
}

/** Warm up, then time `ingest + cycle` per measured cycle and count actor events meanwhile. */
export async function runCycles(options: CycleRunOptions): Promise<CycleRun> {
  let counting = false;
  let events = 0;
  const rig = await createRig({
    symbols: options.symbols,
    bars: options.warmup + options.measure + 1,
    inspect: options.countEvents
      ? (event) => {
          if (counting && event.type === '@xstate.event') events += 1;
        }
      : undefined,
  });
  const progress = (phase: string, i: number, ms: number): void => {
    if (options.progressEvery && (i + 1) % options.progressEvery === 0) {
      process.stderr.write(`  [${options.symbols} symbols] ${phase} ${i + 1}: ${ms.toFixed(2)} ms\n`);
    }
  };
  try {
    for (let i = 0; i < options.warmup; i++) progress('warm-up cycle', i, await rig.step());
    if (options.warmup >= STEADY_WARMUP) requireWarm(rig.lastReasons());
    const samples: number[] = [];
    let spent = 0;
    const profiler = options.profilePath ? await startProfiler() : null;
    counting = true;
    for (let i = 0; i < options.measure; i++) {
      const ms = await rig.step();
      samples.push(ms);
      spent += ms;
      progress('cycle', i, ms);
      if (options.budgetMs !== undefined && spent > options.budgetMs && samples.length >= (options.minMeasure ?? 10)) break;
    }
    counting = false;
    if (profiler && options.profilePath) await profiler.stop(options.profilePath);
    const rss = process.memoryUsage().rss;
    // Retained heap: after a full GC when the child runs with --expose-gc (run.ts passes it).
    (globalThis as { gc?: () => void }).gc?.();
    return { samples, events, rssMb: rss / 2 ** 20, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 };
  } finally {
    await rig.stop();
  }
}

/** After the steady warm-up the full pipeline must run: a tree where nothing gets past history checks times nothing. */
function requireWarm(reasons: Record<string, number>): void {
  const cold = (reasons.insufficient_history ?? 0) + Object.entries(reasons).filter(([r]) => r.startsWith('faulted')).reduce((n, [, c]) => n + c, 0);
  const total = Object.values(reasons).reduce((a, b) => a + b, 0);
  if (total === 0 || cold === total) throw new Error(`bench: after warm-up no symbol ran the full pipeline (reasons ${JSON.stringify(reasons)})`);
}

/** Cycles of the separate event-count run (after the same warm-up as the timed run). */
const EVENT_COUNT_CYCLES = 10;

/**
 * cycle.scripted.<N> and per-symbol figures from an uninstrumented run; then a second engine
 * with an inspector counts the actor events of EVENT_COUNT_CYCLES steady cycles (the same
 * seeded data, so the same workload): actor.events_per_cycle.<N>, and at 500 symbols
 * actor.events_per_sec = events per cycle / median cycle time, plus rss.500 and heap_used.500.
 */
export async function benchCycleSize(options: CycleRunOptions): Promise<BenchResult[]> {
  const n = options.symbols;
  const run = await runCycles({ ...options, countEvents: false });
  const results = [
    summarize(`cycle.scripted.${n}`, 'ms', run.samples),
    summarize(`cycle.scripted.per_symbol_us.${n}`, 'us', run.samples.map((ms) => (ms * 1000) / n)),
  ];
  const counted = await runCycles({ symbols: n, warmup: options.warmup, measure: Math.min(EVENT_COUNT_CYCLES, options.measure), countEvents: true, progressEvery: options.progressEvery });
  const perCycle = counted.events / counted.samples.length;
  const medianMs = results[0].median;
  results.push(single(`actor.events_per_cycle.${n}`, 'events', perCycle));
  if (n === 500) {
    results.push(single('actor.events_per_sec', 'events/s', perCycle / (medianMs / 1000)));
    results.push(single('rss.500', 'MB', run.rssMb));
    results.push(single('heap_used.500', 'MB', run.heapUsedMb));
  }
  return results;
}

export interface GrowthOptions {
  symbols: number;
  total: number;
  /** Cycles per measured window, early (right after STEADY_WARMUP) and late (the last ones). */
  window: number;
  progressEvery?: number;
  /** Write a CPU profile of the late window only to this path. */
  profilePath?: string;
}

/**
 * One long run: `cycle.scripted.<N>.early` (the window right after STEADY_WARMUP) vs
 * `cycle.scripted.<N>.after10k` (the last window), and the ratio of their medians. Both windows
 * come from the same process, so the ratio is free of run-to-run noise.
 */
export async function benchGrowth(options: GrowthOptions): Promise<BenchResult[]> {
  const { symbols: n, total, window } = options;
  const earlyFrom = STEADY_WARMUP;
  const lateFrom = total - window;
  if (lateFrom < earlyFrom + window) throw new Error(`growth bench: ${total} cycles is too short for two windows of ${window}`);
  const rig = await createRig({ symbols: n, bars: total + 1 });
  const early: number[] = [];
  const late: number[] = [];
  // Process CPU time per cycle too: on a shared machine wall time also counts waiting for a
  // core, which can swing a window's median by tens of percent; CPU time does not.
  const earlyCpu: number[] = [];
  const lateCpu: number[] = [];
  const heapMb: number[] = [];
  const retainedHeap = (): number => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };
  const blockMedians: string[] = [];
  let block: number[] = [];
  const started = performance.now();
  let profiler: Awaited<ReturnType<typeof startProfiler>> | null = null;
  try {
    for (let i = 0; i < total; i++) {
      if (i === lateFrom && options.profilePath) profiler = await startProfiler();
      const cpu0 = process.cpuUsage();
      const ms = await rig.step();
      const cpuDelta = process.cpuUsage(cpu0);
      const cpuMs = (cpuDelta.user + cpuDelta.system) / 1000;
      if (i === earlyFrom) requireWarm(rig.lastReasons());
      if (i >= earlyFrom && i < earlyFrom + window) {
        early.push(ms);
        earlyCpu.push(cpuMs);
      }
      if (i >= lateFrom) {
        late.push(ms);
        lateCpu.push(cpuMs);
      }
      if (i === earlyFrom + window - 1 || i === total - 1) heapMb.push(retainedHeap());
      block.push(ms);
      if (block.length === 1000 || i === total - 1) {
        block.sort((a, b) => a - b);
        blockMedians.push(block[block.length >> 1].toFixed(2));
        block = [];
      }
      if (options.progressEvery && (i + 1) % options.progressEvery === 0) {
        process.stderr.write(`  [growth ${n} symbols] cycle ${i + 1}/${total}: ${ms.toFixed(2)} ms, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
      }
    }
    if (profiler && options.profilePath) await profiler.stop(options.profilePath);
  } finally {
    await rig.stop();
  }
  process.stderr.write(`  [growth ${n} symbols] median ms per 1000-cycle block: ${blockMedians.join(' ')}\n`);
  const a = summarize(`cycle.scripted.${n}.early`, 'ms', early);
  const b = summarize(`cycle.scripted.${n}.after${total % 1000 === 0 ? `${total / 1000}k` : total}`, 'ms', late);
  const aCpu = summarize(`cycle.scripted.${n}.early_cpu`, 'ms', earlyCpu);
  const bCpu = summarize(`${b.name}_cpu`, 'ms', lateCpu);
  return [
    a,
    b,
    single(`cycle.scripted.${n}.growth_ratio`, 'x', b.median / a.median),
    aCpu,
    bCpu,
    single(`cycle.scripted.${n}.growth_ratio_cpu`, 'x', bCpu.median / aCpu.median),
    // Retained heap (after a full GC when --expose-gc) at the end of the early window and at the end.
    single(`cycle.scripted.${n}.heap_early_mb`, 'MB', heapMb[0]),
    single(`cycle.scripted.${n}.heap_late_mb`, 'MB', heapMb[1]),
  ];
}

/** Marker of the one stdout line a child prints; run.ts parses it. */
export const RESULT_MARKER = 'BENCH_RESULTS ';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      symbols: { type: 'string', default: '500' },
      warmup: { type: 'string', default: String(STEADY_WARMUP) },
      measure: { type: 'string', default: '100' },
      'budget-ms': { type: 'string' },
      'min-measure': { type: 'string' },
      growth: { type: 'string' },
      window: { type: 'string', default: '200' },
      progress: { type: 'string', default: '0' },
      profile: { type: 'string' },
    },
  });
  const symbols = Number(values.symbols);
  const progressEvery = Number(values.progress);
  const results = values.growth
    ? await benchGrowth({ symbols, total: Number(values.growth), window: Number(values.window), progressEvery, profilePath: values.profile })
    : await benchCycleSize({
        symbols,
        warmup: Number(values.warmup),
        measure: Number(values.measure),
        budgetMs: values['budget-ms'] === undefined ? undefined : Number(values['budget-ms']),
        minMeasure: values['min-measure'] === undefined ? undefined : Number(values['min-measure']),
        progressEvery,
        profilePath: values.profile,
      });
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(results)}\n`);
}
