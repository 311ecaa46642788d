/**
 * Row-level validation shared by every file reader. A bad row is counted, reported with its
 * file and line, and skipped: no bar with a NaN or non-positive price ever leaves a reader.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Bar } from '../core/types.ts';
import { reportBadRow, type BadRowHandler, type BadRowReason, type DataStats } from './types.ts';

/** Where rows come from and where their problems go. */
export interface RowSink {
  stats: DataStats;
  onBadRow?: BadRowHandler;
}

/** A validated bar still carrying its origin, so the ordering pass can report it. */
export interface SourcedBar extends Bar {
  file: string;
  line: number;
}

/** File text; `.gz` files are gunzipped. */
export function readText(file: string): string {
  const buf = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** Lines without their CR; index + 1 is the 1-based line number. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/** Number(s), except that an empty or blank field is NaN (Number('') would be 0). */
export function num(field: string | undefined): number {
  if (field === undefined) return Number.NaN;
  const n = Number(field);
  return n === 0 && field.trim() === '' ? Number.NaN : n;
}

/** First problem of an OHLCV row in check order, or null when it is a usable bar. */
export function barProblem(open: number, high: number, low: number, close: number, volume: number): BadRowReason | null {
  if (!(Number.isFinite(open) && Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close) && Number.isFinite(volume))) {
    return 'not_numeric';
  }
  if (open <= 0 || high <= 0 || low <= 0 || close <= 0) return 'non_positive_price';
  if (high < low) return 'high_below_low';
  if (volume < 0) return 'negative_volume';
  return null;
}

/** First problem of a bid/ask pair; a crossed (bid > ask) or locked (bid = ask) quote is unusable. */
export function quoteProblem(bid: number, ask: number, bidSize: number, askSize: number): BadRowReason | null {
  if (!(Number.isFinite(bid) && Number.isFinite(ask) && Number.isFinite(bidSize) && Number.isFinite(askSize))) {
    return 'not_numeric';
  }
  if (bid <= 0 || ask <= 0) return 'non_positive_price';
  if (bidSize < 0 || askSize < 0) return 'negative_volume';
  if (bid > ask) return 'crossed_quote';
  if (bid === ask) return 'locked_quote';
  return null;
}

export function badRow(sink: RowSink, file: string, line: number, reason: BadRowReason): void {
  reportBadRow(sink.stats, sink.onBadRow, { file, line, reason });
}

/**
 * Keep rows whose ts moves strictly forward (`descending`: strictly backward) from the last kept
 * row; a repeat is `duplicate_time`, a step the wrong way `out_of_order`. The first occurrence
 * in reading order wins; later ones are reported and dropped.
 */
export function dropDisordered<T extends { ts: number; file: string; line: number }>(rows: T[], sink: RowSink, descending = false): T[] {
  const out: T[] = [];
  const sign = descending ? -1 : 1;
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    if (sign * row.ts > last) {
      out.push(row);
      last = sign * row.ts;
    } else {
      badRow(sink, row.file, row.line, sign * row.ts === last ? 'duplicate_time' : 'out_of_order');
    }
  }
  return out;
}

/** Strip the origin fields so the engine sees plain `Bar`s. */
export function toBar(row: SourcedBar): Bar {
  return { symbol: row.symbol, ts: row.ts, open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume };
}

/** A row's verdict: a problem, or its ordering key and value (null = valid but filtered out). */
export type RowResult<T> = BadRowReason | readonly [key: number, value: T | null];

/**
 * Walk the data lines of a headerless file: count rows, check the column count, report the row
 * function's problem, and drop rows whose key does not increase (duplicate / out of order).
 */
export function scanRows<T>(text: string, file: string, columns: number, sink: RowSink, row: (cells: string[]) => RowResult<T>): T[] {
  const lines = splitLines(text);
  const out: T[] = [];
  let lastKey = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    sink.stats.rows += 1;
    const cells = lines[i].split(',');
    const result = cells.length === columns ? row(cells) : 'column_count';
    if (typeof result === 'string') { badRow(sink, file, i + 1, result); continue; }
    const [key, value] = result;
    if (key <= lastKey) { badRow(sink, file, i + 1, key === lastKey ? 'duplicate_time' : 'out_of_order'); continue; }
    lastKey = key;
    if (value !== null) out.push(value);
  }
  return out;
}
