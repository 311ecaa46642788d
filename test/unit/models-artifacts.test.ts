import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadError, UsageError } from '../../src/core/errors.ts';
import { discoverRun, findModelFile, resolveRunRoot } from '../../src/models/artifacts.ts';
import { familyDir, writeRun, type FamilySpec } from '../fixtures/runs/make-runs.ts';

const tempRoot = (): string => mkdtempSync(join(tmpdir(), 'lt-artifacts-'));
const LGBM: FamilySpec = { target: 'fwd_ret_5m', family: 'LightGBM', fixture: 'lgbm_regression' };

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('resolveRunRoot', () => {
  it('--run-id picks the newest <timestamp> directory by name', () => {
    const results = tempRoot();
    for (const timestamp of ['20240301T090000', '20240115T120000', '20240302T080000', '20231231T235959']) {
      writeRun(results, { runId: 'alpha_v2', timestamp, models: [LGBM] });
    }
    expect(resolveRunRoot({ runId: 'alpha_v2', resultsRoot: results })).toBe(join(results, 'runs', 'alpha_v2', '20240302T080000'));
  });

  it('takes the results root from LT_RESULTS_ROOT, else ./results under cwd', () => {
    const results = tempRoot();
    writeRun(results, { runId: 'r1', timestamp: 't1', models: [LGBM] });
    expect(resolveRunRoot({ runId: 'r1', env: { LT_RESULTS_ROOT: results } })).toBe(join(results, 'runs', 'r1', 't1'));
    const cwd = tempRoot();
    writeRun(join(cwd, 'results'), { runId: 'r2', timestamp: 't2', models: [LGBM] });
    expect(resolveRunRoot({ runId: 'r2', env: {}, cwd })).toBe(join(cwd, 'results', 'runs', 'r2', 't2'));
  });

  it('--run-root names one run directly', () => {
    const root = writeRun(tempRoot(), { models: [LGBM] });
    expect(resolveRunRoot({ runRoot: root })).toBe(root);
  });

  it('refuses neither or both of --run-id and --run-root as a usage error', () => {
    expect(thrown(() => resolveRunRoot({}))).toBeInstanceOf(UsageError);
    expect(thrown(() => resolveRunRoot({ runId: 'a', runRoot: '/x' }))).toBeInstanceOf(UsageError);
    expect(thrown(() => resolveRunRoot({ runId: '../etc', resultsRoot: '/tmp' }))).toBeInstanceOf(UsageError);
  });

  it('an unknown run id lists the runs that exist', () => {
    const results = tempRoot();
    writeRun(results, { runId: 'known_run', models: [LGBM] });
    const error = thrown(() => resolveRunRoot({ runId: 'missing_run', resultsRoot: results })) as ModelLoadError;
    expect(error.code).toBe('RUN_NOT_FOUND');
    expect(error.message).toContain(join(results, 'runs', 'missing_run'));
    expect(error.hint).toContain('known_run');
  });

  it('a --run-root that is the run id directory hints at its newest timestamp', () => {
    const results = tempRoot();
    writeRun(results, { runId: 'r', timestamp: '20240101', models: [LGBM] });
    writeRun(results, { runId: 'r', timestamp: '20240202', models: [LGBM] });
    const error = thrown(() => resolveRunRoot({ runRoot: join(results, 'runs', 'r') })) as ModelLoadError;
    expect(error.code).toBe('RUN_NOT_FOUND');
    expect(error.hint).toContain('20240202');
  });
});

describe('findModelFile', () => {
  function dirWith(files: string[]): string {
    const dir = tempRoot();
    for (const f of files) writeFileSync(join(dir, f), 'x');
    return dir;
  }

  it('picks the one model file next to model_meta.json', () => {
    const dir = dirWith(['model_meta.json', 'model.txt', 'feature_importance.csv']);
    expect(findModelFile(dir)).toEqual({ file: join(dir, 'model.txt'), format: 'lightgbm', ignored: [] });
  });

  it('refuses a pickle naming the file and asking for an ONNX export', () => {
    const dir = dirWith(['model_meta.json', 'model.pkl']);
    const error = thrown(() => findModelFile(dir)) as ModelLoadError;
    expect(error.code).toBe('UNSUPPORTED_FORMAT');
    expect(error.message).toContain(join(dir, 'model.pkl'));
    expect(error.message).toContain('ONNX');
  });

  it.each(['model.joblib', 'model.h5', 'model.pt', 'model.cbm'])('refuses %s with the ONNX hint', (name) => {
    const error = thrown(() => findModelFile(dirWith(['model_meta.json', name]))) as ModelLoadError;
    expect(error.message).toContain(name);
    expect(error.hint).toContain('ONNX');
  });

  it('names the directory when it has no model file or several', () => {
    const empty = dirWith(['model_meta.json']);
    expect(thrown(() => findModelFile(empty)).message).toBe(`${empty}: no model file (expected one of model.onnx, model.txt, model.json)`);
    const two = dirWith(['model.onnx', 'model.txt', 'model_meta.json']);
    const error = thrown(() => findModelFile(two)) as ModelLoadError;
    expect(error.code).toBe('MODEL_FILE_AMBIGUOUS');
    expect(error.message).toContain(`${two}: several model files (model.onnx, model.txt)`);
  });

  it('loads the ONNX export and ignores a native pickle next to it', () => {
    const dir = dirWith(['model.onnx', 'model.joblib', 'model_meta.json']);
    expect(findModelFile(dir)).toEqual({ file: join(dir, 'model.onnx'), format: 'onnx', ignored: ['model.joblib'] });
  });
});

