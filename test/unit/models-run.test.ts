import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type LiveTradingConfig } from '../../src/config/schema.ts';
import { ModelLoadErrors } from '../../src/models/artifacts.ts';
import { closeRuntimes, loadRun, mapTargets, type LoadRunOptions, type LoadedRun } from '../../src/models/run.ts';
import { RUN_FEATURES, familyDir, goodRunSpec, writeRun, type FamilySpec } from '../fixtures/runs/make-runs.ts';

const LGBM: FamilySpec = { target: 'fwd_ret_5m', family: 'LightGBM', fixture: 'lgbm_regression' };
const XGB: FamilySpec = { target: 'fwd_ret_5m', family: 'XGBoost', fixture: 'xgb_regression' };

function options(change: (c: LiveTradingConfig) => void = () => {}, extra: Partial<LoadRunOptions> = {}): LoadRunOptions {
  const config = defaultConfig();
  change(config);
  return { config, barMinutes: 1, ...extra };
}

const runOf = (models: FamilySpec[]): string => writeRun(mkdtempSync(join(tmpdir(), 'lt-run-')), { models });

async function load(root: string, opts: LoadRunOptions = options()): Promise<LoadedRun> {
  const run = await loadRun(root, opts);
  await closeRuntimes(run.models);
  return run;
}

async function loadError(root: string, opts: LoadRunOptions = options()): Promise<ModelLoadErrors> {
  try {
    await load(root, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelLoadErrors);
    return error as ModelLoadErrors;
  }
  throw new Error('expected loadRun to fail');
}

const metaPath = (root: string, spec: FamilySpec): string => join(familyDir(root, spec), 'model_meta.json');

describe('loadRun on a good run', () => {
  it('loads every model into slots ordered by horizon, family and role', async () => {
    const run = await load(writeRun(mkdtempSync(join(tmpdir(), 'lt-run-')), goodRunSpec()));
    expect(run.slots.map((s) => s.key)).toEqual([
      '5m|LightGBM|alpha', '5m|LightGBM|peak', '5m|Ridge|alpha', '5m|XGBoost|alpha', '5m|XGBoost|valley', '15m|LightGBM|alpha', '60m|LSTM|alpha',
    ]);
    expect(run.models).toHaveLength(8);
    expect(run.warnings).toEqual([]);
    expect(run.featureNames).toEqual(RUN_FEATURES);
    const lstm = run.models.find((m) => m.family === 'LSTM');
    expect(lstm?.inputMode).toBe('raw_sequence');
    expect(lstm?.sequence).toEqual({ length: 5, channels: ['open', 'high', 'low', 'close'], normalization: 'returns' });
    expect(lstm?.featureNames).toEqual([]);
    const peak = run.slots.find((s) => s.role === 'peak');
    expect(peak).toEqual({ key: '5m|LightGBM|peak', horizon: '5m', family: 'LightGBM', role: 'peak', target: 'will_peak_5m', icPrior: 0.05, crossSectional: false });
  });

  it('takes the feature order from the model file when it carries names, else meta.features', async () => {
    const reversed = [...RUN_FEATURES].reverse();
    const root = runOf([{ ...LGBM, meta: { features: reversed } }, { ...LGBM, family: 'Ridge', fixture: 'onnx_linear_double', meta: { features: reversed } }]);
    const run = await load(root);
    expect(run.models.find((m) => m.family === 'LightGBM')?.featureNames).toEqual(RUN_FEATURES);
    expect(run.models.find((m) => m.family === 'Ridge')?.featureNames).toEqual(reversed);
  });

  it('uses metrics.mean_IC as the IC prior, else confidence.ic_default with a warning', async () => {
    const root = runOf([LGBM, { ...XGB, meta: { metrics: { mean_IC: null, mean_RankIC: null, IC_IR: null } } }]);
    const run = await load(root, options((c) => (c.confidence.ic_default = 0.03)));
    expect(run.models.map((m) => [m.family, m.icPrior])).toEqual([['LightGBM', 0.05], ['XGBoost', 0.03]]);
    expect(run.warnings).toEqual([`${metaPath(root, XGB)}: metrics.mean_IC is null; IC prior = confidence.ic_default 0.03`]);
  });

  it('marks cross-sectional ranking models', async () => {
    const run = await load(runOf([{ ...LGBM, meta: { cross_sectional_ranking: { enabled: true, method: 'rank' } } }]));
    expect(run.slots[0].crossSectional).toBe(true);
  });
});

