/**
 * Test harness for the actor engine: N symbols with scripted prices on a VirtualClock, a
 * PaperBroker that reads the quotes the test feeds, a ScriptedPredictor with a test script and
 * hand-built MarketSlices. `step()` builds one slice, ingests it and runs one cycle.
 */
import { EMPTY } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { defaultConfig, type LiveTradingConfig } from '../../src/config/schema.ts';
import { VirtualClock } from '../../src/core/clock.ts';
import type { Bar, Quote } from '../../src/core/types.ts';
import { PaperBroker } from '../../src/brokers/paper.ts';
import type { BrokerPosition } from '../../src/brokers/types.ts';
import type { DataSource, MarketSlice } from '../../src/market/types.ts';
import { emptyStats } from '../../src/market/types.ts';
import { ScriptedPredictor, type PredictionScript } from '../../src/engine/scriptedPredictor.ts';
import { TradingEngine, type CycleReport } from '../../src/engine/TradingEngine.ts';
import type { EngineEventRecord } from '../../machines/supervisor.machine.ts';

/** 2024-01-02 09:31 America/New_York (EST, UTC-5): a regular session minute. */
export const SESSION_START_MS = Date.UTC(2024, 0, 2, 14, 31);
export const MINUTE_MS = 60_000;

/** A config that trades quickly on scripted data: small warm-up, no band, no online learning. */
export function testConfig(edit?: (config: LiveTradingConfig) => void): LiveTradingConfig {
  const config = defaultConfig();
  config.horizons = ['5m'];
  config.spread_gate.quote_age_max_ms = 5 * MINUTE_MS;
  config.sizing.no_trade_band = 0.001;
  config.standardization.min_samples = 5;
  config.confidence.ic_default = 0.5;
  // The live IC of a scripted signal is noise: let the prior dominate so alphas stay stable.
  config.confidence.ic_prior_weight = 10_000;
  config.online_learning.enabled = false;
  edit?.(config);
  return config;
}

/**
 * Raw alpha rising in magnitude with the bar count, in the sign of `direction`: the standardizer
 * sees the newest value at the edge of its window, so z is about +-1.4..1.7 once warm.
 * direction 0 (or null) returns null (warming up / no prediction).
 */
export function directionScript(direction: (symbol: string, cycle: number) => number | null): PredictionScript {
  return ({ symbol, input, cycle, slot }) => {
    if (slot.role !== 'alpha') return null;
    const d = direction(symbol, cycle);
    if (d === null || d === 0) return null;
    return Math.sign(d) * (0.001 + 0.0002 * input.barCount);
  };
}

/** Zig-zag around a level: returns of about +-1 % give sigma_bar ~ 1 % so costs stay small. */
export function zigzag(level: number, step: number): number {
  return level * (step % 2 === 0 ? 1 : 1.01);
}

export interface HarnessOptions {
  symbols?: string[];
  config?: LiveTradingConfig;
  /** Mid price of a symbol at step i (the bar close and quote mid). */
  price: (symbol: string, step: number) => number;
  /** Override the quote of a step (bid/ask/ts); default mid +- 1 bps, ts = slice ts. */
  quote?: (symbol: string, step: number, mid: number, ts: number) => Partial<Quote> | null;
  script: PredictionScript;
  barrier?: boolean;
  families?: string[];
  icPrior?: number;
  startMs?: number;
  initialCash?: number;
  runId?: string;
}

export interface StepOptions {
  /** Slice time; default previous slice + 1 minute. */
  ts?: number;
}

export interface Harness {
  engine: TradingEngine;
  broker: PaperBroker;
  clock: VirtualClock;
  config: LiveTradingConfig;
  symbols: string[];
  /** Latest quote fed per symbol (what the paper broker fills against). */
  quotes: Map<string, Quote>;
  /** Every event the engine reported through onEvent. */
  events: EngineEventRecord[];
  inspections: InspectionEvent[];
  reports: CycleReport[];
  /** Number of slices built so far (the next step index). */
  readonly stepIndex: number;
  slice(options?: StepOptions): MarketSlice;
  step(options?: StepOptions): Promise<CycleReport | null>;
  run(steps: number): Promise<(CycleReport | null)[]>;
  /**
   * State values of `symbol:<SYM>` in inspection events from index `since` on. The walk through
   * the stages happens inside one macrostep, so it shows in `@xstate.microstep` events; the
   * `@xstate.snapshot` of that macrostep only carries the final `proposed`.
   */
  stageWalk(symbol: string, since?: number): string[];
  brokerPositions(): Promise<Record<string, number>>;
  bookPositions(): Record<string, number>;
}

const EMPTY_SOURCE = (symbols: string[]): DataSource => ({
  kind: 'simulated',
  symbols,
  barMinutes: 1,
  stream: () => EMPTY,
  stats: emptyStats(),
});

