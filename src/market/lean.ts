/**
 * QuantConnect Lean equity files (formats LT, LQ, LD, LH of shared/data/SOURCES.md):
 * no header, prices in deci-cents (/10000), times in America/New_York.
 *   minute: <dir>/minute/<sym>/<YYYYMMDD>_<sym>_minute_{trade,quote}.csv[.gz], time_ms = bar START
 *   daily:  <dir>/daily/<sym>.csv[.gz], `YYYYMMDD 00:00`; the bar ends at the 16:00 close
 *   hour:   <dir>/hour/<sym>.csv[.gz], `YYYYMMDD HH:00` start, regular session only (09:00 = 09:30-10:00)
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Bar, Quote } from '../core/types.ts';
import { NyTime, SESSION_CLOSE_MS, SESSION_OPEN_MS, parseYmd, type Ymd } from './nytime.ts';
import { barProblem, num, quoteProblem, readText, scanRows, type RowSink } from './rows.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const PRICE_SCALE = 10_000;

export type LeanResolution = 'minute' | 'hour' | 'daily';

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** A dir is a Lean equity dir when it has a minute/, hour/ or daily/ folder. */
export function isLeanDir(dir: string): boolean {
  return isDir(join(dir, 'minute')) || isDir(join(dir, 'daily')) || isDir(join(dir, 'hour'));
}

function firstExisting(paths: string[]): string | null {
  for (const p of paths) if (existsSync(p)) return p;
  return null;
}

/** `<dir>/<res>/<sym>.csv` or `.csv.gz` (daily, hour), or null. */
export function leanSeriesFile(dir: string, res: 'daily' | 'hour', symbol: string): string | null {
  const base = join(dir, res, symbol.toLowerCase());
  return firstExisting([`${base}.csv`, `${base}.csv.gz`]);
}

/** The minute file of one day and kind, or null when absent. */
export function leanMinuteFile(dir: string, symbol: string, ymd: Ymd, kind: 'trade' | 'quote'): string | null {
  const sym = symbol.toLowerCase();
  const base = join(dir, 'minute', sym, `${ymd}_${sym}_minute_${kind}`);
  return firstExisting([`${base}.csv`, `${base}.csv.gz`]);
}

/** Dates with a minute trade file for `symbol`, ascending. */
export function leanMinuteDates(dir: string, symbol: string): Ymd[] {
  const sym = symbol.toLowerCase();
  const folder = join(dir, 'minute', sym);
  if (!isDir(folder)) return [];
  const pattern = new RegExp(`^(\\d{8})_${sym}_minute_trade\\.csv(\\.gz)?$`);
  const dates = new Set<Ymd>();
  for (const name of readdirSync(folder)) {
    const m = pattern.exec(name);
    if (m) dates.add(Number(m[1]));
  }
  return [...dates].sort((a, b) => a - b);
}

/** Upper-case symbols that have minute, hour or daily files. */
export function leanSymbols(dir: string): string[] {
  const found = new Set<string>();
  const minute = join(dir, 'minute');
  if (isDir(minute)) {
    for (const sym of readdirSync(minute)) if (leanMinuteDates(dir, sym).length > 0) found.add(sym.toUpperCase());
  }
  for (const res of ['daily', 'hour'] as const) {
    const folder = join(dir, res);
    if (!isDir(folder)) continue;
    for (const name of readdirSync(folder)) {
      const m = /^([a-z0-9.]+)\.csv(\.gz)?$/i.exec(name);
      if (m) found.add(m[1].toUpperCase());
    }
  }
  return [...found].sort();
}

export interface MinuteDay {
  bars: Bar[];
  quotes: Quote[];
}

/** Read one day's trade bars (session-filtered) and all its usable quote bars. */
export function readLeanMinuteDay(dir: string, symbol: string, ymd: Ymd, regularOnly: boolean, ny: NyTime, sink: RowSink): MinuteDay {
  const tradeFile = leanMinuteFile(dir, symbol, ymd, 'trade');
  const quoteFile = leanMinuteFile(dir, symbol, ymd, 'quote');
  const bars = tradeFile ? parseLeanTrades(readText(tradeFile), tradeFile, symbol, ymd, regularOnly, ny, sink) : [];
  const quotes = quoteFile ? parseLeanQuotes(readText(quoteFile), quoteFile, symbol, ymd, ny, sink) : [];
  return { bars, quotes };
}

