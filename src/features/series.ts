/**
 * The one view of a bar history that every indicator reads. Batch (`buildFeatures`) and
 * incremental (`FeatureState`) both present their bars through it, so both run the very same
 * arithmetic in the same order and agree to the last bit.
 */
import type { Bar } from '../core/types.ts';
import { DataError } from '../core/errors.ts';

/** Running EMAs of the close since the first bar of the series (SPEC 5, MACD). */
export interface MacdEmas {
  ema12: number;
  ema26: number;
  /** EMA9 of (ema12 - ema26). */
  signal: number;
}

/** Trailing bars, newest at k = 0. Invariant: if `length < count` then `length` covers every lookback. */
export interface SeriesView {
  /** Bars available in the view. */
  readonly length: number;
  /** Bars seen since the start of the series (>= length). */
  readonly count: number;
  close(k: number): number;
  high(k: number): number;
  low(k: number): number;
  volume(k: number): number;
  /** EMAs at the newest bar; null before the first bar. */
  readonly macd: MacdEmas | null;
}

export const MACD_FAST_ALPHA = 2 / (12 + 1);
export const MACD_SLOW_ALPHA = 2 / (26 + 1);
export const MACD_SIGNAL_ALPHA = 2 / (9 + 1);

/** y_t = alpha * x_t + (1 - alpha) * y_{t-1}; y_0 = x_0, no bias adjustment. */
export function emaStep(previous: number, x: number, alpha: number): number {
  return alpha * x + (1 - alpha) * previous;
}

/** EMAs after one more close: the first close seeds every EMA (macd_0 = 0). */
export function advanceMacd(emas: MacdEmas | null, close: number): MacdEmas {
  if (emas === null) return { ema12: close, ema26: close, signal: 0 };
  const ema12 = emaStep(emas.ema12, close, MACD_FAST_ALPHA);
  const ema26 = emaStep(emas.ema26, close, MACD_SLOW_ALPHA);
  return { ema12, ema26, signal: emaStep(emas.signal, ema12 - ema26, MACD_SIGNAL_ALPHA) };
}

const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;

/** Throws DataError BAD_BAR unless every price is finite and > 0 and volume is finite and >= 0. */
export function assertBarUsable(bar: Bar, index: number): void {
  for (const field of PRICE_FIELDS) {
    const value = bar[field];
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw badBar(bar, index, field, value, 'prices must be finite and > 0');
    }
  }
  const volume = bar.volume;
  if (!(typeof volume === 'number' && Number.isFinite(volume) && volume >= 0)) {
    throw badBar(bar, index, 'volume', volume, 'volume must be finite and >= 0');
  }
}

function badBar(bar: Bar, index: number, field: string, value: unknown, rule: string): DataError {
  const symbol = bar?.symbol ?? '<unknown>';
  return new DataError('BAD_BAR', `bar ${index} of ${symbol} (ts ${bar?.ts}): ${field} = ${String(value)}; ${rule}`, {
    input: `${symbol}[${index}].${field}=${String(value)}`,
    hint: 'drop or repair the bar in the data source; features are never computed from bad prices',
  });
}

/** A view over the tail of a bar array, with the MACD EMAs run over the whole array. */
export function arrayView(bars: readonly Bar[], macd: MacdEmas | null): SeriesView {
  const last = bars.length - 1;
  return {
    length: bars.length,
    count: bars.length,
    close: (k) => bars[last - k].close,
    high: (k) => bars[last - k].high,
    low: (k) => bars[last - k].low,
    volume: (k) => bars[last - k].volume,
    macd,
  };
}