describe('discoverRun', () => {
  it('lists targets, views and families with their parsed metas', () => {
    const root = writeRun(tempRoot(), {
      models: [
        LGBM,
        { target: 'fwd_ret_5m', family: 'XGBoost', fixture: 'xgb_regression' },
        { target: 'fwd_ret_15m', family: 'LightGBM', fixture: 'lgbm_random_forest', view: 'SYMBOL_SPECIFIC', symbol: 'MSFT', symbolDir: true },
      ],
    });
    const run = discoverRun(root);
    expect(run.problems).toEqual([]);
    expect(run.manifest?.target_index.fwd_ret_5m.families_trained).toEqual(['LightGBM', 'XGBoost']);
    expect(run.models.map((m) => [m.target, m.view, m.symbol, m.family, m.format])).toEqual([
      ['fwd_ret_15m', 'SYMBOL_SPECIFIC', 'MSFT', 'LightGBM', 'lightgbm'],
      ['fwd_ret_5m', 'CROSS_SECTIONAL', null, 'LightGBM', 'lightgbm'],
      ['fwd_ret_5m', 'CROSS_SECTIONAL', null, 'XGBoost', 'xgboost'],
    ]);
    expect(run.models[1].meta?.target).toBe('fwd_ret_5m');
  });

  it('collects every broken directory instead of stopping at the first', () => {
    const results = tempRoot();
    const pickled: FamilySpec = { ...LGBM, family: 'Sklearn', noModelFile: true, extraFiles: { 'model.pkl': 'x' } };
    const badMeta: FamilySpec = { ...LGBM, family: 'XGBoost', fixture: 'xgb_regression', meta: { n_features: 'twenty' } };
    const root = writeRun(results, { models: [LGBM, pickled, badMeta] });
    const messages = discoverRun(root).problems.map((p) => p.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain(join(familyDir(root, pickled), 'model.pkl'));
    expect(messages[1]).toBe(`${join(familyDir(root, badMeta), 'model_meta.json')}: n_features: expected number, got string`);
  });

  it('reports a family the manifest lists but the run does not hold', () => {
    const results = tempRoot();
    const root = writeRun(results, { models: [LGBM, { ...LGBM, family: 'CatBoost', fixture: 'onnx_linear_double' }] });
    rmSync(familyDir(root, { ...LGBM, family: 'CatBoost' }), { recursive: true });
    const problems = discoverRun(root).problems;
    expect(problems.map((p) => p.code)).toEqual(['MODEL_MISSING']);
    expect(problems[0].message).toContain('target_index.fwd_ret_5m lists family CatBoost');
  });

  it('reports a meta whose family, target or symbol contradicts its directory', () => {
    const root = writeRun(tempRoot(), {
      models: [
        { ...LGBM, meta: { target: 'fwd_ret_10m' } },
        { ...LGBM, target: 'fwd_ret_15m', view: 'SYMBOL_SPECIFIC' },
      ],
    });
    const messages = discoverRun(root).problems.map((p) => p.message);
    expect(messages.some((m) => m.includes("target is 'fwd_ret_10m' but the directory is targets/fwd_ret_5m"))).toBe(true);
    expect(messages.some((m) => m.includes('a SYMBOL_SPECIFIC model needs symbol'))).toBe(true);
  });

  it('reports an unknown view directory and a run without targets/', () => {
    const root = writeRun(tempRoot(), { models: [LGBM] });
    mkdirSync(join(root, 'targets', 'fwd_ret_5m', 'models', 'view=POOLED'));
    expect(discoverRun(root).problems.map((p) => p.code)).toEqual(['VIEW_UNKNOWN']);
    rmSync(join(root, 'targets'), { recursive: true });
    expect(discoverRun(root).problems.map((p) => p.code)).toContain('NO_TARGETS');
  });
});
