/**
 * A folder of per-symbol CSV files (`--data-dir`): Yahoo (YP descending, YB ascending), zipline
 * csvdir (ZC, gzip), Rmetrics (RT, `;`) and headerless NinjaTrader minute exports (NT, `;`,
 * UTC bar END). Prices are taken as written (USD, the `Close` column, never `Adj Close`).
 * Daily rows end at 16:00 New York on their date. Rows are sorted ascending per file (a file
 * whose first date is after its last is checked as descending, then reversed), then checked
 * again across all of a symbol's files (overlaps between files are duplicates). Such files carry no quotes.
 * Symbol of a file: the first token of its name split at - _ . (`gld-2006-yahoofinance.csv` ->
 * GLD, `AAPL.csv.gz` -> AAPL); an `nt-` prefix is skipped (`nt-spy-minute-2011.csv` -> SPY).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Bar } from '../core/types.ts';
import { DataError } from '../core/errors.ts';
import { NyTime, SESSION_CLOSE_MS, SESSION_OPEN_MS, parseYmd } from './nytime.ts';
import { badRow, barProblem, dropDisordered, num, readText, splitLines, toBar, type RowSink, type SourcedBar } from './rows.ts';

const DATA_FILE = /\.(csv|txt)(\.gz)?$/i;
const MINUTE_MS = 60_000;

export interface GenericFile {
  path: string;
  symbol: string;
}

/** Symbol named by a data file's name (see the module comment). */
export function genericSymbolOf(name: string): string {
  const tokens = basename(name).replace(DATA_FILE, '').split(/[-_.]/).filter((t) => t !== '');
  const token = tokens[0]?.toLowerCase() === 'nt' && tokens.length > 1 ? tokens[1] : (tokens[0] ?? '');
  return token.toUpperCase();
}

/** Data files directly inside `dir`, with their symbols, sorted by path. */
export function genericFiles(dir: string): GenericFile[] {
  return readdirSync(dir)
    .filter((name) => DATA_FILE.test(name) && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => ({ path: join(dir, name), symbol: genericSymbolOf(name) }))
    .filter((f) => f.symbol !== '');
}

type TimeKind = 'daily' | 'intraday';

/** Row time -> [bar end UTC ms, kind], or null. Date-only = daily close; NT = UTC bar end. */
function parseTime(field: string, ny: NyTime): [number, TimeKind] | null {
  const text = field.trim();
  const nt = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/.exec(text);
  if (nt) {
    const [y, mo, d, h, mi, s] = nt.slice(1).map(Number);
    if (Number.isNaN(parseYmd(text.slice(0, 8))) || h > 23 || mi > 59 || s > 59) return null;
    return [Date.UTC(y, mo - 1, d, h, mi, s), 'intraday'];
  }
  const ymd = parseYmd(text);
  if (!Number.isNaN(ymd)) return [ny.toUtc(ymd, SESSION_CLOSE_MS), 'daily'];
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const ts = Date.parse(text);
    if (Number.isFinite(ts)) return [ts, 'intraday'];
  }
  return null;
}

