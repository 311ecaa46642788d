/**
 * cycle.models.500 (ms): the full cycle with real models (the bundled demo run: LightGBM, XGBoost,
 * MLP/ONNX for 4 horizons plus barrier classifiers) at 500 symbols of simulated minute data:
 * incremental features, one batched predict per model, the symbol pipeline and the supervisor.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../src/config/schema.ts';
import { VirtualClock } from '../src/core/clock.ts';
import type { Quote } from '../src/core/types.ts';
import { PaperBroker } from '../src/brokers/paper.ts';
import { SimulatedSource } from '../src/market/simulated.ts';
import { TradingEngine } from '../src/engine/TradingEngine.ts';
import { resolveRunRoot } from '../src/models/artifacts.ts';
import { loadRun } from '../src/models/run.ts';
import { ModelPredictor } from '../src/models/modelPredictor.ts';
import { summarize, type BenchResult } from './stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function benchModelsCycle(options: { symbols?: number; warmup?: number; measured?: number } = {}): Promise<BenchResult[]> {
  const n = options.symbols ?? 500;
  const warmup = options.warmup ?? 60;
  const measured = options.measured ?? 40;
  const config = defaultConfig();
  config.spread_gate.quote_age_max_ms = 120_000;
  const symbols = Array.from({ length: n }, (_, i) => `S${i}`);
  const clock = new VirtualClock(0);
  const quotes = new Map<string, Quote>();
  const broker = new PaperBroker({ initialCash: 1e7, slippageBps: 5, feeBps: 1, allowShort: true, quotes: (s) => quotes.get(s) ?? null, clock });
  const data = new SimulatedSource({ symbols, seed: 5, startMs: Date.UTC(2024, 0, 2, 14, 30), bars: warmup + measured, annualVol: 0.4 });
  const run = await loadRun(resolveRunRoot({ runId: 'demo', resultsRoot: path.join(ROOT, 'examples', 'run') }), { config, barMinutes: 1, symbols });
  const predictor = new ModelPredictor(run, { symbols });
  const engine = new TradingEngine({ config, broker, dataSource: data, predictor, symbols, runId: 'bench', clock, initialCash: 1e7 });
  await engine.start();
  const samples: number[] = [];
  for (let i = 0; ; i++) {
    const slice = await engine.nextSlice();
    if (!slice) break;
    for (const q of slice.quotes) quotes.set(q.symbol, q);
    const t0 = performance.now();
    engine.ingest(slice);
    await engine.cycle();
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  await engine.stop();
  await predictor.close();
  return [summarize(`cycle.models.${n}`, 'ms', samples)];
}