describe('checksums', () => {
  it('refuses a tampered model file, naming it and both hashes', async () => {
    const root = runOf([LGBM]);
    const file = join(familyDir(root, LGBM), 'model.txt');
    const expected = JSON.parse(readFileSync(metaPath(root, LGBM), 'utf8')).model_checksum as string;
    appendFileSync(file, '\n# tampered\n');
    const error = await loadError(root);
    expect(error.problems.map((p) => p.code)).toEqual(['CHECKSUM_MISMATCH']);
    expect(error.problems[0].message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: SHA-256 [0-9a-f]{64} does not match model_checksum ${expected}`));
  });

  it('loads a tampered file with a warning when verify_checksums is false', async () => {
    const root = runOf([LGBM]);
    appendFileSync(join(familyDir(root, LGBM), 'model.txt'), '\n');
    const run = await load(root, options((c) => (c.models.verify_checksums = false)));
    expect(run.models).toHaveLength(1);
    expect(run.warnings[0]).toContain('loaded anyway: models.verify_checksums is false');
  });

  it('warns about a null checksum', async () => {
    const root = runOf([{ ...LGBM, meta: { model_checksum: null } }]);
    const run = await load(root);
    expect(run.warnings).toEqual([`${join(familyDir(root, LGBM), 'model.txt')}: model_checksum is null in ${metaPath(root, LGBM)}; the file cannot be verified`]);
  });
});

describe('feature and interval checks', () => {
  it('lists unknown feature names', async () => {
    const features = [...RUN_FEATURES.slice(0, 18), 'order_flow_imbalance', 'vwap_dev'];
    const root = runOf([{ ...LGBM, features }]);
    const error = await loadError(root);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0].code).toBe('UNKNOWN_FEATURE');
    expect(error.problems[0].message).toContain(`${metaPath(root, LGBM)}: unknown feature name(s): order_flow_imbalance, vwap_dev`);
  });

  it('refuses meta feature names that differ from the names in the model file', async () => {
    const other = [...RUN_FEATURES.slice(0, 19), 'high_low_range'];
    const root = runOf([{ ...LGBM, meta: { features: other, feature_list: [...other].sort() } }]);
    const error = await loadError(root);
    expect(error.problems.map((p) => p.code)).toEqual(['FEATURE_MISMATCH', 'FEATURE_MISMATCH']);
    expect(error.problems[0].message).toContain('only in the first: macd_hist; only in the second: high_low_range');
  });

  it('refuses a feature count that differs between meta and file', async () => {
    const root = runOf([{ ...LGBM, fixture: 'onnx_linear_double', meta: { features: RUN_FEATURES.slice(0, 19), feature_list: [...RUN_FEATURES.slice(0, 19)].sort(), n_features: 19 } }]);
    const messages = (await loadError(root)).lines();
    expect(messages.some((m) => m.includes('the model takes 20 features but the feature order has 19 names'))).toBe(true);
    expect(messages.some((m) => m.includes('n_features is 19 but the model takes 20 features'))).toBe(true);
  });

  it('refuses an interval mismatch, saying both intervals', async () => {
    const root = runOf([{ ...LGBM, meta: { interval_minutes: 5 } }]);
    const error = await loadError(root);
    expect(error.problems[0].code).toBe('INTERVAL_MISMATCH');
    expect(error.problems[0].message).toBe(`${metaPath(root, LGBM)}: trained on 5-minute bars (interval_minutes 5) but the data is 1-minute bars`);
  });

  it('allows the mismatch with a warning when allow_interval_mismatch is set', async () => {
    const run = await load(runOf([{ ...LGBM, meta: { interval_minutes: 5 } }]), options((c) => (c.models.allow_interval_mismatch = true)));
    expect(run.models).toHaveLength(1);
    expect(run.warnings[0]).toContain('(allowed by models.allow_interval_mismatch)');
  });

  it('treats daily data (390 trading minutes) as the 1440 daily interval of TRAINING', async () => {
    const root = runOf([{ ...LGBM, target: 'fwd_ret_1d', meta: { interval_minutes: 1440 } }]);
    expect((await load(root, options(() => {}, { barMinutes: 390 }))).slots[0].horizon).toBe('1d');
  });

  it('requires the window spec of a raw_sequence model', async () => {
    const spec: FamilySpec = { target: 'fwd_ret_60m', family: 'LSTM', fixture: 'onnx_sequence', meta: { sequence_normalization: undefined, sequence_channels: ['open', 'high', 'low', 'vwap'] } };
    const lines = (await loadError(runOf([spec]))).lines();
    expect(lines.some((l) => l.includes("unknown sequence channel 'vwap'"))).toBe(true);
    expect(lines.some((l) => l.includes('sequence_normalization is required'))).toBe(true);
  });
});

describe('horizon -> target mapping', () => {
  const horizons = ['5m', '10m', '15m', '30m', '60m', '1d'];

  it('maps by the _<horizon> suffix, in minutes, and barrier targets to peak/valley roles', () => {
    const { assignments, problems, warnings } = mapTargets(['fwd_ret_5m', 'ret_15m', 'fwd_ret_1h', 'will_peak_5m', 'will_valley_15m', 'vol_regime'], horizons, {});
    expect(problems).toEqual([]);
    expect(Object.fromEntries(assignments)).toEqual({
      fwd_ret_5m: [{ horizon: '5m', role: 'alpha' }],
      ret_15m: [{ horizon: '15m', role: 'alpha' }],
      fwd_ret_1h: [{ horizon: '60m', role: 'alpha' }],
      will_peak_5m: [{ horizon: '5m', role: 'peak' }],
      will_valley_15m: [{ horizon: '15m', role: 'valley' }],
    });
    expect(warnings).toEqual(['target vol_regime serves no configured horizon (5m, 10m, 15m, 30m, 60m, 1d); its models are checked but not used']);
  });

  it('an explicit models.targets entry wins over the suffix', () => {
    const { assignments } = mapTargets(['fwd_ret_5m', 'alpha_short'], horizons, { '5m': 'alpha_short' });
    expect(assignments.get('alpha_short')).toEqual([{ horizon: '5m', role: 'alpha' }]);
    expect(assignments.has('fwd_ret_5m')).toBe(false);
  });

  it('reports an explicit target the run lacks and two targets for one horizon', () => {
    const { problems } = mapTargets(['fwd_ret_5m', 'ret_5m'], horizons, { '15m': 'fwd_ret_15m' });
    expect(problems).toEqual([
      "horizon 5m: several targets match (fwd_ret_5m, ret_5m); choose one with models.targets.5m",
      "models.targets.15m is 'fwd_ret_15m' but the run has no such target (targets: fwd_ret_5m, ret_5m)",
    ]);
  });

  it('does not predict horizons that are not configured', async () => {
    const run = await load(runOf([LGBM, { ...LGBM, target: 'fwd_ret_15m' }]), options((c) => (c.horizons = ['15m'])));
    expect(run.slots.map((s) => s.key)).toEqual(['15m|LightGBM|alpha']);
    expect(run.warnings).toEqual(['target fwd_ret_5m serves no configured horizon (15m); its models are checked but not used']);
  });

  it('loads the explicitly mapped target through loadRun', async () => {
    const run = await load(runOf([{ ...LGBM, target: 'excess_ret' }]), options((c) => (c.models.targets = { '10m': 'excess_ret' })));
    expect(run.slots.map((s) => [s.key, s.target])).toEqual([['10m|LightGBM|alpha', 'excess_ret']]);
  });
});

describe('SYMBOL_SPECIFIC scoping', () => {
  const cs: FamilySpec = { ...LGBM, target: 'fwd_ret_15m', fixture: 'lgbm_random_forest' };
  const aapl: FamilySpec = { ...LGBM, target: 'fwd_ret_15m', view: 'SYMBOL_SPECIFIC', symbol: 'AAPL', symbolDir: true };
  const msft: FamilySpec = { ...LGBM, target: 'fwd_ret_15m', fixture: 'lgbm_zero_as_missing', view: 'SYMBOL_SPECIFIC', symbol: 'MSFT', symbolDir: true };

  it('keeps one slot served by the CROSS_SECTIONAL model and per-symbol models, CS first', async () => {
    const run = await load(runOf([cs, aapl, msft]));
    expect(run.slots).toHaveLength(1);
    expect(run.models.map((m) => [m.slot.key, m.view, m.symbol])).toEqual([
      ['15m|LightGBM|alpha', 'CROSS_SECTIONAL', null],
      ['15m|LightGBM|alpha', 'SYMBOL_SPECIFIC', 'AAPL'],
      ['15m|LightGBM|alpha', 'SYMBOL_SPECIFIC', 'MSFT'],
    ]);
  });

  it('does not load models of symbols that are not traded', async () => {
    const run = await load(runOf([cs, aapl, msft]), options(() => {}, { symbols: ['SPY', 'MSFT'] }));
    expect(run.models.map((m) => m.symbol)).toEqual([null, 'MSFT']);
    expect(run.warnings).toEqual([`${familyDir(run.runRoot, aapl)}: SYMBOL_SPECIFIC model for AAPL, which is not traded; not loaded`]);
  });

  it('refuses two models answering the same slot for the same symbol', async () => {
    const flat: FamilySpec = { ...aapl, symbolDir: false, fixture: 'lgbm_zero_as_missing' };
    const error = await loadError(runOf([aapl, flat]));
    expect(error.problems.map((p) => p.code)).toEqual(['SLOT_CONFLICT']);
  });
});

describe('several problems at once', () => {
  it('reports every problem of the run in one error, one line each, each naming its file', async () => {
    const root = runOf([
      { ...LGBM, meta: { interval_minutes: 5 } },
      { ...XGB, features: [...RUN_FEATURES.slice(0, 19), 'mystery'] },
      { ...LGBM, family: 'Ridge', fixture: 'onnx_linear_double', meta: { metrics: { mean_IC: 'high', mean_RankIC: 0.1, IC_IR: 1 } } },
      { ...LGBM, target: 'will_peak_5m', fixture: 'lgbm_binary_categorical' },
    ]);
    appendFileSync(join(familyDir(root, { ...LGBM, target: 'will_peak_5m' }), 'model.txt'), 'x');
    const error = await loadError(root);
    const lines = error.lines();
    expect(error.problems.map((p) => p.code).sort()).toEqual(['CHECKSUM_MISMATCH', 'INTERVAL_MISMATCH', 'META_INVALID', 'UNKNOWN_FEATURE']);
    expect(lines).toHaveLength(4);
    expect(error.message.split('\n')).toHaveLength(5);
    for (const line of lines) expect(line.startsWith(root)).toBe(true);
  });
});
