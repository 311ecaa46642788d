/**
 * Replay of real bar (and, for Lean minute data, quote) files as a cold Observable of slices.
 * All files of the range are read and validated at construction, so a wrong dir, symbol or
 * range throws a DataError before any trading; streaming is then pure array walking.
 * Pacing is not done here: pipe the stream through `paced(speed)`.
 */
import type { Observable } from 'rxjs';
import type { Bar, Quote } from '../core/types.ts';
import { DataError } from '../core/errors.ts';
import {
  availableDates,
  availableSymbols,
  barDates,
  dirLayout,
  noDataInRangeError,
  unknownSymbolError,
  type DirLayout,
  type Resolution,
} from './catalog.ts';
import { genericFiles, readGenericSymbol } from './generic.ts';
import { leanMinuteDates, leanSeriesFile, parseLeanSeries, readLeanMinuteDay } from './lean.ts';
import { NyTime, formatYmd, parseYmd, type Ymd } from './nytime.ts';
import { readText, type RowSink } from './rows.ts';
import { sliceStream, timeAxis, upperBound, type SymbolSeries } from './slices.ts';
import { emptyStats, type BadRowHandler, type DataCursor, type DataSource, type DataStats, type MarketSlice } from './types.ts';

export interface ReplayOptions {
  dataDir: string;
  symbols: string[];
  /** First New York trading date, `YYYY-MM-DD`, inclusive. */
  start?: string;
  /** Last New York trading date, `YYYY-MM-DD`, inclusive. */
  end?: string;
  /** `auto` (default): Lean minute files when every symbol has some in range, else daily, else hourly. */
  resolution?: Resolution | 'auto';
  /** `regular` (default): keep only intraday bars that START within 09:30-16:00 ET. */
  session?: 'regular' | 'extended';
  onBadRow?: BadRowHandler;
}

const BAR_MINUTES: Record<Resolution, number> = { minute: 1, hour: 60, daily: 390 };

