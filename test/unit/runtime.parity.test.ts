import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openRuntime, type ModelRuntime } from '../../src/models/runtime.ts';
import { LightGbmRuntime } from '../../src/models/runtimes/lightgbm.ts';
import type { TreeEvaluator } from '../../src/models/runtimes/tree-kernel.ts';
import { XGBoostRuntime } from '../../src/models/runtimes/xgboost.ts';
import {
  fixtureModels, loadExpected, loadInputs, modelPath, relativeError, rowsFor, sequenceShape, withinTolerance,
} from '../fixtures/models/fixtures.ts';

// Parity with the training libraries: every fixture holds a real model (LightGBM 4.7, XGBoost
// 1.7, ONNX via onnxruntime) and that library's own predictions for the same 1000 rows
// (scripts/fixtures/make_model_fixtures.py). Tolerance: 1e-6 relative, 1e-9 absolute floor.

const inputs = loadInputs();
const worst: Record<string, number> = {};

async function predictFixture(runtime: ModelRuntime, kind: string): Promise<Float64Array> {
  const rows = rowsFor(kind, inputs);
  if (runtime.inputKind === 'tabular') return runtime.predict(rows);
  const { T, C } = sequenceShape(kind);
  return runtime.predictSequence!(Float32Array.from(rows.flat()), rows.length, T, C);
}

describe('fixture inputs', () => {
  it('have 1000 rows of 20 features with about 10% missing values', () => {
    expect(inputs.rows.length).toBe(1000);
    expect(inputs.rows.every((r) => r.length === 20)).toBe(true);
    const missing = inputs.rows.flat().filter(Number.isNaN).length / 20_000;
    expect(missing).toBeGreaterThan(0.08);
    expect(missing).toBeLessThan(0.12);
  });
});

describe.each(fixtureModels().filter((m) => m !== 'onnx_zipmap'))('%s matches its training library', (name) => {
  it('on all 1000 rows to 1e-6 relative', async () => {
    const expected = loadExpected(name);
    const runtime = await openRuntime(modelPath(name));
    try {
      const predictions = await predictFixture(runtime, expected.input);
      expect(predictions.length).toBe(1000);
      let max = 0;
      const outside: number[] = [];
      for (let i = 0; i < predictions.length; i++) {
        max = Math.max(max, relativeError(predictions[i], expected.predictions[i]));
        if (!withinTolerance(predictions[i], expected.predictions[i])) outside.push(i);
      }
      worst[`${name} (${expected.library})`] = max;
      expect(outside, `rows outside tolerance (worst relative error ${max})`).toEqual([]);
    } finally {
      await runtime.close();
    }
  });
});

describe('bit-exact where the library is deterministic in the same precision', () => {
  it.each(['lgbm_regression', 'xgb_regression', 'onnx_mlp'])('%s reproduces every prediction exactly', async (name) => {
    const expected = loadExpected(name);
    const runtime = await openRuntime(modelPath(name));
    const predictions = await predictFixture(runtime, expected.input);
    await runtime.close();
    expect(Array.from(predictions)).toEqual(expected.predictions);
  });
});

describe('ONNX input buffer reuse', () => {
  it('gives the same predictions for repeated, shrinking, flat and overlapping calls on one session', async () => {
    for (const name of ['onnx_mlp', 'onnx_linear_double']) { // float32 and float64 inputs
      const expected = loadExpected(name);
      const rows = rowsFor(expected.input, inputs);
      const runtime = await openRuntime(modelPath(name));
      try {
        const want = Array.from(await runtime.predict(rows));
        expect(Array.from(await runtime.predict(rows))).toEqual(want);
        expect(Array.from(await runtime.predict(rows.slice(0, 7)))).toEqual(want.slice(0, 7));
        expect(Array.from(await runtime.predict(Float64Array.from(rows.slice(0, 30).flat())))).toEqual(want.slice(0, 30));
        // a second call while the first awaits its run must not overwrite the first one's input
        const [a, b] = await Promise.all([runtime.predict(rows.slice(0, 50)), runtime.predict(rows.slice(50, 100))]);
        expect([...Array.from(a), ...Array.from(b)]).toEqual(want.slice(0, 100));
        expect(want.every((v, i) => withinTolerance(v, expected.predictions[i]))).toBe(true);
      } finally {
        await runtime.close();
      }
    }
  });
});

