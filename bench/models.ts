/**
 * The whole inference step of one cycle at full size: 500 symbols x 6 horizons x 3 families
 * (6 LightGBM + 6 XGBoost regressors of 100 trees, depth 6, and 6 small MLPs in onnxruntime,
 * all distinct models from scripts/fixtures/make_bench_models.py, in test/fixtures/bench-models).
 * One iteration calls every model's batched predict once, sequentially (await each), with
 * 500 rows as arrays of 24 features (~10% NaN; NaN -> 0 for the MLPs), as the engine does.
 *
 * `inference.500x6x3` (ms) is that iteration; `.lightgbm`, `.xgboost`, `.onnx` are the
 * per-family shares (6 models each) of the same iterations, and `.cpu` the process CPU time of
 * an iteration (on a busy machine wall time also counts waiting for a core). Before timing,
 * every model's output is checked against its training library's predictions (1e-6
 * relative), so the bench never times a wrong evaluator. Standalone: `node --import tsx bench/models.ts [--all]` (--all: also
 * the fallback evaluators, for comparison).
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { openRuntime, type ModelRuntime } from '../src/models/runtime.ts';
import { LightGbmRuntime } from '../src/models/runtimes/lightgbm.ts';
import type { TreeEvaluator } from '../src/models/runtimes/tree-kernel.ts';
import { XGBoostRuntime } from '../src/models/runtimes/xgboost.ts';
import type { BenchResult } from './inference.ts';

export const BENCH_MODEL_DIR = fileURLToPath(new URL('../test/fixtures/bench-models/', import.meta.url));
const FAMILIES = ['lightgbm', 'xgboost', 'onnx'] as const;
type Family = (typeof FAMILIES)[number];

export interface BenchModelsOptions {
  /** Measured iterations (>= 50 for the published figure); warm-up iterations are extra. */
  iterations?: number;
  warmup?: number;
  /** Tree evaluator; other than the default 'branchless' the names get `.<evaluator>`. */
  evaluator?: TreeEvaluator;
}

interface BenchModel {
  name: string;
  family: Family;
  runtime: ModelRuntime;
  expected: number[];
}

/** Nearest-rank median and p99 of the measured samples (as bench/stats.ts). */
function summarize(name: string, unit: string, samples: readonly number[]): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { name, unit, median: at(0.5), p99: at(0.99), n: sorted.length };
}

function readJsonGz<T>(path: string): T {
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as T;
}

/** The 500 benchmark rows (null = missing -> NaN). */
export function loadBenchRows(): number[][] {
  const raw = readJsonGz<{ rows: (number | null)[][] }>(join(BENCH_MODEL_DIR, 'inputs.json.gz'));
  return raw.rows.map((r) => r.map((v) => (v === null ? Number.NaN : v)));
}

/** Opens one bench model: gzipped text models are unpacked to a temp dir under their real name. */
async function openBenchModel(name: string, evaluator: TreeEvaluator, tmp: string): Promise<BenchModel> {
  const dir = join(BENCH_MODEL_DIR, name);
  const file = readdirSync(dir).find((f) => f.startsWith('model.'));
  if (!file) throw new Error(`no model file in ${dir}`);
  const expected = readJsonGz<{ predictions: number[] }>(join(dir, 'expected.json.gz')).predictions;
  const family: Family = name.startsWith('lgbm') ? 'lightgbm' : name.startsWith('xgb') ? 'xgboost' : 'onnx';
  let path = join(dir, file);
  if (file.endsWith('.gz')) {
    path = join(tmp, `${name}-${file.slice(0, -3)}`);
    writeFileSync(path, gunzipSync(readFileSync(join(dir, file))));
  }
  let runtime: ModelRuntime;
  if (evaluator === 'branchless' || family === 'onnx') runtime = await openRuntime(path); // the engine's path
  else if (family === 'lightgbm') runtime = LightGbmRuntime.fromText(readFileSync(path, 'utf8'), path, { evaluator });
  else runtime = XGBoostRuntime.fromJson(readFileSync(path, 'utf8'), path, { evaluator });
  return { name, family, runtime, expected };
}

/** Throws unless every output is within 1e-6 relative (1e-9 absolute) of the library's. */
function checkParity(model: BenchModel, got: Float64Array): void {
  for (let i = 0; i < model.expected.length; i++) {
    const want = model.expected[i];
    if (!(Math.abs(got[i] - want) <= Math.max(1e-9, 1e-6 * Math.abs(want)))) {
      throw new Error(`bench model ${model.name}: row ${i} predicted ${got[i]}, the training library ${want}`);
    }
  }
}

/** inference.500x6x3 and its per-family shares: median and p99 over the measured iterations. */
export async function benchModels(options: BenchModelsOptions = {}): Promise<BenchResult[]> {
  const { iterations = 100, warmup = 20, evaluator = 'branchless' } = options;
  const rows = loadBenchRows();
  const dense = rows.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : v)));
  const names = readdirSync(BENCH_MODEL_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const tmp = mkdtempSync(join(tmpdir(), 'bench-models-'));
  const models: BenchModel[] = [];
  try {
    for (const name of names) models.push(await openBenchModel(name, evaluator, tmp));
    if (models.length !== 18) throw new Error(`expected 18 bench models in ${BENCH_MODEL_DIR}, found ${models.length}`);
    for (const model of models) checkParity(model, await model.runtime.predict(model.family === 'onnx' ? dense : rows));

    const total: number[] = [];
    const cpu: number[] = [];
    const perFamily: Record<Family, number[]> = { lightgbm: [], xgboost: [], onnx: [] };
    for (let it = 0; it < warmup + iterations; it++) {
      const spent: Record<Family, number> = { lightgbm: 0, xgboost: 0, onnx: 0 };
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      for (const model of models) {
        const t0 = performance.now();
        await model.runtime.predict(model.family === 'onnx' ? dense : rows);
        spent[model.family] += performance.now() - t0;
      }
      const elapsed = performance.now() - start;
      const used = process.cpuUsage(cpuStart);
      if (it < warmup) continue;
      total.push(elapsed);
      cpu.push((used.user + used.system) / 1000);
      for (const family of FAMILIES) perFamily[family].push(spent[family]);
    }
    const suffix = evaluator === 'branchless' ? '' : `.${evaluator}`;
    return [
      summarize(`inference.500x6x3${suffix}`, 'ms', total),
      ...FAMILIES.map((family) => summarize(`inference.500x6x3.${family}${suffix}`, 'ms', perFamily[family])),
      summarize(`inference.500x6x3.cpu${suffix}`, 'ms', cpu),
    ];
  } finally {
    await Promise.all(models.map((m) => m.runtime.close()));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const evaluators: TreeEvaluator[] = process.argv.includes('--all') ? ['branchless', 'branchless-loop', 'interpreted'] : ['branchless'];
  for (const evaluator of evaluators) {
    for (const r of await benchModels({ evaluator })) {
      console.log(`${r.name}: median ${r.median.toFixed(3)} ${r.unit}, p99 ${r.p99.toFixed(3)} ${r.unit} (n=${r.n})`);
    }
  }
}
