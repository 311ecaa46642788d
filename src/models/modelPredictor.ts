/**
 * The predictor for real training runs: per-symbol incremental features (SPEC 5) in each
 * model's feature order, raw-sequence windows normalised against their own first bar, and
 * batched inference: one `predict` call per model per cycle over every symbol's row.
 *
 * Cross-sectional ranking models are ranked here, in the batched step that sees every symbol's
 * raw output at once (average ranks for ties, pct = (rank - 0.5)/N, signal clip(Phi^-1(pct), -3,
 * 3), >= 5 symbols), and the signal replaces z for those models in the symbol actors. The SPEC puts
 * ranking in the supervisor; doing it before dispatch uses the same numbers of the same cycle and
 * saves a round trip through the supervisor (documented in docs/architecture.md).
 */
import type { Bar } from '../core/types.ts';
import { createFeatureState, featureRow, pushBar, sequenceWindow, type FeatureRow, type FeatureState } from '../features/index.ts';
import { featureLookback } from '../features/definitions.ts';
import { ranks } from '../pipeline/stats.ts';
import type { ModelSlot, Predictor, PredictorBatchInput, SymbolPrediction, BarColumns } from '../engine/predictor.ts';
import type { LoadedModel, LoadedRun } from './run.ts';

export const MIN_RANK_SYMBOLS = 5;

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** clip(Phi^-1((rank - 0.5)/N), -3, 3) with average ranks; null when fewer than 5 values. */
export function rankSignals(values: readonly number[]): number[] | null {
  if (values.length < MIN_RANK_SYMBOLS) return null;
  const r = ranks(values);
  return r.map((rank) => Math.max(-3, Math.min(3, inverseNormal((rank - 0.5) / values.length))));
}

function barsOf(columns: BarColumns, symbol: string): Bar[] {
  return columns.ts.map((ts, i) => ({ symbol, ts, open: columns.open[i], high: columns.high[i], low: columns.low[i], close: columns.close[i], volume: columns.volume[i] }));
}

export interface ModelPredictorOptions {
  symbols: readonly string[];
  /** Feature states from a snapshot (see toJSON). */
  restore?: Record<string, FeatureState>;
}

export class ModelPredictor implements Predictor {
  readonly slots: readonly ModelSlot[];
  readonly lookbackBars: number;
  private readonly run: LoadedRun;
  private readonly features: Record<string, FeatureState> = {};
  /** Per tabular model: its features' positions in run.featureNames; null when it takes exactly that list. */
  private readonly columns = new Map<LoadedModel, number[] | null>();
  /** `${symbol}\0${slot key}` of every SYMBOL_SPECIFIC model. */
  private readonly symbolModels: Set<string>;

  constructor(run: LoadedRun, options: ModelPredictorOptions) {
    this.run = run;
    this.slots = run.slots;
    const position = new Map(run.featureNames.map((name, i) => [name, i]));
    for (const model of run.models) {
      const same = model.featureNames.length === run.featureNames.length && model.featureNames.every((name, i) => name === run.featureNames[i]);
      // A name outside the union (never, for a loaded run) leaves the model on its own featureRow call.
      if (same) this.columns.set(model, null);
      else if (model.featureNames.every((name) => position.has(name))) this.columns.set(model, model.featureNames.map((name) => position.get(name)!));
    }
    this.symbolModels = new Set(run.models.filter((m) => m.symbol !== null).map((m) => `${m.symbol}\0${m.slot.key}`));
    const featureBars = run.featureNames.reduce((most, name) => Math.max(most, featureLookback(name)), 1);
    const sequenceBars = run.models.reduce((most, m) => Math.max(most, m.sequence?.length ?? 0), 0);
    this.lookbackBars = Math.max(featureBars, sequenceBars) + 1;
    for (const symbol of options.symbols) {
      this.features[symbol] = options.restore?.[symbol] ?? createFeatureState(run.featureNames.length > 0 ? run.featureNames : ['ret_1d']);
    }
  }

  /** Plain JSON: the per-symbol feature states (persisted in the snapshot document). */
  toJSON(): Record<string, FeatureState> {
    return this.features;
  }

