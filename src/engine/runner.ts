/**
 * The run loop behind `live-trading run` and `npm start`: data source -> TradingEngine ->
 * journals, logs and one console line per cycle; a summary at the end. SIGINT/SIGTERM finish the
 * cycle in progress, flush and return normally (exit 0).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { LiveTradingConfig } from '../config/schema.ts';
import { VirtualClock, isoUtc, monotonicMs } from '../core/clock.ts';
import { UsageError } from '../core/errors.ts';
import type { Quote } from '../core/types.ts';
import { PaperBroker, type PaperBrokerState } from '../brokers/paper.ts';
import type { Broker } from '../brokers/types.ts';
import { ReplaySource } from '../market/replay.ts';
import { SimulatedSource } from '../market/simulated.ts';
import type { DataSource, MarketSlice } from '../market/types.ts';
import { JsonlJournal } from '../persistence/journal.ts';
import { createLogger, type LogLevel } from '../observability/logger.ts';
import type { Predictor } from './predictor.ts';
import { ScriptedPredictor } from './scriptedPredictor.ts';
import { oracleScript, readSeries } from './oracle.ts';
import { TradingEngine, type CycleReport } from './TradingEngine.ts';
import { decisionRecord, fillRecord, orderRecord } from './journalRecords.ts';
import { RunStats } from './runStats.ts';
import { engineDocument, loadState, openStateStore } from './stateStore.ts';
import { warmUpEngine } from './warmup.ts';
import { readControlCommands, type ControlCommand } from '../control/controlFile.ts';

export interface RunOptions {
  runId: string;
  config: LiveTradingConfig;
  configHash: string;
  symbols: string[];
  broker: 'paper' | 'alpaca' | 'ibkr';
  data: 'simulated' | 'replay';
  dataDir: string | null;
  start?: string;
  end?: string;
  speed: number | 'max';
  seed: number;
  initialCash?: number;
  maxCycles?: number;
  dryRun: boolean;
  logLevel: LogLevel;
  logDir: string;
  /** Simulated data: bars per symbol. */
  bars?: number;
  /** Snapshots: read at start and written after every cycle (false with --no-state). */
  state: boolean;
  stateDir: string;
  /** Discard (move aside) existing snapshots and start fresh. */
  fresh: boolean;
  /** Build the predictor for a real model run; absent -> dry-run only. `restored` is its snapshot state. */
  predictorFactory?: (source: DataSource, restored: unknown, logger: Logger) => Promise<Predictor>;
  out: (line: string) => void;
  /** Write the actors' inspection events (transitions, events) as JSON lines to this file. */
  inspectFile?: string;
  /** Set by signal handlers: finish the current cycle, then stop. */
  stopSignal?: { stop: boolean };
}

export interface RunSummary {
  cycles: number;
  stats: RunStats;
  finalValue: number;
  logFile: string | null;
}

export function makeDataSource(options: RunOptions, logger: Logger): DataSource {
  if (options.data === 'replay') {
    if (!options.dataDir) throw new UsageError('NO_DATA_DIR', '--data replay needs --data-dir', { hint: 'e.g. --data-dir examples/data/equity/usa' });
    return new ReplaySource({
      dataDir: options.dataDir,
      symbols: options.symbols,
      start: options.start,
      end: options.end,
      onBadRow: (info) => logger.debug({ file: info.file, line: info.line, reason: info.reason }, 'bad data row skipped'),
    });
  }
  const startMs = options.start ? Date.parse(`${options.start}T13:30:00Z`) : Date.UTC(2024, 0, 2, 14, 30);
  return new SimulatedSource({ symbols: options.symbols, seed: options.seed, startMs, bars: options.bars ?? 390 });
}

