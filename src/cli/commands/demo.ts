/**
 * `live-trading demo` (what `npm start` runs): replay the bundled real minute data of SPY, AIG,
 * BAC and IBM through the engine with the paper broker, a line per cycle and a summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { runEngine } from '../../engine/runner.ts';
import { addRunOptions, installStopHandlers, toRunOptions, type RunCliOptions } from './run.ts';
import { outputOf } from '../run-cli.ts';

export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');
export const DEMO_DATA_DIR = path.join(EXAMPLES_DIR, 'data', 'equity', 'usa');
export const DEMO_SYMBOLS = 'SPY,AIG,BAC,IBM';
/** The bundled training run (scripts/demo-run): trained on 2013-10-04/07, replayed on 10-08/09. */
export const DEMO_RESULTS_ROOT = path.join(EXAMPLES_DIR, 'run');

export function registerDemoCommand(program: Command): void {
  addRunOptions(program.command('demo').description('replay the bundled real data (SPY, AIG, BAC, IBM; Oct 2013) with the paper broker')).action(
    async (options: RunCliOptions, command: Command) => {
      const io = outputOf(command);
      const logDir = options.logDir ?? path.join('logs', 'demo');
      // Each demo starts fresh; an earlier demo's logs are kept beside it, never deleted.
      if (!options.logDir && fs.existsSync(logDir)) {
        let n = 1;
        while (fs.existsSync(`${logDir}.${n}`)) n += 1;
        fs.renameSync(logDir, `${logDir}.${n}`);
      }
      const runOptions = toRunOptions(
        {
          ...options,
          data: 'replay',
          dataDir: options.dataDir ?? DEMO_DATA_DIR,
          symbols: options.symbols ?? DEMO_SYMBOLS,
          start: options.start ?? '2013-10-08',
          end: options.end ?? '2013-10-09',
          dryRun: options.dryRun ?? false,
          runId: options.runId ?? 'demo',
          resultsRoot: options.resultsRoot ?? DEMO_RESULTS_ROOT,
          logDir,
          stateDir: options.stateDir ?? path.join(logDir, 'state'),
          logLevel: options.logLevel === 'info' ? 'warn' : options.logLevel,
        },
        (line) => io.stdout(`${line}\n`),
      );
      const predictor = runOptions.dryRun ? 'scripted predictor' : `models of training run '${runOptions.runId}' (LightGBM, XGBoost, MLP/ONNX; examples/run)`;
      io.stdout(`live-trading demo: replaying ${runOptions.symbols.join(', ')} ${runOptions.start} .. ${runOptions.end} (bundled Lean minute data), paper broker, ${predictor}\n`);
      const stop = installStopHandlers();
      try {
        const summary = await runEngine({ ...runOptions, stopSignal: stop });
        io.stdout(`journals and log in ${logDir}/ (decisions.jsonl has the full trace of every decision)\n`);
        void summary;
      } finally {
        stop.dispose();
      }
    },
  );
}
