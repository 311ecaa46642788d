import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../src/models/runtimes/onnx.ts';
import { LightGbmRuntime } from '../../src/models/runtimes/lightgbm.ts';
import type { TreeEvaluator } from '../../src/models/runtimes/tree-kernel.ts';
import { XGBoostRuntime } from '../../src/models/runtimes/xgboost.ts';
import { withinTolerance } from '../fixtures/models/fixtures.ts';

// The 18 models of bench/models.ts (scripts/fixtures/make_bench_models.py: LightGBM 4.7 with up
// to 63 leaves, XGBoost 1.7.4 depth 6, 24 features, 500 rows with ~10% NaN) double as parity
// fixtures: every evaluator within 1e-6 of the training library, the tree evaluators identical.

const DIR = fileURLToPath(new URL('../fixtures/bench-models/', import.meta.url));
const gz = (path: string): string => gunzipSync(readFileSync(path)).toString('utf8');
const rows = (JSON.parse(gz(join(DIR, 'inputs.json.gz'))) as { rows: (number | null)[][] }).rows.map((r) => r.map((v) => (v === null ? NaN : v)));
const models = readdirSync(DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const expected = (name: string): number[] => (JSON.parse(gz(join(DIR, name, 'expected.json.gz'))) as { predictions: number[] }).predictions;

describe('bench models', () => {
  it('are 6 LightGBM, 6 XGBoost and 6 MLPs over 500 rows of 24 features with missing values', () => {
    expect(models.filter((m) => m.startsWith('lgbm_')).length).toBe(6);
    expect(models.filter((m) => m.startsWith('xgb_')).length).toBe(6);
    expect(models.filter((m) => m.startsWith('mlp_')).length).toBe(6);
    expect(rows.length).toBe(500);
    expect(rows.every((r) => r.length === 24)).toBe(true);
    expect(rows.flat().filter(Number.isNaN).length).toBeGreaterThan(500);
  });
});

describe.each(models.filter((m) => !m.startsWith('mlp_')))('%s', (name) => {
  it('every tree evaluator matches the library to 1e-6 and the evaluators agree bit for bit', async () => {
    const want = expected(name);
    const outputs: number[][] = [];
    for (const evaluator of ['branchless', 'branchless-loop', 'interpreted'] as TreeEvaluator[]) {
      const runtime = name.startsWith('lgbm')
        ? LightGbmRuntime.fromText(gz(join(DIR, name, 'model.txt.gz')), name, { evaluator })
        : XGBoostRuntime.fromJson(gz(join(DIR, name, 'model.json.gz')), name, { evaluator });
      const got = Array.from(await runtime.predict(rows));
      const outside = got.map((p, i) => (withinTolerance(p, want[i]) ? -1 : i)).filter((i) => i >= 0);
      expect(outside, `${evaluator}: rows outside 1e-6`).toEqual([]);
      outputs.push(got);
    }
    expect(outputs[0]).toEqual(outputs[2]);
    expect(outputs[1]).toEqual(outputs[2]);
  });
});

describe.each(models.filter((m) => m.startsWith('mlp_')))('%s', (name) => {
  it('onnxruntime matches the Python reference to 1e-6 (NaN read as 0)', async () => {
    const runtime = await OnnxRuntime.fromBytes(readFileSync(join(DIR, name, 'model.onnx')), name);
    try {
      const got = await runtime.predict(rows.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : v))));
      const want = expected(name);
      expect(Array.from(got).every((p, i) => withinTolerance(p, want[i]))).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});