/** Build and start an engine; nothing runs until `step()`. */
export async function createHarness(options: HarnessOptions): Promise<Harness> {
  const symbols = options.symbols ?? ['AAA', 'BBB', 'CCC'];
  const config = options.config ?? testConfig();
  const startMs = options.startMs ?? SESSION_START_MS;
  const clock = new VirtualClock(startMs - MINUTE_MS);
  const quotes = new Map<string, Quote>();
  const broker = new PaperBroker({
    initialCash: options.initialCash ?? config.paper.initial_cash,
    slippageBps: config.paper.slippage_bps,
    feeBps: config.paper.fee_bps,
    allowShort: config.paper.allow_short,
    quotes: (symbol) => quotes.get(symbol) ?? null,
    clock,
  });
  const predictor = new ScriptedPredictor({
    horizons: config.horizons,
    families: options.families ?? ['f_one'],
    barrier: options.barrier ?? false,
    icPrior: options.icPrior ?? config.confidence.ic_default,
    script: options.script,
    barMinutes: 1,
  });
  const events: EngineEventRecord[] = [];
  const inspections: InspectionEvent[] = [];
  const reports: CycleReport[] = [];
  const engine = new TradingEngine({
    config,
    broker,
    dataSource: EMPTY_SOURCE(symbols),
    predictor,
    symbols,
    runId: options.runId ?? 'test',
    clock,
    initialCash: options.initialCash ?? config.paper.initial_cash,
    onEvent: (event) => events.push(event),
    inspect: (event) => inspections.push(event),
  });
  await engine.start();

  let index = 0;
  let lastTs = startMs - MINUTE_MS;
  const slice = (stepOptions: StepOptions = {}): MarketSlice => {
    const ts = stepOptions.ts ?? lastTs + MINUTE_MS;
    const i = index;
    index += 1;
    lastTs = ts;
    const bars: Bar[] = [];
    const sliceQuotes: Quote[] = [];
    for (const symbol of symbols) {
      const mid = options.price(symbol, i);
      bars.push({ symbol, ts, open: mid, high: mid * 1.001, low: mid * 0.999, close: mid, volume: 1_000_000 });
      const half = mid * 1e-4;
      const base: Quote = { symbol, ts, bid: mid - half, ask: mid + half, bidSize: 100, askSize: 100 };
      const override = options.quote?.(symbol, i, mid, ts);
      if (override === null) continue;
      sliceQuotes.push({ ...base, ...override });
    }
    return { ts, bars, quotes: sliceQuotes, cursor: { index: i + 1, ts } };
  };

  const harness: Harness = {
    engine,
    broker,
    clock,
    config,
    symbols,
    quotes,
    events,
    inspections,
    reports,
    get stepIndex() {
      return index;
    },
    slice,
    async step(stepOptions) {
      const s = slice(stepOptions);
      for (const q of s.quotes) quotes.set(q.symbol, q);
      engine.ingest(s);
      const report = await withDeadline(engine.cycle(), () => stuckReport(engine));
      if (report) reports.push(report);
      return report;
    },
    async run(steps) {
      const out: (CycleReport | null)[] = [];
      for (let i = 0; i < steps; i++) out.push(await harness.step());
      return out;
    },
    stageWalk(symbol, since = 0) {
      const id = `symbol:${symbol}`;
      const values: string[] = [];
      for (const e of inspections.slice(since)) {
        if ((e.type === '@xstate.microstep' || e.type === '@xstate.snapshot') && actorId(e) === id) {
          const value = String((e.snapshot as { value?: unknown }).value);
          if (values[values.length - 1] !== value) values.push(value);
        }
      }
      return values;
    },
    async brokerPositions() {
      return toShares(await broker.getPositions());
    },
    bookPositions() {
      const out: Record<string, number> = {};
      for (const p of Object.values(engine.supervisorContext().book.positions)) out[p.symbol] = p.shares;
      return out;
    },
  };
  return harness;
}

/** A cycle that never completes would hang the test file: fail fast with where it stuck. */
export const CYCLE_DEADLINE_MS = 1_000;

function withDeadline<T>(promise: Promise<T>, describe: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cycle did not complete within ${CYCLE_DEADLINE_MS} ms: ${describe()}`)), CYCLE_DEADLINE_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function stuckReport(engine: TradingEngine): string {
  const sup = engine.supervisorContext();
  const open = Object.values(sup.openOrders).map((o) => `${o.clientOrderId}:${o.state}`);
  return `engine ${JSON.stringify(engine.engineActor.getSnapshot().value)}, supervisor ${JSON.stringify(engine.supervisorValue())}, open orders [${open.join(', ')}]`;
}

/** The id of the actor an inspection event is about (ActorRefLike does not type it). */
export function actorId(event: InspectionEvent): string | undefined {
  return (event.actorRef as { id?: string }).id;
}

function toShares(positions: BrokerPosition[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of positions) if (p.qty !== 0) out[p.symbol] = p.qty;
  return out;
}

/** Signed share change of an order (+ buy, - sell). */
export function signedQty(order: { side: 'buy' | 'sell'; qty: number }): number {
  return order.side === 'buy' ? order.qty : -order.qty;
}

/** |a - b| / |b| < tol (exact match when b is 0). */
export function expectClose(actual: number | null | undefined, expected: number, tol = 1e-6): void {
  if (actual === null || actual === undefined || !Number.isFinite(actual)) throw new Error(`expected a finite number close to ${expected}, got ${actual}`);
  const err = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  if (!(err < tol || (expected === 0 && err === 0))) throw new Error(`expected ${actual} to be within ${tol} (relative) of ${expected}`);
}