/** `time_ms` must be a whole ms count inside the day. */
function badTime(t: number): boolean {
  return !Number.isInteger(t) || t < 0 || t >= DAY_MS;
}

/** LT rows -> bars; ts = UTC(NY date + time_ms) + 60 s (bar end); price = field / 10000. */
export function parseLeanTrades(text: string, file: string, symbol: string, ymd: Ymd, regularOnly: boolean, ny: NyTime, sink: RowSink): Bar[] {
  const toUtc = ny.dayToUtc(ymd);
  return scanRows<Bar>(text, file, 6, sink, (c) => {
    const t = num(c[0]);
    const o = num(c[1]) / PRICE_SCALE;
    const h = num(c[2]) / PRICE_SCALE;
    const l = num(c[3]) / PRICE_SCALE;
    const cl = num(c[4]) / PRICE_SCALE;
    const v = num(c[5]);
    const problem = !Number.isFinite(t) ? 'not_numeric' : badTime(t) ? 'bad_time' : barProblem(o, h, l, cl, v);
    if (problem) return problem;
    if (regularOnly && (t < SESSION_OPEN_MS || t >= SESSION_CLOSE_MS)) return [t, null];
    return [t, { symbol, ts: toUtc(t) + MINUTE_MS, open: o, high: h, low: l, close: cl, volume: v }];
  });
}

/**
 * LQ rows -> quotes at the quote bar's end: bid = bid_close, ask = ask_close, sizes = last sizes.
 * Not session-filtered: a pre-market quote is a real (older) quote and its age shows it.
 */
export function parseLeanQuotes(text: string, file: string, symbol: string, ymd: Ymd, ny: NyTime, sink: RowSink): Quote[] {
  const toUtc = ny.dayToUtc(ymd);
  return scanRows<Quote>(text, file, 11, sink, (c) => {
    const t = num(c[0]);
    const oneSided = c[4].trim() === '' || c[9].trim() === '';
    const bid = num(c[4]) / PRICE_SCALE;
    const bidSize = num(c[5]);
    const ask = num(c[9]) / PRICE_SCALE;
    const askSize = num(c[10]);
    const problem = !Number.isFinite(t) ? 'not_numeric' : badTime(t) ? 'bad_time' : oneSided ? 'one_sided_quote' : quoteProblem(bid, ask, bidSize, askSize);
    if (problem) return problem;
    return [t, { symbol, ts: toUtc(t) + MINUTE_MS, bid, ask, bidSize, askSize }];
  });
}

/** LD/LH rows -> bars. Daily: ts = 16:00 NY of the date. Hourly: ts = labelled start + 1 h. */
export function parseLeanSeries(text: string, file: string, symbol: string, res: 'daily' | 'hour', ny: NyTime, sink: RowSink): Bar[] {
  return scanRows<Bar>(text, file, 6, sink, (c) => {
    const m = /^(\d{8}) (\d{2}):(\d{2})$/.exec(c[0].trim());
    const ymd = m ? parseYmd(m[1]) : Number.NaN;
    if (!m || Number.isNaN(ymd)) return 'bad_time';
    const o = num(c[1]) / PRICE_SCALE;
    const h = num(c[2]) / PRICE_SCALE;
    const l = num(c[3]) / PRICE_SCALE;
    const cl = num(c[4]) / PRICE_SCALE;
    const v = num(c[5]);
    const problem = barProblem(o, h, l, cl, v);
    if (problem) return problem;
    const ts = res === 'daily' ? ny.toUtc(ymd, SESSION_CLOSE_MS) : ny.toUtc(ymd, Number(m[2]) * HOUR_MS + Number(m[3]) * MINUTE_MS) + HOUR_MS;
    return [ts, { symbol, ts, open: o, high: h, low: l, close: cl, volume: v }];
  });
}
