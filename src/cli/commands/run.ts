/**
 * `live-trading run`: run the engine on simulated or replayed data (paper broker), or on real
 * model runs. SIGINT/SIGTERM finish the cycle in progress, flush the journals and exit 0.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig, resolveSymbols } from '../../config/loader.ts';
import { UsageError } from '../../core/errors.ts';
import type { LogLevel } from '../../observability/logger.ts';
import { runEngine, type RunOptions } from '../../engine/runner.ts';
import type { Logger } from 'pino';
import type { DataSource } from '../../market/types.ts';
import type { FeatureState } from '../../features/index.ts';
import { resolveRunRoot } from '../../models/artifacts.ts';
import { loadRun } from '../../models/run.ts';
import { ModelPredictor } from '../../models/modelPredictor.ts';
import { outputOf } from '../run-cli.ts';

export interface RunCliOptions {
  runId?: string;
  runRoot?: string;
  resultsRoot?: string;
  broker: string;
  symbols?: string;
  symbolsFile?: string;
  interval?: string;
  maxCycles?: string;
  dryRun?: boolean;
  logLevel: string;
  logDir?: string;
  state: boolean;
  stateDir?: string;
  fresh?: boolean;
  inspect?: boolean | string;
  config?: string;
  data: string;
  dataDir?: string;
  start?: string;
  end?: string;
  speed: string;
  seed: string;
  initialCash?: string;
  bars?: string;
}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError('BAD_OPTION', `${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError('BAD_OPTION', `${name} must be a positive number, got '${value}'`);
  return n;
}

export function addRunOptions(command: Command): Command {
  return command
    .option('--run-id <id>', 'training run id (newest timestamp under <results-root>/runs/<id>/); also names journals', undefined)
    .option('--run-root <path>', 'a training run root directory (<results-root>/runs/<id>/<timestamp>)')
    .option('--results-root <dir>', 'where --run-id looks for runs/<id>/ (default $LT_RESULTS_ROOT or ./results)')
    .addOption(new Option('--broker <name>', 'broker').choices(['paper', 'alpaca', 'ibkr']).default('paper'))
    .option('--symbols <list>', 'comma-separated symbols (overrides symbols files)')
    .option('--symbols-file <path>', 'symbols YAML: its default list, else universe + sectors + stocks')
    .option('--interval <seconds>', 'cycle interval in seconds (overrides engine.cycle_interval_seconds)')
    .option('--max-cycles <n>', 'stop after n cycles')
    .option('--dry-run', 'use the deterministic scripted predictor instead of model files')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'))
    .option('--log-dir <dir>', 'directory for live-trading.log and the journals (default logs/<run-id>)')
    .option('--no-state', 'do not read or write snapshots')
    .option('--state-dir <dir>', 'snapshot directory (default state/)')
    .option('--fresh', 'discard existing snapshots (moved aside, never deleted) and start fresh')
    .option('--inspect [file]', 'stream the state machines\' inspection events as JSON lines (default <log-dir>/inspect.jsonl)')
    .option('--config <path>', 'config file (default config/live_trading.yaml)')
    .addOption(new Option('--data <source>', 'market data source').choices(['simulated', 'replay']).default('simulated'))
    .option('--data-dir <dir>', 'replay data directory (Lean equity/usa layout or a folder of CSV files)')
    .option('--start <date>', 'first trading date YYYY-MM-DD (replay)')
    .option('--end <date>', 'last trading date YYYY-MM-DD (replay)')
    .option('--speed <x>', "replay pace: a multiple of real time, or 'max'", 'max')
    .option('--seed <n>', 'seed for simulated data and the scripted predictor', '7')
    .option('--initial-cash <usd>', 'paper broker starting cash (overrides paper.initial_cash)')
    .option('--bars <n>', 'simulated data: bars per symbol', '390');
}

export function toRunOptions(options: RunCliOptions, out: (line: string) => void): RunOptions {
  const loaded = loadConfig({ configPath: options.config });
  const symbols = resolveSymbols({ symbols: options.symbols, symbolsFile: options.symbolsFile, symbolsConfig: loaded.symbols, symbolsConfigPath: loaded.symbolsPath });
  const config = loaded.config;
  const interval = positive('--interval', options.interval);
  if (interval !== undefined) config.engine.cycle_interval_seconds = interval;
  const speed = options.speed === 'max' ? 'max' : positive('--speed', options.speed)!;
  const runId = options.runId ?? (options.runRoot ? path.basename(path.dirname(path.resolve(options.runRoot))) : options.dryRun ? 'dry-run' : 'live');
  const wantsModels = !options.dryRun && (options.runId !== undefined || options.runRoot !== undefined);
  const predictorFactory = wantsModels
    ? async (source: DataSource, restored: unknown, logger: Logger) => {
        const root = resolveRunRoot({ runId: options.runRoot ? undefined : options.runId, runRoot: options.runRoot, resultsRoot: options.resultsRoot });
        const run = await loadRun(root, { config, barMinutes: source.barMinutes, symbols: [...source.symbols] });
        for (const warning of run.warnings) logger.warn({ runRoot: root }, warning);
        logger.info({ runRoot: root, models: run.models.length, slots: run.slots.length, features: run.featureNames }, 'model run loaded');
        return new ModelPredictor(run, { symbols: source.symbols, restore: (restored ?? undefined) as Record<string, FeatureState> | undefined });
      }
    : undefined;
  return {
    runId,
    config,
    configHash: loaded.hash,
    symbols,
    broker: options.broker as RunOptions['broker'],
    data: options.data as RunOptions['data'],
    dataDir: options.dataDir ?? null,
    start: options.start,
    end: options.end,
    speed,
    seed: integer('--seed', options.seed, 0)!,
    initialCash: positive('--initial-cash', options.initialCash),
    maxCycles: integer('--max-cycles', options.maxCycles, 1),
    dryRun: options.dryRun ?? false,
    logLevel: options.logLevel as LogLevel,
    logDir: options.logDir ?? path.join('logs', runId),
    inspectFile: options.inspect === undefined || options.inspect === false ? undefined : typeof options.inspect === 'string' ? options.inspect : path.join(options.logDir ?? path.join('logs', runId), 'inspect.jsonl'),
    predictorFactory,
    bars: integer('--bars', options.bars, 1),
    state: options.state,
    stateDir: options.stateDir ?? 'state',
    fresh: options.fresh ?? false,
    out,
  };
}

/** Stop after the cycle in progress on SIGINT/SIGTERM; the process then exits 0. */
export function installStopHandlers(): { stop: boolean; dispose: () => void } {
  const signal = { stop: false, dispose: () => {} };
  const handler = () => {
    signal.stop = true;
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  signal.dispose = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  return signal;
}

export function registerRunCommand(program: Command): void {
  addRunOptions(program.command('run').description('run the engine: replayed or simulated data, paper broker')).action(async (options: RunCliOptions, command: Command) => {
    const io = outputOf(command);
    const runOptions = toRunOptions(options, (line) => io.stdout(`${line}\n`));
    const stop = installStopHandlers();
    try {
      await runEngine({ ...runOptions, stopSignal: stop });
    } finally {
      stop.dispose();
    }
  });
}
