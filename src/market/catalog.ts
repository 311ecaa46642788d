/**
 * What a data dir holds (symbols, dates) and the start-up errors that name it. Everything here
 * runs before trading, so a wrong --data-dir / --symbols / --start fails in one clear line.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Bar } from '../core/types.ts';
import { DataError } from '../core/errors.ts';
import { genericFiles, readGenericSymbol } from './generic.ts';
import { isLeanDir, leanMinuteDates, leanSeriesFile, leanSymbols, parseLeanSeries } from './lean.ts';
import { NyTime, formatYmd, type Ymd } from './nytime.ts';
import { readText } from './rows.ts';
import { emptyStats } from './types.ts';

export type Resolution = 'minute' | 'hour' | 'daily';
export type DirLayout = 'lean' | 'csv';

const LAYOUT_HINT =
  'point it at a Lean equity dir (<dir>/minute/<sym>/YYYYMMDD_<sym>_minute_trade.csv, <dir>/daily/<sym>.csv) or a folder of <SYM>.csv files';

/** The dir's layout; throws NO_DATA when it is missing or holds no recognisable data files. */
export function dirLayout(dataDir: string): DirLayout {
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
    throw new DataError('NO_DATA', `data dir ${dataDir} does not exist or is not a directory`, { input: dataDir, hint: LAYOUT_HINT });
  }
  const layout: DirLayout = isLeanDir(dataDir) ? 'lean' : 'csv';
  const symbols = layout === 'lean' ? leanSymbols(dataDir) : genericFiles(dataDir).map((f) => f.symbol);
  if (symbols.length === 0) {
    const nested = ['equity/usa', 'quantconnect-lean/equity/usa'].map((p) => join(dataDir, p)).find((p) => isLeanDir(p));
    throw new DataError('NO_DATA', `no market data files in ${dataDir}`, {
      input: dataDir,
      hint: nested ? `did you mean ${nested}?` : LAYOUT_HINT,
    });
  }
  return layout;
}

/** Upper-case symbols with data in `dataDir`, sorted; [] when the dir is missing or empty. */
export function availableSymbols(dataDir: string): string[] {
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) return [];
  if (isLeanDir(dataDir)) return leanSymbols(dataDir);
  return [...new Set(genericFiles(dataDir).map((f) => f.symbol))].sort();
}

/** New York dates of a bar series (a bar ending at midnight belongs to the day before). */
export function barDates(bars: readonly Bar[], ny: NyTime): Ymd[] {
  const out: Ymd[] = [];
  for (const b of bars) {
    const ymd = ny.toNy(b.ts - 1).ymd;
    if (out.length === 0 || out[out.length - 1] !== ymd) out.push(ymd);
  }
  return out;
}

/**
 * Dates (`YYYY-MM-DD`, ascending) with bars for `symbol`. Lean `auto` prefers minute files,
 * then daily, then hourly; a CSV folder reports whatever its files hold.
 */
export function availableDates(dataDir: string, symbol: string, resolution: Resolution | 'auto' = 'auto'): string[] {
  const ny = new NyTime();
  const sink = { stats: emptyStats() };
  const sym = symbol.toUpperCase();
  if (!existsSync(dataDir)) return [];
  if (!isLeanDir(dataDir)) {
    const files = genericFiles(dataDir).filter((f) => f.symbol === sym).map((f) => f.path);
    return barDates(readGenericSymbol(files, sym, false, ny, sink).bars, ny).map(formatYmd);
  }
  const order: Resolution[] = resolution === 'auto' ? ['minute', 'daily', 'hour'] : [resolution];
  for (const res of order) {
    if (res === 'minute') {
      const dates = leanMinuteDates(dataDir, sym);
      if (dates.length > 0) return dates.map(formatYmd);
      continue;
    }
    const file = leanSeriesFile(dataDir, res, sym);
    if (file) return barDates(parseLeanSeries(readText(file), file, sym, res, ny, sink), ny).map(formatYmd);
  }
  return [];
}

/** A short list: every date when there are few, else first .. last and the count. */
export function describeDates(dates: readonly string[]): string {
  if (dates.length === 0) return 'none';
  if (dates.length <= 10) return dates.join(', ');
  return `${dates[0]} .. ${dates[dates.length - 1]} (${dates.length} dates)`;
}

export function unknownSymbolError(symbol: string, dataDir: string, available: readonly string[]): DataError {
  return new DataError('UNKNOWN_SYMBOL', `unknown symbol ${symbol}: no data files for it in ${dataDir}`, {
    input: symbol,
    hint: `symbols with data there: ${available.join(', ') || 'none'}`,
  });
}

export function noDataInRangeError(symbol: string, range: string, dataDir: string, dates: readonly string[]): DataError {
  return new DataError('NO_DATA_IN_RANGE', `no ${symbol} bars in ${range} in ${dataDir}`, {
    input: range,
    hint: `available dates for ${symbol}: ${describeDates(dates)}`,
  });
}
