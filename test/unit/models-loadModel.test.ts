import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadErrors } from '../../src/models/artifacts.ts';
import { loadModel } from '../../src/models/loadModel.ts';
import { loadExpected, loadInputs, rowsFor, withinTolerance } from '../fixtures/models/fixtures.ts';
import { RUN_FEATURES, familyDir, writeRun, type FamilySpec } from '../fixtures/runs/make-runs.ts';

const LGBM: FamilySpec = { target: 'fwd_ret_5m', family: 'LightGBM', fixture: 'lgbm_regression' };
const dirOf = (spec: FamilySpec): string => familyDir(writeRun(mkdtempSync(join(tmpdir(), 'lt-model-')), { models: [spec] }), spec);

describe('loadModel', () => {
  it('predicts exactly what the training library predicted (1e-6 relative)', async () => {
    const model = await loadModel(dirOf(LGBM));
    const expected = loadExpected('lgbm_regression');
    const rows = rowsFor(expected.input, loadInputs()).slice(0, 200);
    const predictions = await model.predict(rows);
    await model.close();
    expect(model.format).toBe('lightgbm');
    expect(model.featureNames).toEqual(RUN_FEATURES);
    expect(model.checksum).toBe('ok');
    expect(predictions).toHaveLength(200);
    const bad = [...predictions].filter((p, i) => !withinTolerance(p, expected.predictions[i]));
    expect(bad).toEqual([]);
  });

  it('refuses a tampered file naming it, unless verification is switched off', async () => {
    const dir = dirOf({ ...LGBM, family: 'XGBoost', fixture: 'xgb_regression' });
    appendFileSync(join(dir, 'model.json'), ' ');
    const error = await loadModel(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadErrors);
    expect((error as ModelLoadErrors).problems[0].code).toBe('CHECKSUM_MISMATCH');
    expect((error as Error).message).toContain(join(dir, 'model.json'));
    const model = await loadModel(dir, { verifyChecksum: false });
    expect(model.checksum).toBe('mismatch');
    expect(model.warnings).toHaveLength(1);
    await model.close();
  });

  it('reports a missing meta and a refused model file together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-model-empty-'));
    appendFileSync(join(dir, 'model.h5'), 'x');
    const error = (await loadModel(dir).catch((e: unknown) => e)) as ModelLoadErrors;
    expect(error.problems.map((p) => p.code)).toEqual(['UNSUPPORTED_FORMAT', 'META_INVALID']);
    expect(error.lines()[1]).toContain(join(dir, 'model_meta.json'));
  });
});
