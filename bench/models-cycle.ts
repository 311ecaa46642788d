/**
 * cycle.models.500 (ms): the full cycle with real models (the bundled demo run: LightGBM, XGBoost,
 * MLP/ONNX for 4 horizons plus barrier classifiers) at 500 symbols of simulated minute data:
 * incremental features, one batched predict per model, the symbol pipeline and the supervisor.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../src/config/schema.ts';
import { resolveRunRoot } from '../src/models/artifacts.ts';
import { loadRun } from '../src/models/run.ts';
import { ModelPredictor } from '../src/models/modelPredictor.ts';
import { createRig } from './rig.ts';
import { summarize, type BenchResult } from './stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function benchModelsCycle(options: { symbols?: number; warmup?: number; measured?: number } = {}): Promise<BenchResult[]> {
  const n = options.symbols ?? 500;
  const warmup = options.warmup ?? 60;
  const measured = options.measured ?? 40;
  let predictor: ModelPredictor | null = null;
  const rig = await createRig({
    symbols: n,
    bars: warmup + measured + 1,
    predictor: async (symbols) => {
      const run = await loadRun(resolveRunRoot({ runId: 'demo', resultsRoot: path.join(ROOT, 'examples', 'run') }), { config: defaultConfig(), barMinutes: 1, symbols });
      predictor = new ModelPredictor(run, { symbols });
      return predictor;
    },
  });
  const samples: number[] = [];
  for (let i = 0; i < warmup + measured; i++) {
    const ms = await rig.step();
    if (i >= warmup) samples.push(ms);
  }
  await rig.stop();
  await (predictor as ModelPredictor | null)?.close();
  return [summarize(`cycle.models.${n}`, 'ms', samples)];
}