interface Columns {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const unquote = (s: string): string => s.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase();

/** Column positions from a header row; a header must name open, high, low and close. */
function columnsFromHeader(cells: string[], file: string): Columns {
  const names = cells.map(unquote);
  const at = (...want: string[]): number => names.findIndex((n) => want.includes(n));
  const timeAt = at('date', 'datetime', 'time', 'timestamp');
  const cols = { time: timeAt >= 0 ? timeAt : 0, open: at('open'), high: at('high'), low: at('low'), close: at('close'), volume: at('volume') };
  if (cols.open < 0 || cols.high < 0 || cols.low < 0 || cols.close < 0) {
    throw new DataError('UNKNOWN_FORMAT', `${file}: header has no open/high/low/close columns: ${cells.join(',')}`, {
      input: file,
      hint: 'expected a header like Date,Open,High,Low,Close,Volume (or none: date,open,high,low,close,volume)',
    });
  }
  return cols;
}

export interface ParsedFile {
  kind: TimeKind;
  rows: SourcedBar[];
}

/** One file -> its valid rows, checked for order in the file's own direction, then ascending. */
export function parseGenericFile(file: string, symbol: string, ny: NyTime, sink: RowSink): ParsedFile {
  const lines = splitLines(readText(file));
  const firstIdx = lines.findIndex((l) => l.trim() !== '');
  if (firstIdx < 0) return { kind: 'daily', rows: [] };
  const delim = lines[firstIdx].includes(';') ? ';' : ',';
  const firstCells = lines[firstIdx].split(delim);
  const headerless = parseTime(unquote(firstCells[0]), ny) !== null;
  const cols = headerless ? { time: 0, open: 1, high: 2, low: 3, close: 4, volume: firstCells.length > 5 ? 5 : -1 } : columnsFromHeader(firstCells, file);
  let kind: TimeKind | null = null;
  const rows: SourcedBar[] = [];
  for (let i = headerless ? firstIdx : firstIdx + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    sink.stats.rows += 1;
    const c = lines[i].split(delim);
    if (c.length !== firstCells.length) { badRow(sink, file, i + 1, 'column_count'); continue; }
    const time = parseTime(unquote(c[cols.time]), ny);
    if (!time || (kind !== null && time[1] !== kind)) { badRow(sink, file, i + 1, 'bad_time'); continue; }
    const volume = cols.volume >= 0 ? num(c[cols.volume]) : 0;
    const bar = { symbol, ts: time[0], open: num(c[cols.open]), high: num(c[cols.high]), low: num(c[cols.low]), close: num(c[cols.close]), volume };
    const problem = barProblem(bar.open, bar.high, bar.low, bar.close, bar.volume);
    if (problem) { badRow(sink, file, i + 1, problem); continue; }
    kind = time[1];
    rows.push({ ...bar, file, line: i + 1 });
  }
  const descending = rows.length >= 2 && rows[0].ts > rows[rows.length - 1].ts;
  const ordered = dropDisordered(rows, sink, descending);
  if (descending) ordered.reverse();
  return { kind: kind ?? 'daily', rows: ordered };
}

export interface GenericSeries {
  kind: TimeKind;
  /** 390 for daily rows; intraday: the smallest gap between bars, in minutes. */
  barMinutes: number;
  bars: Bar[];
}

/** All files of one symbol merged ascending; intraday bars kept only if they START in session. */
export function readGenericSymbol(files: string[], symbol: string, regularOnly: boolean, ny: NyTime, sink: RowSink): GenericSeries {
  const parsed = files.map((f) => parseGenericFile(f, symbol, ny, sink)).filter((p) => p.rows.length > 0);
  const kinds = new Set(parsed.map((p) => p.kind));
  if (kinds.size > 1) {
    throw new DataError('MIXED_RESOLUTION', `${symbol}: files mix daily and intraday rows: ${files.join(', ')}`, {
      input: symbol,
      hint: 'keep one resolution per symbol in a data dir',
    });
  }
  parsed.sort((a, b) => a.rows[0].ts - b.rows[0].ts);
  const rows = dropDisordered(parsed.flatMap((p) => p.rows), sink);
  const kind: TimeKind = parsed[0]?.kind ?? 'daily';
  if (kind === 'daily') return { kind, barMinutes: 390, bars: rows.map(toBar) };
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows.length; i++) gap = Math.min(gap, rows[i].ts - rows[i - 1].ts);
  const barMinutes = Number.isFinite(gap) ? Math.max(1, Math.round(gap / MINUTE_MS)) : 1;
  const barMs = barMinutes * MINUTE_MS;
  const kept = regularOnly
    ? rows.filter((r) => {
        const start = ny.toNy(r.ts - barMs).msOfDay;
        return start >= SESSION_OPEN_MS && start < SESSION_CLOSE_MS;
      })
    : rows;
  return { kind, barMinutes, bars: kept.map(toBar) };
}
