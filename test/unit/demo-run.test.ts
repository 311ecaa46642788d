import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/core/types.ts';
import { FEATURE_NAMES, buildFeatures, featureMinBars } from '../../src/features/index.ts';
import { ReplaySource } from '../../src/market/replay.ts';
import { openRuntime } from '../../src/models/runtime.ts';

// The bundled demo training run (examples/run, made by scripts/demo-run/make-demo-run.sh):
// SPEC 6.1 layout, SPEC 6.2 model_meta.json, and every model loads in the engine's runtimes and
// predicts what its training library predicted (examples/run/parity.json) on feature rows that
// buildFeatures computes here from the bundled minute data.

const RUN_DIR = 'examples/run';
const DATA_DIR = 'examples/data/equity/usa';
const RETURN_TARGETS = ['fwd_ret_5m', 'fwd_ret_15m', 'fwd_ret_30m', 'fwd_ret_60m'];
const BARRIER_TARGETS = ['will_peak_5m', 'will_valley_5m', 'will_peak_15m', 'will_valley_15m'];
const MODEL_FILE: Record<string, string> = { LightGBM: 'model.txt', XGBoost: 'model.json', MLP: 'model.onnx' };

interface ModelMeta {
  family: string;
  target: string;
  feature_list: string[];
  features: string[];
  n_features: number;
  metrics: Record<string, number>;
  model_checksum: string | null;
  interval_minutes: number;
  input_mode: string;
  view: string;
}

interface Parity {
  run_root: string;
  features: string[];
  rows: { symbol: string; ts: number; values: number[] }[];
  predictions: Record<string, number[]>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const subdirs = (dir: string): string[] => readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory()).sort();

const timestamps = subdirs(join(RUN_DIR, 'runs', 'demo'));
const runRoot = join(RUN_DIR, 'runs', 'demo', timestamps[timestamps.length - 1]);
const manifest = readJson<{ run_id: string; timestamp: string; target_index: Record<string, { status: string; families_trained: string[]; view: string }> }>(
  join(runRoot, 'manifest.json'),
);
const modelDir = (target: string, family: string) => join(runRoot, 'targets', target, 'models', 'view=CROSS_SECTIONAL', `family=${family}`);
const models = Object.entries(manifest.target_index).flatMap(([target, entry]) => entry.families_trained.map((family) => ({ target, family })));
const parity = readJson<Parity>(join(RUN_DIR, 'parity.json'));

/** Bars per symbol from the first training day through the last replay day, as the engine replays them. */
function barsBySymbol(): Map<string, Bar[]> {
  const source = new ReplaySource({ dataDir: DATA_DIR, symbols: ['SPY', 'AIG', 'BAC', 'IBM'], start: '2013-10-04', end: '2013-10-09' });
  const bars = new Map<string, Bar[]>();
  source.stream().subscribe((slice) => {
    for (const bar of slice.bars) bars.set(bar.symbol, [...(bars.get(bar.symbol) ?? []), bar]);
  });
  return bars;
}

function totalBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => {
    const path = join(dir, name);
    return sum + (statSync(path).isDirectory() ? totalBytes(path) : statSync(path).size);
  }, 0);
}

// 1e-6 relative with no absolute floor: return predictions are as small as 1e-6.
const withinTolerance = (actual: number, expected: number): boolean =>
  expected === 0 ? actual === 0 : Math.abs(actual - expected) / Math.abs(expected) < 1e-6;

describe('demo run layout (SPEC 6.1)', () => {
  it('has one run root runs/demo/<timestamp> whose manifest names run_id demo and that timestamp', () => {
    expect(timestamps).toEqual(['20131007T200000Z']);
    expect(manifest.run_id).toBe('demo');
    expect(manifest.timestamp).toBe('20131007T200000Z');
    expect(parity.run_root).toBe('runs/demo/20131007T200000Z');
  });

  it('indexes the four return targets with LightGBM, XGBoost and MLP and the four barrier targets (5m, 15m) with LightGBM', () => {
    expect(Object.keys(manifest.target_index).sort()).toEqual([...RETURN_TARGETS, ...BARRIER_TARGETS].sort());
    for (const target of RETURN_TARGETS) {
      expect(manifest.target_index[target]).toEqual({ status: 'ok', families_trained: ['LightGBM', 'XGBoost', 'MLP'], view: 'CROSS_SECTIONAL' });
    }
    for (const target of BARRIER_TARGETS) {
      expect(manifest.target_index[target]).toEqual({ status: 'ok', families_trained: ['LightGBM'], view: 'CROSS_SECTIONAL' });
    }
  });

  it('holds exactly the indexed targets, views and families on disk, each with model_meta.json and one model file', () => {
    expect(subdirs(join(runRoot, 'targets'))).toEqual(Object.keys(manifest.target_index).sort());
    for (const [target, entry] of Object.entries(manifest.target_index)) {
      expect(subdirs(join(runRoot, 'targets', target, 'models'))).toEqual(['view=CROSS_SECTIONAL']);
      const families = subdirs(join(runRoot, 'targets', target, 'models', 'view=CROSS_SECTIONAL'));
      expect(families).toEqual(entry.families_trained.map((f) => `family=${f}`).sort());
      for (const family of entry.families_trained) {
        expect(readdirSync(modelDir(target, family)).sort()).toEqual([MODEL_FILE[family], 'model_meta.json'].sort());
      }
    }
  });

  it('stays under 2 MB in total', () => {
    expect(totalBytes(RUN_DIR)).toBeLessThan(2 * 1024 * 1024);
  });
});