/** Next calendar date of a Ymd. */
function nextYmd(ymd: Ymd): Ymd {
  const d = new Date(Date.UTC(Math.floor(ymd / 10_000), (Math.floor(ymd / 100) % 100) - 1, (ymd % 100) + 1));
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

function parseRangeDate(text: string | undefined, which: 'start' | 'end'): Ymd | null {
  if (text === undefined || text === '') return null;
  const ymd = parseYmd(text);
  if (Number.isNaN(ymd)) {
    throw new DataError('INVALID_RANGE', `--${which} '${text}' is not a date`, { input: text, hint: 'use YYYY-MM-DD' });
  }
  return ymd;
}

export class ReplaySource implements DataSource {
  readonly kind = 'replay' as const;
  readonly symbols: readonly string[];
  readonly barMinutes: number;
  readonly resolution: Resolution;
  readonly layout: DirLayout;
  readonly dataDir: string;
  readonly stats: DataStats = emptyStats();
  private readonly sink: RowSink;
  private readonly ny = new NyTime();
  private readonly regularOnly: boolean;
  private readonly series: SymbolSeries[];
  private readonly axis: Float64Array;
  /** Every loaded bar per symbol, ascending (daily/hourly/CSV: the whole file; minute: loaded days). */
  private readonly loaded = new Map<string, Bar[]>();
  /** Lean minute: dates not yet loaded that lie before the range, ascending (for history). */
  private readonly earlierDays = new Map<string, Ymd[]>();

  constructor(opts: ReplayOptions) {
    this.dataDir = opts.dataDir;
    this.sink = { stats: this.stats, onBadRow: opts.onBadRow };
    this.regularOnly = (opts.session ?? 'regular') === 'regular';
    this.symbols = [...new Set(opts.symbols.map((s) => s.trim().toUpperCase()).filter((s) => s !== ''))];
    if (this.symbols.length === 0) {
      throw new DataError('NO_SYMBOLS', 'no symbols given for replay', { hint: 'pass --symbols SPY,IBM or set symbols.yaml' });
    }
    this.layout = dirLayout(opts.dataDir);
    const known = availableSymbols(opts.dataDir);
    for (const s of this.symbols) if (!known.includes(s)) throw unknownSymbolError(s, opts.dataDir, known);

    const start = parseRangeDate(opts.start, 'start');
    const end = parseRangeDate(opts.end, 'end');
    if (start !== null && end !== null && start > end) {
      throw new DataError('INVALID_RANGE', `--start ${opts.start} is after --end ${opts.end}`, { input: `${opts.start}..${opts.end}` });
    }
    const fromTs = start === null ? Number.NEGATIVE_INFINITY : this.ny.toUtc(start, 0);
    const toTs = end === null ? Number.POSITIVE_INFINITY : this.ny.toUtc(nextYmd(end), 0);
    const inRange = (ymd: Ymd): boolean => (start === null || ymd >= start) && (end === null || ymd <= end);

    const quotes = new Map<string, Quote[]>();
    let csvBarMinutes = 390;
    if (this.layout === 'lean') {
      this.resolution = this.pickLeanResolution(opts.resolution ?? 'auto', inRange);
      for (const sym of this.symbols) quotes.set(sym, this.loadLean(sym, inRange));
    } else {
      [this.resolution, csvBarMinutes] = this.loadCsvDir(opts.resolution ?? 'auto');
    }
    this.barMinutes = this.layout === 'lean' ? BAR_MINUTES[this.resolution] : csvBarMinutes;

    const range = `${opts.start ?? 'the first date'} .. ${opts.end ?? 'the last date'}`;
    this.series = this.symbols.map((sym) => {
      const all = this.loaded.get(sym) ?? [];
      const bars = all.slice(upperBound(all, fromTs), upperBound(all, toTs));
      if (bars.length === 0) {
        const dates = this.layout === 'lean' ? availableDates(opts.dataDir, sym, this.resolution) : barDates(all, this.ny).map(formatYmd);
        throw noDataInRangeError(sym, range, opts.dataDir, dates);
      }
      return { symbol: sym, bars, quotes: quotes.get(sym) ?? [] };
    });
    this.axis = timeAxis(this.series);
  }

  /** Number of time steps (slices) an uninterrupted stream emits. */
  get steps(): number {
    return this.axis.length;
  }

  /** Bars of the replay range in total (what a full stream delivers). */
  get barCount(): number {
    return this.series.reduce((n, s) => n + s.bars.length, 0);
  }

  stream(from?: DataCursor | null): Observable<MarketSlice> {
    return sliceStream(this.series, this.axis, from);
  }

  /** Last `count` bars with ts <= endTs, oldest first; Lean minute days before the range load on demand. */
  history(symbol: string, endTs: number, count: number): Bar[] {
    const sym = symbol.toUpperCase();
    if (!this.symbols.includes(sym)) {
      throw new DataError('UNKNOWN_SYMBOL', `${sym} is not one of this replay's symbols`, { input: sym, hint: `symbols: ${this.symbols.join(', ')}` });
    }
    const earlier = this.earlierDays.get(sym) ?? [];
    let bars = this.loaded.get(sym) ?? [];
    while (upperBound(bars, endTs) < count && earlier.length > 0) {
      const day = readLeanMinuteDay(this.dataDir, sym, earlier.pop() as Ymd, this.regularOnly, this.ny, this.sink);
      bars = [...day.bars, ...bars];
      this.loaded.set(sym, bars);
    }
    const stop = upperBound(bars, endTs);
    return bars.slice(Math.max(0, stop - Math.max(0, count)), stop);
  }

  private pickLeanResolution(wanted: Resolution | 'auto', inRange: (ymd: Ymd) => boolean): Resolution {
    const has = (res: Resolution, sym: string): boolean =>
      res === 'minute' ? leanMinuteDates(this.dataDir, sym).some(inRange) : leanSeriesFile(this.dataDir, res, sym) !== null;
    const order: Resolution[] = wanted === 'auto' ? ['minute', 'daily', 'hour'] : [wanted];
    const pick = order.find((res) => this.symbols.every((sym) => has(res, sym))) ?? order[0];
    for (const sym of this.symbols) {
      const present = pick === 'minute' ? leanMinuteDates(this.dataDir, sym).length > 0 : leanSeriesFile(this.dataDir, pick, sym) !== null;
      if (!present) {
        const others = (['minute', 'daily', 'hour'] as const).filter((r) => r !== pick && availableDates(this.dataDir, sym, r).length > 0);
        throw new DataError('RESOLUTION_UNAVAILABLE', `no ${pick} data for ${sym} in ${this.dataDir}`, {
          input: sym,
          hint: others.length ? `${sym} has ${others.join(', ')} data: use --resolution ${others[0]}` : 'add the files or drop the symbol',
        });
      }
    }
    return pick;
  }

  /** Loads one symbol's Lean files; returns its quotes (minute only). */
  private loadLean(sym: string, inRange: (ymd: Ymd) => boolean): Quote[] {
    if (this.resolution !== 'minute') {
      const file = leanSeriesFile(this.dataDir, this.resolution, sym) as string;
      this.loaded.set(sym, parseLeanSeries(readText(file), file, sym, this.resolution, this.ny, this.sink));
      return [];
    }
    const dates = leanMinuteDates(this.dataDir, sym);
    const bars: Bar[] = [];
    const quotes: Quote[] = [];
    for (const ymd of dates.filter(inRange)) {
      const day = readLeanMinuteDay(this.dataDir, sym, ymd, this.regularOnly, this.ny, this.sink);
      bars.push(...day.bars);
      quotes.push(...day.quotes);
    }
    const first = dates.find(inRange) ?? Number.POSITIVE_INFINITY;
    this.earlierDays.set(sym, dates.filter((d) => d < first));
    this.loaded.set(sym, bars);
    return quotes;
  }

  /** Loads every symbol of a CSV folder; all must share one resolution. Returns it and bar minutes. */
  private loadCsvDir(wanted: Resolution | 'auto'): [Resolution, number] {
    const files = genericFiles(this.dataDir);
    let resolution: Resolution | null = null;
    let barMinutes = 390;
    for (const sym of this.symbols) {
      const paths = files.filter((f) => f.symbol === sym).map((f) => f.path);
      const got = readGenericSymbol(paths, sym, this.regularOnly, this.ny, this.sink);
      const res: Resolution = got.kind === 'daily' ? 'daily' : got.barMinutes >= 60 ? 'hour' : 'minute';
      if (wanted !== 'auto' && res !== wanted) {
        throw new DataError('RESOLUTION_UNAVAILABLE', `no ${wanted} data for ${sym} in ${this.dataDir} (its files hold ${res} bars)`, {
          input: sym,
          hint: `use --resolution ${res}`,
        });
      }
      if (resolution !== null && res !== resolution) {
        throw new DataError('MIXED_RESOLUTION', `${sym} has ${res} bars but earlier symbols have ${resolution} bars`, {
          input: sym,
          hint: 'replay symbols of one resolution together',
        });
      }
      resolution = res;
      barMinutes = got.barMinutes;
      this.loaded.set(sym, got.bars);
    }
    return [resolution as Resolution, barMinutes];
  }
}
