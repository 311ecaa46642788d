/**
 * Inference timings of the model runtimes on the parity-fixture models (real LightGBM /
 * XGBoost 100-tree depth-6 ensembles over 20 features, and the 20-16-1 MLP in onnxruntime):
 * one batched predict of 500 rows, as the engine calls it once per model per cycle.
 * Used by bench/run.ts; standalone: `node --import tsx bench/inference.ts`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { openRuntime } from '../src/models/runtime.ts';
import { loadInputs, modelPath } from '../test/fixtures/models/fixtures.ts';

export interface BenchResult {
  name: string;
  unit: string;
  median: number;
  p99: number;
  n: number;
}

const ROWS = 500;
const WARMUP = 30;
const RUNS = 300;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function time(name: string, run: () => Promise<unknown>): Promise<BenchResult> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { name, unit: 'ms', median: quantile(samples, 0.5), p99: quantile(samples, 0.99), n: RUNS };
}

export async function benchInference(): Promise<BenchResult[]> {
  const rows = loadInputs().rows.slice(0, ROWS);
  const flat = Float64Array.from(rows.flat());
  const dense = Float64Array.from(flat, (v) => (Number.isNaN(v) ? 0 : v)); // the MLP takes no NaN
  const results: BenchResult[] = [];
  for (const [name, model, input] of [
    [`inference.lightgbm.${ROWS}x100trees`, 'lgbm_regression', flat],
    [`inference.xgboost.${ROWS}x100trees`, 'xgb_regression', flat],
    [`inference.onnx_mlp.${ROWS}`, 'onnx_mlp', dense],
  ] as const) {
    const runtime = await openRuntime(modelPath(model));
    try {
      results.push(await time(name, () => runtime.predict(input, ROWS)));
      if (model !== 'onnx_mlp') {
        const one = input.subarray(0, runtime.nFeatures);
        results.push(await time(name.replace(`${ROWS}x`, '1x'), () => runtime.predict(one, 1)));
      }
    } finally {
      await runtime.close();
    }
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchInference()) {
    console.log(`${r.name}: median ${r.median.toFixed(4)} ${r.unit}, p99 ${r.p99.toFixed(4)} ${r.unit} (n=${r.n})`);
  }
}