// openRuntime uses the branch-free evaluator; its fallbacks must give the very same bits.
describe.each(fixtureModels().filter((m) => m.startsWith('lgbm') || m.startsWith('xgb')))('%s: every tree evaluator', (name) => {
  const open = (evaluator: TreeEvaluator): LightGbmRuntime | XGBoostRuntime => {
    const text = readFileSync(modelPath(name), 'utf8');
    return name.startsWith('lgbm') ? LightGbmRuntime.fromText(text, name, { evaluator }) : XGBoostRuntime.fromJson(text, name, { evaluator });
  };

  it('branchless, branchless-loop and interpreted agree bit for bit, within 1e-6 of the library', async () => {
    const expected = loadExpected(name);
    const results = new Map<TreeEvaluator, number[]>();
    for (const evaluator of ['branchless', 'branchless-loop', 'interpreted'] as const) {
      const runtime = open(evaluator);
      expect(runtime.evaluator).toBe(evaluator);
      results.set(evaluator, Array.from(await runtime.predict(inputs.rows)));
    }
    const reference = results.get('interpreted')!;
    expect(reference.every((p, i) => withinTolerance(p, expected.predictions[i]))).toBe(true);
    expect(results.get('branchless')).toEqual(reference);
    expect(results.get('branchless-loop')).toEqual(reference);
  });

  it('agrees for a flat Float64Array, and for 1, 7 and 9 rows (the 8-row blocks and their tail)', async () => {
    const runtime = open('branchless');
    const all = Array.from(await runtime.predict(inputs.rows));
    expect(Array.from(await runtime.predict(Float64Array.from(inputs.rows.flat()), inputs.rows.length))).toEqual(all);
    for (const n of [1, 7, 9]) expect(Array.from(await runtime.predict(inputs.rows.slice(0, n)))).toEqual(all.slice(0, n));
  });
});

describe('metadata read from the model files', () => {
  it.each([
    ['lgbm_regression', 'lightgbm', 'regression', true],
    ['lgbm_binary_categorical', 'lightgbm', 'probability', true],
    ['lgbm_zero_as_missing', 'lightgbm', 'regression', false],
    ['xgb_regression', 'xgboost', 'regression', true],
    ['xgb_binary', 'xgboost', 'probability', false],
    ['onnx_mlp', 'onnx', 'regression', true],
    ['onnx_classifier', 'onnx', 'probability', true],
    ['onnx_linear_double', 'onnx', 'regression', false],
  ] as const)('%s: format %s, output %s, carries feature names: %s', async (name, format, outputKind, hasNames) => {
    const runtime = await openRuntime(modelPath(name));
    expect(runtime.format).toBe(format);
    expect(runtime.outputKind).toBe(outputKind);
    expect(runtime.inputKind).toBe('tabular');
    expect(runtime.nFeatures).toBe(20);
    expect(runtime.featureNames).toEqual(hasNames ? inputs.featureNames : null);
    await runtime.close();
  });

  it('sequence models report [T, C] = [5, 4] and only they have predictSequence', async () => {
    for (const name of ['onnx_sequence', 'onnx_sequence_batch1']) {
      const runtime = await openRuntime(modelPath(name));
      expect([runtime.inputKind, runtime.sequenceLength, runtime.nFeatures]).toEqual(['sequence', 5, 4]);
      expect(typeof runtime.predictSequence).toBe('function');
      await runtime.close();
    }
    const tabular = await openRuntime(modelPath('onnx_mlp'));
    expect(tabular.predictSequence).toBeUndefined();
    await tabular.close();
  });
});

afterAll(() => {
  // The worst relative error per model, for the record (vitest prints console output).
  console.info(Object.entries(worst).map(([m, e]) => `${m}: worst relative error ${e.toExponential(3)}`).join('\n'));
});
