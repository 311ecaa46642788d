/**
 * The benchmark rig: a TradingEngine over N simulated symbols with the scripted predictor
 * (6 horizons x 3 families + barrier slots), the paper broker and the default config, except
 * that quotes never count as stale (the virtual clock jumps a whole bar per cycle).
 *
 * Slices come from SimulatedSource in chunks (stream(cursor) + take), because a synchronous
 * Observable cannot be paused: buffering a whole 10,000-cycle run would distort memory figures.
 * Generating a chunk is outside the timed region; only `ingest + cycle` is timed.
 */
import { performance } from 'node:perf_hooks';
import { take, toArray } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { defaultConfig } from '../src/config/schema.ts';
import { VirtualClock } from '../src/core/clock.ts';
import type { Quote } from '../src/core/types.ts';
import { PaperBroker } from '../src/brokers/paper.ts';
import { SimulatedSource } from '../src/market/simulated.ts';
import type { DataCursor, MarketSlice } from '../src/market/types.ts';
import { ScriptedPredictor } from '../src/engine/scriptedPredictor.ts';
import { TradingEngine } from '../src/engine/TradingEngine.ts';
import type { Predictor } from '../src/engine/predictor.ts';

export interface RigOptions {
  symbols: number;
  /** Slices the source can deliver in total (warm-up + measured cycles). */
  bars: number;
  seed?: number;
  inspect?: (event: InspectionEvent) => void;
  /** Another predictor (e.g. real models); default the scripted one. */
  predictor?: (symbols: string[]) => Promise<Predictor>;
}

export interface Rig {
  engine: TradingEngine;
  symbols: string[];
  broker: PaperBroker;
  clock: VirtualClock;
  /** Ingest the next slice and run one cycle; returns wall ms of `ingest + cycle`. */
  step(): Promise<number>;
  /** Decision reasons of the last cycle with their counts, e.g. {no_edge: 80, entry_long: 3}. */
  lastReasons(): Record<string, number>;
  stop(): Promise<void>;
}

/** Upper bound of symbol-bars held in one chunk of pre-generated slices (~10 MB). */
const CHUNK_SYMBOL_BARS = 50_000;

export function symbolNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `S${String(i).padStart(4, '0')}`);
}

export async function createRig(options: RigOptions): Promise<Rig> {
  const config = defaultConfig();
  // One-minute bars and one cycle per bar: a quote is up to a bar old when the cycle runs.
  config.spread_gate.quote_age_max_ms = 10 * 60_000;
  const symbols = symbolNames(options.symbols);
  const clock = new VirtualClock(0);
  const quotes = new Map<string, Quote>();
  const broker = new PaperBroker({
    initialCash: config.paper.initial_cash,
    slippageBps: config.paper.slippage_bps,
    feeBps: config.paper.fee_bps,
    allowShort: config.paper.allow_short,
    quotes: (s) => quotes.get(s) ?? null,
    clock,
  });
  const data = new SimulatedSource({ symbols, seed: options.seed ?? 1, startMs: Date.UTC(2024, 0, 2, 14, 30), bars: options.bars, annualVol: 0.6 });
  const predictor = options.predictor ? await options.predictor(symbols) : new ScriptedPredictor({ horizons: config.horizons, barMinutes: data.barMinutes });
  // A faulting symbol skips most of the pipeline and makes a cycle look cheap: fail the bench.
  const faults: string[] = [];
  const onEvent = (event: { event_type: string; message: string }): void => {
    if (event.event_type === 'symbol_faulted') faults.push(event.message);
  };
  const engine = new TradingEngine({ config, broker, dataSource: data, predictor, symbols, runId: 'bench', clock, inspect: options.inspect, onEvent });
  await engine.start();

  const chunkSize = Math.max(16, Math.floor(CHUNK_SYMBOL_BARS / symbols.length));
  let buffer: MarketSlice[] = [];
  let next = 0;
  let cursor: DataCursor | null = null;
  let reasons: Record<string, number> = {};
  const refill = (): void => {
    let got: MarketSlice[] = [];
    data.stream(cursor).pipe(take(chunkSize), toArray()).subscribe((slices) => (got = slices));
    if (got.length === 0) throw new Error(`bench rig: the simulated source ran out after ${cursor?.index ?? 0} slices (raise bars)`);
    buffer = got;
    next = 0;
    cursor = got[got.length - 1].cursor;
  };

  return {
    engine,
    symbols,
    broker,
    clock,
    async step(): Promise<number> {
      if (next >= buffer.length) refill();
      const slice = buffer[next++];
      for (const q of slice.quotes) quotes.set(q.symbol, q);
      const start = performance.now();
      engine.ingest(slice);
      const report = await engine.cycle();
      const ms = performance.now() - start;
      if (report === null) throw new Error('bench rig: the engine did not run the cycle (paused or not running)');
      reasons = {};
      for (const d of report.result.decisions) reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
      if (faults.length > 0) throw new Error(`bench rig: ${faults.length} symbol fault(s), timings would be meaningless; first: ${faults[0]}`);
      return ms;
    },
    lastReasons: () => reasons,
    stop: () => engine.stop(),
  };
}
