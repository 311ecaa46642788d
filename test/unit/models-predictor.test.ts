import { describe, expect, it } from 'vitest';
import type { BarColumns, ModelSlot } from '../../src/engine/predictor.ts';
import { createFeatureState, featureRow, pushBar } from '../../src/features/index.ts';
import { ModelPredictor } from '../../src/models/modelPredictor.ts';
import type { ModelRuntime } from '../../src/models/runtime.ts';
import type { LoadedModel, LoadedRun } from '../../src/models/run.ts';

// ModelPredictor computes each symbol's features once per cycle and hands every model its own
// columns; the rows a model receives must be exactly featureRow(state, model.featureNames).

const UNION = ['ret_1d', 'ret_5d', 'vol_5d', 'rsi_7', 'ma_ratio_10', 'mom_5d'];

/** A runtime that records the rows of each call and answers sum(row) + bias. */
function recorder(bias: number): ModelRuntime & { calls: number[][][] } {
  const calls: number[][][] = [];
  return {
    calls, format: 'onnx', featureNames: null, nFeatures: 0, inputKind: 'tabular', outputKind: 'regression', sequenceLength: null,
    async predict(rows) {
      const copy = (rows as number[][]).map((r) => [...r]);
      calls.push(copy);
      return Float64Array.from(copy, (r) => r.reduce((a, b) => a + b, 0) + bias);
    },
    async close() {},
  };
}

function model(key: string, featureNames: string[], symbol: string | null, bias: number): LoadedModel {
  const [horizon, family] = key.split('|');
  const slot: ModelSlot = { key, horizon, family, role: 'alpha', target: `fwd_ret_${horizon}`, icPrior: 0.05, crossSectional: false };
  return {
    slot, family, target: slot.target, horizon, role: 'alpha', view: symbol === null ? 'CROSS_SECTIONAL' : 'SYMBOL_SPECIFIC', symbol,
    runtime: recorder(bias), featureNames, inputMode: 'features', crossSectional: false, icPrior: 0.05,
    meta: {} as LoadedModel['meta'], file: `${key}.onnx`,
  };
}

/** n minute bars of a deterministic zig-zag walk, different per symbol. */
function bars(seed: number, n: number): BarColumns {
  const close = Array.from({ length: n }, (_, i) => 100 + seed + Math.sin(i * (0.7 + seed / 10)) * 3 + i * 0.05);
  return {
    ts: close.map((_, i) => 60_000 * (i + 1)),
    open: close.map((c) => c * 0.999),
    high: close.map((c) => c * 1.004),
    low: close.map((c) => c * 0.995),
    close,
    volume: close.map((_, i) => 1000 + ((i * 37 + seed * 11) % 200)),
  };
}

describe('ModelPredictor feature rows', () => {
  it('gives each model exactly featureRow(state, its features): same list, reordered subset, symbol-specific', async () => {
    const models = [
      model('5m|LightGBM|alpha', [...UNION], null, 0), // the union itself
      model('5m|XGBoost|alpha', ['mom_5d', 'ret_1d', 'rsi_7'], null, 1), // a reordered subset
      model('5m|XGBoost|alpha', ['vol_5d', 'ret_5d'], 'BBB', 2), // BBB's own model for that slot
    ];
    const run: LoadedRun = { runRoot: '', manifest: null, models, slots: [models[0].slot, models[1].slot], featureNames: UNION, warnings: [] };
    const symbols = ['AAA', 'BBB', 'CCC'];
    const predictor = new ModelPredictor(run, { symbols });
    const reference = Object.fromEntries(symbols.map((s) => [s, createFeatureState(UNION)]));
    for (const n of [3, 9, 12]) { // 3 bars: nothing ready; later every feature is
      const batch = symbols.map((symbol, i) => ({ symbol, bars: bars(i, n), barCount: n }));
      for (const m of models) (m.runtime as ReturnType<typeof recorder>).calls.length = 0;
      const out = await predictor.predict({ cycle: n, ts: 60_000 * n, symbols: batch });
      for (const { symbol, bars: b } of batch) {
        const state = reference[symbol];
        for (let i = 0; i < b.ts.length; i++) {
          if (state.lastTs !== null && b.ts[i] <= state.lastTs) continue;
          pushBar(state, { symbol, ts: b.ts[i], open: b.open[i], high: b.high[i], low: b.low[i], close: b.close[i], volume: b.volume[i] });
        }
      }
      models.forEach((m, k) => {
        const eligible = m.symbol !== null ? [m.symbol] : k === 1 ? ['AAA', 'CCC'] : symbols;
        const expected = eligible.map((s) => featureRow(reference[s], m.featureNames)).filter((r) => r.ready).map((r) => r.values);
        const calls = (m.runtime as ReturnType<typeof recorder>).calls;
        expect(calls.length).toBe(expected.length > 0 ? 1 : 0);
        expect(calls.length).toBe(n === 3 ? 0 : n === 12 ? 1 : calls.length); // 3 bars: none ready; 12: all
        if (expected.length > 0) expect(calls[0]).toEqual(expected);
      });
      for (const symbol of symbols) {
        const prediction = out.get(symbol)!;
        expect(prediction.ok).toBe(true);
        if (!prediction.ok) continue;
        const own = symbol === 'BBB' ? 2 : 1;
        const xgb = models[own];
        const row = featureRow(reference[symbol], xgb.featureNames);
        expect(prediction.outputs['5m|XGBoost|alpha']).toBe(row.ready ? (row.values as number[]).reduce((a, b) => a + b, 0) + own : null);
      }
    }
  });
});
