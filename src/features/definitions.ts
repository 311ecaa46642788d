/**
 * The 29 indicators of SPEC section 5, float64, values at the newest bar of a SeriesView.
 *
 * Hand-written rather than taken from an indicator library (technicalindicators,
 * trading-signals): those use Wilder-smoothed RSI, SMA-seeded EMAs and population-std
 * Bollinger bands, while the SPEC (and the models trained on it) uses simple-mean RSI, EMAs
 * seeded with the first bar and sample std; we also need state that is plain JSON.
 *
 * Readiness (`minBars`, bars needed before a value exists; one fewer gives null):
 * - ret_k, vol_k, mom_k: k + 1 (k one-bar returns need k + 1 closes).
 * - rsi_p: p, atr_14: 14. The SPEC defines the first bar's d (and TR) itself, so a window that
 *   starts at the first bar of the series is complete; they read p + 1 bars once available.
 * - ma_ratio_k: k; bb_*: 20; volume_ma_ratio: 20; volume_change: 2; high_low_range: 1.
 * - close_to_high/low_52w: 20, over the last min(252, available) closes.
 * - macd, macd_signal, macd_hist: 26 (the slow span). The EMAs run from the first bar of the
 *   series (y_0 = x_0), so the value depends on every bar since then, not only on 26; the
 *   SPEC test vector's macd_signal at 30 bars rules out waiting 26 + 9 - 1 = 34 bars.
 */
import { ModelLoadError } from '../core/errors.ts';
import type { SeriesView } from './series.ts';

export interface FeatureDefinition {
  readonly name: string;
  /** Bars needed before the value exists. */
  readonly minBars: number;
  /** Trailing bars the value reads (>= minBars); MACD also needs the running EMAs. */
  readonly lookback: number;
  /** Value at the newest bar of a view holding >= minBars bars; null when undefined (e.g. no losses). */
  compute(view: SeriesView): number | null;
}

/** mean and sample std (n-1) of get(0..n-1), shifted by get(0) so a constant series gives std 0 exactly. */
export function meanAndStd(get: (k: number) => number, n: number): { mean: number; std: number } {
  const shift = get(0);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += get(k) - shift;
  const mean = shift + sum / n;
  let squares = 0;
  for (let k = 0; k < n; k++) squares += (get(k) - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0 };
}

/** One-bar return j bars back: C_{t-j}/C_{t-j-1} - 1. */
const oneBarReturn = (v: SeriesView) => (j: number) => v.close(j) / v.close(j + 1) - 1;

/** C_t/C_{t-k} - 1 */
function ret(k: number): FeatureDefinition {
  return { name: `ret_${k}d`, minBars: k + 1, lookback: k + 1, compute: (v) => v.close(0) / v.close(k) - 1 };
}

/** sample std of the last k one-bar returns */
function vol(k: number): FeatureDefinition {
  return { name: `vol_${k}d`, minBars: k + 1, lookback: k + 1, compute: (v) => meanAndStd(oneBarReturn(v), k).std };
}

/** RSI = 100 - 100/(1 + mean_p(gain)/mean_p(loss)), d of the first bar = 0; null when mean loss = 0 */
function rsi(p: number): FeatureDefinition {
  return {
    name: `rsi_${p}`,
    minBars: p,
    lookback: p + 1,
    compute(v) {
      let gains = 0;
      let losses = 0;
      for (let j = 0; j < p; j++) {
        const d = j + 1 < v.length ? v.close(j) - v.close(j + 1) : 0;
        if (d > 0) gains += d;
        else losses -= d;
      }
      if (losses === 0) return null;
      return 100 - 100 / (1 + gains / p / (losses / p));
    },
  };
}

/** C_t / mean_k(C) - 1 */
function maRatio(k: number): FeatureDefinition {
  return { name: `ma_ratio_${k}`, minBars: k, lookback: k, compute: (v) => v.close(0) / meanAndStd(v.close, k).mean - 1 };
}

/** C_t - C_{t-k} */
function mom(k: number): FeatureDefinition {
  return { name: `mom_${k}d`, minBars: k + 1, lookback: k + 1, compute: (v) => v.close(0) - v.close(k) };
}

/** C_t / max (or min) of the last min(252, n) closes; needs 20 bars */
function closeTo52w(which: 'high' | 'low'): FeatureDefinition {
  return {
    name: `close_to_${which}_52w`,
    minBars: 20,
    lookback: 252,
    compute(v) {
      const n = Math.min(252, v.length);
      let extreme = v.close(0);
      for (let k = 1; k < n; k++) {
        const c = v.close(k);
        if (which === 'high' ? c > extreme : c < extreme) extreme = c;
      }
      return v.close(0) / extreme;
    },
  };
}

const BB_WINDOW = 20;
const MACD_MIN_BARS = 26;

