import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/core/errors.ts';
import { pythonJsonToJson, readManifest, readModelMeta } from '../../src/models/meta.ts';

const GOOD_META = {
  family: 'LightGBM',
  target: 'fwd_ret_5m',
  feature_list: ['ret_1d', 'rsi_14', 'vol_20d'],
  n_features: 3,
  metrics: { mean_IC: 0.05, mean_RankIC: 0.04, IC_IR: 0.6 },
  model_checksum: 'a'.repeat(64),
  interval_minutes: 5,
};

function writeMeta(content: unknown, raw = false): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lt-meta-')), 'model_meta.json');
  writeFileSync(file, raw ? String(content) : JSON.stringify(content));
  return file;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelLoadError);
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('model_meta.json schema', () => {
  it('accepts the required fields and keeps fields TRAINING adds', () => {
    const meta = readModelMeta(writeMeta({ ...GOOD_META, trained_at: '2024-01-02', metrics: { ...GOOD_META.metrics, sharpe: 1.2 } }));
    expect(meta.family).toBe('LightGBM');
    expect(meta.metrics.mean_IC).toBe(0.05);
    expect((meta as Record<string, unknown>).trained_at).toBe('2024-01-02');
    expect((meta.metrics as Record<string, unknown>).sharpe).toBe(1.2);
  });

  it('names the file and the field of a wrongly typed value', () => {
    const file = writeMeta({ ...GOOD_META, metrics: { ...GOOD_META.metrics, mean_IC: '0.05' } });
    expect(messageOf(() => readModelMeta(file))).toBe(`${file}: metrics.mean_IC: expected number, got string`);
  });

  it('lists every missing required field, each on its own line', () => {
    const { interval_minutes: _i, model_checksum: _c, ...rest } = GOOD_META;
    const file = writeMeta(rest);
    const lines = messageOf(() => readModelMeta(file)).split('\n');
    expect(lines).toEqual([`${file}: model_checksum: required field is missing`, `${file}: interval_minutes: required field is missing`]);
  });

  it('rejects a checksum that is not SHA-256 hex and an unknown input_mode', () => {
    const file = writeMeta({ ...GOOD_META, model_checksum: 'abc', input_mode: 'pixels' });
    const message = messageOf(() => readModelMeta(file));
    expect(message).toContain(`${file}: model_checksum: must be a SHA-256 hex digest`);
    expect(message).toContain(`${file}: input_mode: expected one of "features" | "raw_sequence", got "pixels"`);
  });

  it('accepts a null checksum and null optional fields (Python None)', () => {
    const meta = readModelMeta(writeMeta({ ...GOOD_META, model_checksum: null, symbol: null, features: null }));
    expect(meta.model_checksum).toBeNull();
    expect(meta.features).toBeNull();
  });

  it('reads the NaN Python writes for an undefined metric as null', () => {
    const text = JSON.stringify(GOOD_META).replace('0.6', 'NaN');
    expect(readModelMeta(writeMeta(text, true)).metrics.IC_IR).toBeNull();
  });

  it('reports feature_list and features that disagree, and n_features that does not count them', () => {
    const file = writeMeta({ ...GOOD_META, n_features: 4, features: ['ret_1d', 'rsi_14', 'macd'] });
    const message = messageOf(() => readModelMeta(file));
    expect(message).toContain(`${file}: features (3 names) and feature_list (3 names) differ: only in the first: macd; only in the second: vol_20d`);
    expect(message).toContain(`${file}: n_features is 4 but feature_list has 3 names`);
  });

  it('says which file is not JSON', () => {
    const file = writeMeta('{"family": ', true);
    expect(messageOf(() => readModelMeta(file))).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON`));
  });
});

describe('pythonJsonToJson', () => {
  it('turns bare NaN and +-Infinity into null but leaves strings alone', () => {
    const text = '{"a": NaN, "b": -Infinity, "c": [Infinity, 1], "s": "NaN \\" Infinity"}';
    expect(JSON.parse(pythonJsonToJson(text))).toEqual({ a: null, b: null, c: [null, 1], s: 'NaN " Infinity' });
  });
});

describe('manifest.json schema', () => {
  it('names the field of a broken target_index entry', () => {
    const file = writeMeta({ run_id: 'r1', timestamp: '20240101', target_index: { fwd_ret_5m: { status: 'completed', families_trained: 'LightGBM', view: 'CROSS_SECTIONAL' } } });
    expect(messageOf(() => readManifest(file))).toBe(`${file}: target_index.fwd_ret_5m.families_trained: expected array, got string`);
  });
});