export function makeBroker(options: RunOptions, clock: VirtualClock, quotes: Map<string, Quote>, restored?: unknown): Broker {
  if (options.broker !== 'paper') {
    throw new UsageError('BROKER_NOT_AVAILABLE', `--broker ${options.broker} is not available yet`, { hint: 'use --broker paper' });
  }
  const paper = options.config.paper;
  return new PaperBroker({
    initialCash: options.initialCash ?? paper.initial_cash,
    slippageBps: paper.slippage_bps,
    feeBps: paper.fee_bps,
    allowShort: paper.allow_short,
    fractionalShares: options.config.sizing.fractional_shares,
    quotes: (symbol) => quotes.get(symbol) ?? null,
    clock,
    idPrefix: options.runId,
    ...(restored ? { state: restored as PaperBrokerState } : {}),
  });
}

export async function runEngine(options: RunOptions): Promise<RunSummary> {
  const clock = new VirtualClock(0);
  const { logger, file: logFile, flush } = createLogger({ logDir: options.logDir, level: options.logLevel, clock });
  const source = makeDataSource(options, logger);
  const stateStore = options.state ? openStateStore(options.stateDir, logger) : null;
  const restored = stateStore ? await loadState(stateStore, { fresh: options.fresh, logger }) : null;
  if (restored) {
    logger.info({ file: restored.file, cycle: restored.cycle }, 'restoring from snapshot');
    if (restored.configHash !== options.configHash) logger.warn({ snapshot: restored.configHash, now: options.configHash }, 'configuration changed since the snapshot');
  }
  const quotes = new Map<string, Quote>();
  const broker = makeBroker(options, clock, quotes, restored?.broker);
  let predictor: Predictor;
  if (options.predictorFactory && !options.dryRun) {
    predictor = await options.predictorFactory(source, restored?.predictor ?? null, logger);
  } else if (options.dryRun) {
    const script = oracleScript(readSeries(source), { seed: options.seed, barMinutes: source.barMinutes });
    predictor = new ScriptedPredictor({ horizons: options.config.horizons, barMinutes: source.barMinutes, seed: options.seed, script });
  } else {
    throw new UsageError('NO_MODELS', 'no model run given', { hint: 'pass --run-id/--run-root, or --dry-run for the scripted predictor' });
  }
  // Resuming from the snapshot of cycle k: journal records of later cycles (written before a
  // crash, after that snapshot) move to side files; the re-run writes them again.
  // With state on and no snapshot (first start, a crash before the first snapshot, or --fresh)
  // the run starts at cycle 1: earlier records go to a side file, so no cycle appears twice.
  const journalOptions = restored ? { resumeAfterCycle: restored.cycle, logger } : stateStore ? { resumeAfterCycle: 0, logger } : { logger };
  const journals = {
    decisions: JsonlJournal.open(path.join(options.logDir, 'decisions.jsonl'), journalOptions),
    orders: JsonlJournal.open(path.join(options.logDir, 'orders.jsonl'), journalOptions),
    fills: JsonlJournal.open(path.join(options.logDir, 'fills.jsonl'), journalOptions),
  };
  const inspector = options.inspectFile ? createInspector(options.inspectFile) : null;
  const engine = new TradingEngine({
    ...(inspector ? { inspect: inspector.inspect } : {}),
    config: options.config,
    broker,
    dataSource: source,
    predictor,
    symbols: source.symbols,
    runId: options.runId,
    clock,
    initialCash: options.initialCash,
    ...(restored ? { restore: { engine: restored.engine as never, symbols: restored.symbols } } : {}),
    warmUp: async (eng) => {
      // Fresh start only (a restored engine skips warming up): history just before the first live slice.
      if (!firstSlice || !source.history || options.config.engine.warmup_bars === 0) return;
      const history = new Map(source.symbols.map((symbol) => [symbol, source.history!(symbol, firstSlice!.ts - 1, options.config.engine.warmup_bars)]));
      const report = await warmUpEngine(eng, history);
      logger.info({ bars: report.bars, steps: report.steps, faults: report.faults.length }, 'warm-up done');
      for (const fault of report.faults.slice(0, 20)) logger.warn(fault, 'warm-up prediction failed');
    },
    onEvent: (event) => {
      const level = event.severity === 'warning' ? 'warn' : event.severity;
      logger[level]({ event: event.event_type, data: event.data }, event.message);
    },
  });
  // The first live slice is taken before the engine starts, so warm-up knows where history ends.
  let firstSlice = await engine.nextSlice();
  const stats = new RunStats(options.initialCash ?? options.config.paper.initial_cash);
  logger.info({ runId: options.runId, symbols: source.symbols, data: source.kind, barMinutes: source.barMinutes, configHash: options.configHash }, 'engine starting');
  const startedAt = monotonicMs();
  await engine.start();
  let cycles = 0;
  let lastTs: number | null = null;
  let controlSeq = restored?.controlSeq ?? 0;
  let paused = false;
  let pausedPolls = 0;
  /** Apply operator commands (state/control.json) at a cycle boundary, each once, in order. */
  const applyControl = (): void => {
    let commands: ControlCommand[] = [];
    try {
      commands = readControlCommands(options.stateDir, controlSeq);
    } catch (error) {
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'control file unreadable; ignored this cycle');
      return;
    }
    for (const command of commands) {
      controlSeq = command.seq;
      logger.warn({ seq: command.seq, command: command.command, reason: command.reason, issuedAt: command.issued_at }, `operator command: ${command.command}`);
      if (command.command === 'pause') {
        engine.pause();
        paused = true;
      } else if (command.command === 'resume') {
        engine.resume();
        paused = false;
      } else if (command.command === 'kill') engine.kill(command.reason ?? 'manual');
      else engine.resetKill();
      options.out(`operator: ${command.command}${command.reason ? ` (${command.reason})` : ''}`);
    }
  };
  try {
    for (;;) {
      if (options.stopSignal?.stop) break;
      if (options.maxCycles !== undefined && cycles >= options.maxCycles) break;
      applyControl();
      if (paused) {
        // Paused: the process stays alive and says so; replayed data waits (it does not race ahead).
        await new Promise((resolve) => setTimeout(resolve, PAUSE_POLL_MS));
        if (++pausedPolls % Math.round(10_000 / PAUSE_POLL_MS) === 1) logger.warn({ cycle: engine.getStateSummary().cycle }, 'paused by operator; waiting for resume');
        continue;
      }
      const slice = firstSlice ?? (await engine.nextSlice());
      firstSlice = null;
      if (!slice) break;
      await pace(options.speed, lastTs, slice);
      lastTs = slice.ts;
      for (const quote of slice.quotes) quotes.set(quote.symbol, quote);
      engine.ingest(slice);
      const began = monotonicMs();
      const report = await engine.cycle();
      if (!report) continue;
      cycles += 1;
      journalCycle(journals, report);
      if (stateStore) {
        // Journal first (fsynced), then the snapshot: a crash in between re-runs this cycle.
        for (const journal of Object.values(journals)) journal.fsync();
        crashPoint('after-journal', report.result.cycle);
        const writing = stateStore.write({ runId: options.runId, cycle: report.result.cycle, writtenAtMs: clock.now(), configHash: options.configHash, ...engineDocument(engine, broker as { toJSON?: () => unknown }, controlSeq) });
        crashPoint('during-snapshot', report.result.cycle);
        const written = await writing;
        logger.debug({ cycle: report.result.cycle, bytes: written.bytes, ms: +written.ms.toFixed(2) }, 'snapshot written');
        crashPoint('after-snapshot', report.result.cycle);
      }
      stats.add(report);
      logger.debug({ cycle: report.result.cycle, ms: +(monotonicMs() - began).toFixed(3) }, 'cycle done');
      options.out(cycleLine(report));
    }
  } finally {
    for (const journal of Object.values(journals)) {
      journal.fsync();
      journal.close();
    }
    logger.info({ cycles, wallMs: Math.round(monotonicMs() - startedAt), badRows: source.stats.badRows }, 'engine stopped');
    flush();
  }
  const summary = engine.getStateSummary();
  const finalValue = summary.portfolioValue;
  const book = engine.supervisorContext().book;
  // Full precision, so the books can be checked: cash + sum(shares * mark) = portfolio value.
  fs.writeFileSync(
    path.join(options.logDir, 'summary.json'),
    `${JSON.stringify({ run_id: options.runId, cycles, final_value: finalValue, cash: book.cash, fees: book.feesPaid, positions: Object.values(book.positions).map((p) => ({ symbol: p.symbol, shares: p.shares, avg_entry_price: p.avgEntryPrice, mark: book.marks[p.symbol] ?? p.avgEntryPrice })), trading: summary.trading, kill_switch: summary.killSwitch, bad_rows: source.stats }, null, 2)}\n`,
  );
  await engine.stop();
  inspector?.close();
  for (const line of stats.summaryLines(finalValue, source.stats)) options.out(line);
  return { cycles, stats, finalValue, logFile };
}

