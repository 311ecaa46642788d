/**
 * An "oracle" prediction script for replayed or simulated data (tests, `--dry-run`, the demo
 * before real models): it reads the finite data ahead of time and predicts the realised forward
 * return over each horizon plus seeded noise, so the engine sees a predictor with real skill
 * (high live IC) and its whole pipeline (entries both ways, exits, gates) is exercised on real
 * prices. The `scripted_noise` family is pure noise (IC near 0). Never used with live data.
 */
import { horizonMinutes } from '../core/horizons.ts';
import type { DataSource } from '../market/types.ts';
import { defaultScript, type PredictionScript } from './scriptedPredictor.ts';

export interface Series {
  ts: number[];
  close: number[];
}

/** Read a finite source once (cold Observable) into per-symbol close series. */
export function readSeries(source: DataSource): Map<string, Series> {
  const series = new Map<string, Series>(source.symbols.map((s) => [s, { ts: [], close: [] }]));
  const subscription = source.stream(null).subscribe((slice) => {
    for (const bar of slice.bars) {
      const s = series.get(bar.symbol);
      if (s) {
        s.ts.push(bar.ts);
        s.close.push(bar.close);
      }
    }
  });
  subscription.unsubscribe();
  return series;
}

function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0xffffffff;
}

/** Index of the last element <= ts (binary search), -1 if none. */
function indexAtOrBefore(ts: readonly number[], value: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const midIndex = (lo + hi) >> 1;
    if (ts[midIndex] <= value) {
      found = midIndex;
      lo = midIndex + 1;
    } else hi = midIndex - 1;
  }
  return found;
}

export function oracleScript(series: Map<string, Series>, options: { seed: number; barMinutes: number; noise?: number }): PredictionScript {
  const fallback = defaultScript(options.seed, options.barMinutes);
  const noise = options.noise ?? 1;
  return (ctx) => {
    if (ctx.slot.role !== 'alpha') return fallback(ctx);
    const s = series.get(ctx.symbol);
    const closes = ctx.input.bars.close;
    if (!s || closes.length < 21) return null;
    const i = indexAtOrBefore(s.ts, ctx.input.bars.ts[ctx.input.bars.ts.length - 1]);
    const hb = Math.max(1, Math.round(horizonMinutes(ctx.slot.horizon) / options.barMinutes));
    if (i < 0 || i + hb >= s.ts.length) return null;
    const forward = s.close[i + hb] / s.close[i] - 1;
    // Noise scaled to the typical move over the horizon, so IC is high but not perfect.
    let sum = 0;
    for (let k = closes.length - 20; k < closes.length; k++) sum += (closes[k] / closes[k - 1] - 1) ** 2;
    const scale = Math.sqrt((sum / 20) * hb);
    const u = 2 * hashUnit(`${options.seed}|${ctx.symbol}|${ctx.slot.key}|${ctx.input.barCount}`) - 1;
    if (ctx.slot.family === 'scripted_noise') return u * scale;
    return forward + noise * u * scale;
  };
}