describe.each(models)('$target / $family model_meta.json (SPEC 6.2)', ({ target, family }) => {
  const meta = readJson<ModelMeta>(join(modelDir(target, family), 'model_meta.json'));

  it('names its family and target, 1-minute bars, tabular features and the cross-sectional view', () => {
    expect(meta.family).toBe(family);
    expect(meta.target).toBe(target);
    expect(meta.interval_minutes).toBe(1);
    expect(meta.input_mode).toBe('features');
    expect(meta.view).toBe('CROSS_SECTIONAL');
  });

  it('lists engine features only: feature_list is the sorted training order, n_features its length', () => {
    expect(meta.features.filter((name) => !FEATURE_NAMES.includes(name))).toEqual([]);
    expect(meta.feature_list).toEqual([...meta.features].sort());
    expect(new Set(meta.features).size).toBe(meta.features.length);
    expect(meta.n_features).toBe(meta.features.length);
    expect(meta.features).toEqual(parity.features);
    expect(Math.max(...meta.features.map(featureMinBars))).toBeLessThanOrEqual(60);
  });

  it('carries finite numeric metrics including mean_IC, mean_RankIC and IC_IR', () => {
    for (const key of ['mean_IC', 'mean_RankIC', 'IC_IR']) expect(Number.isFinite(meta.metrics[key])).toBe(true);
    for (const value of Object.values(meta.metrics)) expect(Number.isFinite(value)).toBe(true);
    expect(Math.abs(meta.metrics.mean_IC)).toBeLessThanOrEqual(1);
  });

  it('has a model_checksum equal to the SHA-256 of its model file', () => {
    const bytes = readFileSync(join(modelDir(target, family), MODEL_FILE[family]));
    expect(meta.model_checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.model_checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('demo models in the engine runtimes', () => {
  const bars = barsBySymbol();
  // Rows at the parity instants (replay days 2013-10-08/09), built here by the batch builder.
  const rows = parity.rows.map(({ symbol, ts }) => {
    const history = bars.get(symbol)!.filter((bar) => bar.ts <= ts);
    expect(history[history.length - 1].ts).toBe(ts);
    const values = buildFeatures(history.slice(-300), parity.features);
    return parity.features.map((name) => values[name] as number);
  });

  it('builds the exported training-time feature rows bit for bit from the bundled replay data', () => {
    expect(parity.rows.length).toBe(16);
    expect(new Set(parity.rows.map((r) => r.symbol))).toEqual(new Set(['SPY', 'AIG', 'BAC', 'IBM']));
    expect(rows).toEqual(parity.rows.map((r) => r.values));
  });

  it.each(models)('$target / $family loads with the meta feature order and predicts what its library predicted', async ({ target, family }) => {
    const meta = readJson<ModelMeta>(join(modelDir(target, family), 'model_meta.json'));
    const runtime = await openRuntime(join(modelDir(target, family), MODEL_FILE[family]));
    try {
      expect(runtime.featureNames).toEqual(meta.features);
      expect(runtime.nFeatures).toBe(meta.n_features);
      expect(runtime.inputKind).toBe('tabular');
      expect(runtime.outputKind).toBe(BARRIER_TARGETS.includes(target) ? 'probability' : 'regression');
      const predictions = [...(await runtime.predict(rows))];
      const expected = parity.predictions[`${target}/${family}`];
      expect(predictions.length).toBe(expected.length);
      for (const p of predictions) expect(Number.isFinite(p)).toBe(true);
      if (BARRIER_TARGETS.includes(target)) for (const p of predictions) expect(p >= 0 && p <= 1).toBe(true);
      else for (const p of predictions) expect(Math.abs(p)).toBeLessThan(0.05); // a decimal return over <= 60 minutes
      const off = predictions.map((p, i) => [i, p, expected[i]]).filter(([, p, e]) => !withinTolerance(p, e));
      expect(off).toEqual([]);
      expect(new Set(predictions).size).toBeGreaterThan(1); // the model reacts to its inputs
    } finally {
      await runtime.close();
    }
  });
});
