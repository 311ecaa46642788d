/**
 * Per-symbol bar and quote series -> one MarketSlice per distinct bar end time. A k-way walk
 * with one pointer per symbol: O(bars + quotes + steps x symbols), no per-step sorting.
 */
import { Observable } from 'rxjs';
import type { Bar, Quote } from '../core/types.ts';
import type { DataCursor, MarketSlice } from './types.ts';

export interface SymbolSeries {
  symbol: string;
  /** Ascending by ts, strictly. */
  bars: readonly Bar[];
  /** Ascending by ts, strictly; may extend before and after the bars. */
  quotes: readonly Quote[];
}

/** First index i with items[i].ts > ts (items ascending by ts). */
export function upperBound(items: readonly { ts: number }[], ts: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].ts <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The union of every symbol's bar end times, ascending, without repeats. */
export function timeAxis(series: readonly SymbolSeries[]): Float64Array {
  let n = 0;
  for (const s of series) n += s.bars.length;
  const all = new Float64Array(n);
  let k = 0;
  for (const s of series) for (const b of s.bars) all[k++] = b.ts;
  all.sort();
  let unique = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[unique - 1]) all[unique++] = all[i];
  return all.slice(0, unique);
}

/** First axis position strictly after the cursor's ts (a null cursor starts at 0). */
export function resumeIndex(axis: Float64Array, from: DataCursor | null | undefined): number {
  if (!from) return 0;
  let lo = 0;
  let hi = axis.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (axis[mid] <= from.ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Cold, synchronous stream of slices from `axis[start]` on. `quotes` holds each symbol's latest
 * quote with quote.ts <= slice ts; a symbol with no quote yet is absent from it.
 */
export function sliceStream(series: readonly SymbolSeries[], axis: Float64Array, from: DataCursor | null | undefined): Observable<MarketSlice> {
  return new Observable<MarketSlice>((subscriber) => {
    const start = resumeIndex(axis, from);
    const n = series.length;
    const barAt = new Int32Array(n);
    const quoteAt = new Int32Array(n);
    if (start < axis.length) {
      for (let s = 0; s < n; s++) {
        barAt[s] = upperBound(series[s].bars, axis[start] - 1);
        quoteAt[s] = upperBound(series[s].quotes, axis[start]) - 1;
      }
    }
    for (let i = start; i < axis.length && !subscriber.closed; i++) {
      const ts = axis[i];
      const bars: Bar[] = [];
      const quotes: Quote[] = [];
      for (let s = 0; s < n; s++) {
        const { bars: sb, quotes: sq } = series[s];
        if (barAt[s] < sb.length && sb[barAt[s]].ts === ts) bars.push(sb[barAt[s]++]);
        let q = quoteAt[s];
        while (q + 1 < sq.length && sq[q + 1].ts <= ts) q++;
        quoteAt[s] = q;
        if (q >= 0) quotes.push(sq[q]);
      }
      subscriber.next({ ts, bars, quotes, cursor: { index: i + 1, ts } });
    }
    subscriber.complete();
  });
}