/** Every feature, in the SPEC table's order. */
const DEFINITIONS: readonly FeatureDefinition[] = [
  ...[1, 5, 10, 20, 60].map(ret),
  ...[5, 10, 20, 60].map(vol),
  ...[7, 14, 21].map(rsi),
  ...[10, 20, 50].map(maRatio),
  {
    // (C_t - (m - 2s)) / (4s), m, s over 20 closes; 0.5 when s = 0
    name: 'bb_position',
    minBars: BB_WINDOW,
    lookback: BB_WINDOW,
    compute(v) {
      const { mean, std } = meanAndStd(v.close, BB_WINDOW);
      return std === 0 ? 0.5 : (v.close(0) - (mean - 2 * std)) / (4 * std);
    },
  },
  {
    // 4s / m over 20 closes
    name: 'bb_width',
    minBars: BB_WINDOW,
    lookback: BB_WINDOW,
    compute(v) {
      const { mean, std } = meanAndStd(v.close, BB_WINDOW);
      return (4 * std) / mean;
    },
  },
  // EMA12(C) - EMA26(C); signal = EMA9(macd); hist = macd - signal
  { name: 'macd', minBars: MACD_MIN_BARS, lookback: MACD_MIN_BARS, compute: (v) => (v.macd ? v.macd.ema12 - v.macd.ema26 : null) },
  { name: 'macd_signal', minBars: MACD_MIN_BARS, lookback: MACD_MIN_BARS, compute: (v) => v.macd?.signal ?? null },
  {
    name: 'macd_hist',
    minBars: MACD_MIN_BARS,
    lookback: MACD_MIN_BARS,
    compute: (v) => (v.macd ? v.macd.ema12 - v.macd.ema26 - v.macd.signal : null),
  },
  ...[5, 10, 20].map(mom),
  {
    // simple mean of 14 TR = max(H-L, |H-C_{t-1}|, |L-C_{t-1}|), first bar H-L
    name: 'atr_14',
    minBars: 14,
    lookback: 15,
    compute(v) {
      let sum = 0;
      for (let j = 0; j < 14; j++) {
        const range = v.high(j) - v.low(j);
        if (j + 1 >= v.length) {
          sum += range;
          continue;
        }
        const previous = v.close(j + 1);
        sum += Math.max(range, Math.abs(v.high(j) - previous), Math.abs(v.low(j) - previous));
      }
      return sum / 14;
    },
  },
  // (H_t - L_t) / C_t
  { name: 'high_low_range', minBars: 1, lookback: 1, compute: (v) => (v.high(0) - v.low(0)) / v.close(0) },
  {
    // V_t / mean_20(V); null when the mean is 0
    name: 'volume_ma_ratio',
    minBars: 20,
    lookback: 20,
    compute(v) {
      const { mean } = meanAndStd(v.volume, 20);
      return mean === 0 ? null : v.volume(0) / mean;
    },
  },
  {
    // V_t / V_{t-1} - 1; null when V_{t-1} = 0
    name: 'volume_change',
    minBars: 2,
    lookback: 2,
    compute: (v) => (v.volume(1) === 0 ? null : v.volume(0) / v.volume(1) - 1),
  },
  closeTo52w('high'),
  closeTo52w('low'),
];

const BY_NAME: ReadonlyMap<string, FeatureDefinition> = new Map(DEFINITIONS.map((d) => [d.name, d]));

/** The 29 feature names in the SPEC table's order. */
export const FEATURE_NAMES: readonly string[] = Object.freeze(DEFINITIONS.map((d) => d.name));

/** Features that read the running MACD EMAs (which start at the first bar of the series). */
export const MACD_FEATURES: readonly string[] = Object.freeze(['macd', 'macd_signal', 'macd_hist']);

/** Definitions of `names`, in order; throws ModelLoadError UNKNOWN_FEATURE naming every unknown one. */
export function resolveFeatures(names: readonly string[]): FeatureDefinition[] {
  const unknown = names.filter((name) => !BY_NAME.has(name));
  if (unknown.length > 0) {
    throw new ModelLoadError(
      'UNKNOWN_FEATURE',
      `unknown feature name(s): ${unknown.join(', ')}; known: ${FEATURE_NAMES.join(', ')}`,
      { input: unknown.join(','), hint: 'the model was trained on features this engine does not compute (SPEC 5)' },
    );
  }
  return names.map((name) => BY_NAME.get(name) as FeatureDefinition);
}

/** Trailing bars of history `name` reads (>= its minBars); throws UNKNOWN_FEATURE. */
export function featureLookback(name: string): number {
  return resolveFeatures([name])[0].lookback;
}

/** Bars needed before `name` has a value (one fewer gives null); throws UNKNOWN_FEATURE. */
export function featureMinBars(name: string): number {
  return resolveFeatures([name])[0].minBars;
}

/** Value of one feature at the newest bar, null while the view is shorter than minBars. */
export function evaluateFeature(definition: FeatureDefinition, view: SeriesView): number | null {
  if (view.length < definition.minBars) return null;
  const value = definition.compute(view);
  // Validated bars cannot produce a non-finite value, but a number that is not finite never leaves here.
  return value !== null && Number.isFinite(value) ? value : null;
}
