import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/core/errors.ts';
import { ModelInputError, formatOfFile, openRuntime } from '../../src/models/runtime.ts';
import { loadExpected, loadInputs, modelPath, rowsFor } from '../fixtures/models/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'runtime-open-'));
const write = (name: string, content: string | Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

async function loadFailure(path: string): Promise<ModelLoadError> {
  try {
    await openRuntime(path);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelLoadError);
    return e as ModelLoadError;
  }
  throw new Error(`${path} opened but should not have`);
}

describe('openRuntime chooses the runtime by file name', () => {
  it('maps *.onnx, *.txt and *.json to onnx, lightgbm and xgboost', () => {
    expect(formatOfFile('/m/model.onnx')).toBe('onnx');
    expect(formatOfFile('/m/model.txt')).toBe('lightgbm');
    expect(formatOfFile('/m/model.json')).toBe('xgboost');
  });

  it.each(['model.pkl', 'model.pickle', 'model.joblib', 'model.h5', 'model.keras', 'model.pt', 'model.pth', 'model.cbm'])(
    'refuses %s without reading it, naming the file and asking for an ONNX export',
    async (name) => {
      const path = `/nonexistent/run/family=X/${name}`; // never read: the refusal comes first
      const error = await loadFailure(path);
      expect(error.code).toBe('UNSUPPORTED_FORMAT');
      expect(error.message).toContain(`refusing ${path}`);
      expect(error.message).toContain('export the model to ONNX (model.onnx)');
    },
  );

  it('says pickle/joblib files can execute code', async () => {
    expect((await loadFailure('/x/model.joblib')).message).toMatch(/pickle\/joblib files can execute code/);
  });

  it('refuses an unknown extension and reports a missing file as unreadable', async () => {
    expect((await loadFailure('/x/model.bin')).code).toBe('UNSUPPORTED_FORMAT');
    const missing = await loadFailure(join(dir, 'absent', 'model.txt'));
    expect(missing.code).toBe('MODEL_UNREADABLE');
    expect(missing.message).toContain(join(dir, 'absent', 'model.txt'));
  });
});

describe('corrupt model files give a ModelLoadError naming the file and the problem', () => {
  it.each([
    ['lgbm/model.txt', 'tree\nversion=v4\nmax_feature_idx=1\n', /end of trees/],
    ['xgb/model.json', '{"learner": {"gradient', /not valid JSON/],
    ['onnx/model.onnx', 'definitely not protobuf', /not an ONNX model|onnxruntime cannot load it/],
  ])('%s', async (name, content, problem) => {
    const path = write(name.replace('/', '-'), content);
    const error = await loadFailure(path);
    expect(error.code).toBe('MODEL_PARSE');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(problem);
  });

  it('refuses an ONNX classifier whose probabilities come out of a ZipMap', async () => {
    const error = await loadFailure(modelPath('onnx_zipmap'));
    expect(error.code).toBe('UNSUPPORTED_MODEL');
    expect(error.message).toMatch(/ZipMap/);
    expect(error.hint).toMatch(/zipmap=False/);
  });
});

describe('batched predict', () => {
  const inputs = loadInputs();

  it('takes one row-major Float64Array as well as row arrays, with the same results', async () => {
    const runtime = await openRuntime(modelPath('lgbm_regression'));
    const rows = inputs.rows.slice(0, 50);
    const fromArrays = await runtime.predict(rows);
    const fromFlat = await runtime.predict(Float64Array.from(rows.flat()), 50);
    expect(Array.from(fromFlat)).toEqual(Array.from(fromArrays));
    expect(Array.from(fromArrays)).toEqual(loadExpected('lgbm_regression').predictions.slice(0, 50));
  });

  it('returns an empty result for zero rows and rejects rows of the wrong width', async () => {
    for (const name of ['xgb_regression', 'onnx_mlp']) {
      const runtime = await openRuntime(modelPath(name));
      expect((await runtime.predict([])).length).toBe(0);
      await expect(runtime.predict([[1, 2, 3]])).rejects.toBeInstanceOf(ModelInputError);
      await expect(runtime.predict(new Float64Array(21), 1)).rejects.toThrow(/21 values are not 1 rows of 20 features/);
      await runtime.close();
    }
  });

  it('runs a fixed-batch [1, T, C] ONNX model row by row with the same numbers as the batched one', async () => {
    const expected = loadExpected('onnx_sequence_batch1');
    const windows = Float32Array.from(rowsFor(expected.input, inputs).slice(0, 7).flat());
    const fixed = await openRuntime(modelPath('onnx_sequence_batch1'));
    const dynamic = await openRuntime(modelPath('onnx_sequence'));
    const a = await fixed.predictSequence!(windows, 7, 5, 4);
    expect(Array.from(a)).toEqual(expected.predictions.slice(0, 7));
    expect(Array.from(await dynamic.predictSequence!(windows, 7, 5, 4))).toEqual(Array.from(a));
    await expect(fixed.predictSequence!(windows, 7, 4, 5)).rejects.toBeInstanceOf(ModelInputError);
    await expect(fixed.predict([[0]])).rejects.toThrow(/sequence model: call predictSequence/);
    await fixed.close();
    await dynamic.close();
  });
});