  async predict(batch: PredictorBatchInput): Promise<Map<string, SymbolPrediction>> {
    const outputs = new Map<string, Record<string, number | null>>();
    const errors = new Map<string, string>();
    const columns = new Map<string, BarColumns>();
    for (const input of batch.symbols) {
      outputs.set(input.symbol, Object.fromEntries(this.slots.map((s) => [s.key, null])));
      try {
        this.catchUp(input.symbol, input.bars);
      } catch (error) {
        errors.set(input.symbol, `features: ${error instanceof Error ? error.message : String(error)}`);
      }
      columns.set(input.symbol, input.bars);
    }
    // Bars as objects only for raw-sequence models, once per symbol and cycle.
    const bars = new Map<string, Bar[]>();
    const barsOfSymbol = (symbol: string): Bar[] => bars.get(symbol) ?? bars.set(symbol, barsOf(columns.get(symbol)!, symbol)).get(symbol)!;
    // Every symbol's feature values once per cycle (the union of the models' features); each model
    // takes its columns from them. featureRow is a pure function of the state, so this changes no value.
    const union = new Map<string, FeatureRow | null>();
    const rowFor = (model: LoadedModel, symbol: string): FeatureRow => {
      const positions = this.columns.get(model);
      let all = positions === undefined ? null : union.get(symbol);
      if (all === undefined) {
        try {
          all = featureRow(this.features[symbol], this.run.featureNames);
        } catch {
          all = null; // the model's own call below raises the error exactly as before
        }
        union.set(symbol, all);
      }
      if (all === null || positions === undefined) return featureRow(this.features[symbol], model.featureNames);
      if (positions === null) return all;
      const values = positions.map((i) => all.values[i]);
      return { ready: values.every((v) => v !== null), values, missing: model.featureNames.filter((_, k) => values[k] === null) };
    };
    const symbols = batch.symbols.map((s) => s.symbol).filter((s) => !errors.has(s));
    const crossSectional = new Map<string, Record<string, number>>();
    for (const model of this.run.models) {
      const eligible = symbols.filter((s) => (model.symbol === null ? !this.symbolModels.has(`${s}\0${model.slot.key}`) : model.symbol === s));
      const rows: number[][] = [];
      const who: string[] = [];
      const windows: Float32Array[] = [];
      for (const symbol of eligible) {
        if (model.inputMode === 'raw_sequence' && model.sequence) {
          const window = sequenceWindow(barsOfSymbol(symbol), model.sequence.length, model.sequence.channels, model.sequence.normalization);
          if (window) {
            windows.push(window);
            who.push(symbol);
          }
        } else {
          const row = rowFor(model, symbol);
          if (row.ready) {
            rows.push(row.values as number[]);
            who.push(symbol);
          }
        }
      }
      if (who.length === 0) continue;
      let raw: Float64Array | number[];
      try {
        raw = await this.infer(model, rows, windows);
      } catch (error) {
        // A model error is an error for that model this cycle: non-finite outputs mark it.
        raw = who.map(() => Number.NaN);
        for (const symbol of who) errors.set(symbol, `${model.file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      who.forEach((symbol, i) => (outputs.get(symbol)![model.slot.key] = raw[i]));
      if (model.crossSectional) {
        const finite = who.map((s, i) => [s, raw[i]] as const).filter(([, v]) => Number.isFinite(v));
        const signals = rankSignals(finite.map(([, v]) => v));
        if (signals) finite.forEach(([s], i) => ((crossSectional.get(s) ?? crossSectional.set(s, {}).get(s)!)[model.slot.key] = signals[i]));
      }
    }
    const result = new Map<string, SymbolPrediction>();
    for (const input of batch.symbols) {
      const error = errors.get(input.symbol);
      if (error) result.set(input.symbol, { ok: false, error });
      else result.set(input.symbol, { ok: true, outputs: outputs.get(input.symbol)!, crossSectional: crossSectional.get(input.symbol) });
    }
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(this.run.models.map((m) => m.runtime.close()));
  }

  /** Push the bars this symbol's feature state has not seen yet (incremental, exact MACD). */
  private catchUp(symbol: string, columns: BarColumns): void {
    const state = this.features[symbol];
    const last = state.lastTs ?? Number.NEGATIVE_INFINITY;
    for (let i = 0; i < columns.ts.length; i++) {
      if (columns.ts[i] <= last) continue;
      pushBar(state, { symbol, ts: columns.ts[i], open: columns.open[i], high: columns.high[i], low: columns.low[i], close: columns.close[i], volume: columns.volume[i] });
    }
  }

  private async infer(model: LoadedModel, rows: number[][], windows: Float32Array[]): Promise<Float64Array | number[]> {
    if (model.inputMode === 'raw_sequence' && model.sequence && model.runtime.predictSequence) {
      const T = model.sequence.length;
      const C = model.sequence.channels.length;
      const flat = new Float32Array(windows.length * T * C);
      windows.forEach((w, i) => flat.set(w, i * T * C));
      return model.runtime.predictSequence(flat, windows.length, T, C);
    }
    return model.runtime.predict(rows);
  }
}