/**
 * Fault injection for the crash tests: LIVE_TRADING_CRASH_POINT=<point>:<cycle> kills this process
 * with SIGKILL at that point of that cycle (`during-snapshot` fires while the write's I/O is in
 * flight). Unset in normal use; it never changes behaviour otherwise.
 */
function crashPoint(point: 'after-journal' | 'during-snapshot' | 'after-snapshot', cycle: number): void {
  const wanted = process.env.LIVE_TRADING_CRASH_POINT;
  if (!wanted || wanted !== `${point}:${cycle}`) return;
  if (point === 'during-snapshot') setImmediate(() => process.kill(process.pid, 'SIGKILL'));
  else process.kill(process.pid, 'SIGKILL');
}

const PAUSE_POLL_MS = 200;

/**
 * Live machine inspection without a network: every inspection event of the actor tree as one JSON
 * line (actor, event, resulting state). `tail -f` it, or load it into a visualiser.
 */
function createInspector(file: string): { inspect: (event: InspectionEvent) => void; close: () => void } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let fd: number | null = fs.openSync(file, 'a');
  const inspect = (event: InspectionEvent) => {
    if (fd === null) return;
    const actor = (event.actorRef as { id?: string }).id ?? '?';
    let record: Record<string, unknown> | null = null;
    if (event.type === '@xstate.event') record = { type: 'event', actor, event: event.event.type, from: (event.sourceRef as { id?: string } | undefined)?.id ?? null };
    else if (event.type === '@xstate.snapshot') record = { type: 'snapshot', actor, event: event.event.type, value: (event.snapshot as { value?: unknown }).value ?? null, status: (event.snapshot as { status?: string }).status };
    else if (event.type === '@xstate.microstep') record = { type: 'microstep', actor, event: event.event.type, value: (event.snapshot as { value?: unknown }).value ?? null };
    if (record) fs.writeSync(fd, `${JSON.stringify(record)}\n`);
  };
  return {
    inspect,
    close: () => {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}

function journalCycle(journals: Record<'decisions' | 'orders' | 'fills', JsonlJournal>, report: CycleReport): void {
  for (const decision of report.result.decisions) journals.decisions.append(decisionRecord(decision));
  for (const order of report.orders) journals.orders.append(orderRecord(order));
  for (const fill of report.fills) journals.fills.append(fillRecord(fill, report.result.cycle));
}

function cycleLine(report: CycleReport): string {
  const r = report.result;
  const trades = r.decisions.filter((d) => d.action === 'TRADE').map((d) => `${d.symbol} ${d.shares > 0 ? '+' : ''}${d.shares}`);
  return `cycle ${String(r.cycle).padStart(4)} ${isoUtc(r.ts)} PV ${r.portfolioValue.toFixed(2)} trades ${r.trades} holds ${r.holds} blocked ${r.blocked} ${r.tradingState !== 'active' ? `[${r.tradingState}] ` : ''}${trades.join(' ')}`.trimEnd();
}

/** Replay pacing: wait (delta ts)/speed of real time between slices; `max` does not wait. */
async function pace(speed: number | 'max', lastTs: number | null, slice: MarketSlice): Promise<void> {
  if (speed === 'max' || lastTs === null) return;
  const waitMs = Math.min(60_000, (slice.ts - lastTs) / speed);
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}
