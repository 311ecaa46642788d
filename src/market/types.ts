/**
 * The contract between market data and the engine: one `MarketSlice` per time step, in time
 * order, from a cold Observable. The engine never knows which source it has (SPEC 11).
 */
import type { Observable } from 'rxjs';
import type { Bar, Quote } from '../core/types.ts';

/** Position after a slice; plain JSON so it can live in a persisted snapshot. */
export interface DataCursor {
  /** Number of slices emitted up to and including this one (counted from the source start). */
  index: number;
  /** UTC ms of that slice; the authority when resuming (index is informative). */
  ts: number;
}

export interface MarketSlice {
  /** UTC epoch ms, the bar END time of this step. */
  ts: number;
  /** Symbols with a bar ending at `ts`, in configured symbol order. */
  bars: Bar[];
  /** Latest good quote per symbol as of `ts` (quote.ts <= ts, may be older), in symbol order. */
  quotes: Quote[];
  cursor: DataCursor;
}

export interface DataStats {
  /** Data rows read (header and blank lines excluded), good or bad. */
  rows: number;
  badRows: number;
  badRowsByReason: Record<string, number>;
}

export interface BadRowInfo {
  file: string;
  /** 1-based line number in the (decompressed) file. */
  line: number;
  reason: BadRowReason;
}

export type BadRowReason =
  | 'column_count'
  | 'not_numeric'
  | 'bad_time'
  | 'non_positive_price'
  | 'negative_volume'
  | 'high_below_low'
  | 'one_sided_quote'
  | 'crossed_quote'
  | 'locked_quote'
  | 'out_of_order'
  | 'duplicate_time';

export type BadRowHandler = (info: BadRowInfo) => void;

export type SourceKind = 'simulated' | 'replay' | 'alpaca';

export interface DataSource {
  readonly kind: SourceKind;
  readonly symbols: readonly string[];
  /** Data interval in trading minutes: 1 for minute bars, 60 hourly, 390 daily (SPEC 4.1). */
  readonly barMinutes: number;
  /** Cold; emits slices in time order; `from` resumes strictly after that cursor. */
  stream(from?: DataCursor | null): Observable<MarketSlice>;
  /** The last `count` bars of `symbol` ending at or before `endTs`, oldest first (warm-up). */
  history?(symbol: string, endTs: number, count: number): Bar[];
  readonly stats: DataStats;
}

export function emptyStats(): DataStats {
  return { rows: 0, badRows: 0, badRowsByReason: {} };
}

/** Count a bad row in `stats` and tell the injected handler. */
export function reportBadRow(stats: DataStats, onBadRow: BadRowHandler | undefined, info: BadRowInfo): void {
  stats.badRows += 1;
  stats.badRowsByReason[info.reason] = (stats.badRowsByReason[info.reason] ?? 0) + 1;
  onBadRow?.(info);
}
