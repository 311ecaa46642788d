import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataError } from '../../src/core/errors.ts';
import { ReplaySource, availableDates, availableSymbols, type BadRowInfo, type MarketSlice } from '../../src/market/index.ts';

const DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
const LEAN = join(DATA, 'quantconnect-lean/equity/usa');
const utc = (iso: string): number => Date.parse(iso);

const tmpRoots: string[] = [];
function tmpDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'market-test-'));
  tmpRoots.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

async function all(src: ReplaySource, from?: MarketSlice['cursor']): Promise<MarketSlice[]> {
  return lastValueFrom(src.stream(from).pipe(toArray()));
}

function thrown(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('ReplaySource on Lean minute files', () => {
  it('turns the SPY 2013-10-07 09:30 ET bar into a 13:31:00Z bar end with prices / 10000 and its same-minute quote', async () => {
    const src = new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], start: '2013-10-07', end: '2013-10-07' });
    const [first] = await all(src);
    expect(first.ts).toBe(utc('2013-10-07T13:31:00Z'));
    expect(first.bars).toEqual([{ symbol: 'SPY', ts: first.ts, open: 167.43, high: 167.52, low: 167.41, close: 167.44, volume: 816453 }]);
    expect(first.quotes).toEqual([{ symbol: 'SPY', ts: first.ts, bid: 167.44, ask: 167.45, bidSize: 4400, askSize: 1400 }]);
    expect(first.cursor).toEqual({ index: 1, ts: first.ts });
    expect(src.barMinutes).toBe(1);
    expect(src.resolution).toBe('minute');
  });

  it('converts New York time across DST: SHY 09:30 ends 14:31Z on 2008-03-07 (EST) and 13:31Z on 2008-03-10 (EDT)', async () => {
    const src = new ReplaySource({ dataDir: LEAN, symbols: ['SHY'] });
    const slices = await all(src);
    const day1 = slices.find((s) => s.ts === utc('2008-03-07T14:31:00Z'));
    const day2 = slices.find((s) => s.ts === utc('2008-03-10T13:31:00Z'));
    expect(day1?.bars[0]).toMatchObject({ open: 84.26, close: 84.27 });
    expect(day1?.quotes[0]).toMatchObject({ bid: 84.25, ask: 84.27, ts: utc('2008-03-07T14:31:00Z') });
    expect(day2?.bars[0]).toMatchObject({ open: 84.09, close: 84.09 });
    expect(day2?.quotes[0]).toMatchObject({ bid: 84.09, ask: 84.13 });
    expect(slices[0].ts).toBe(utc('2008-03-07T14:31:00Z'));
  });

  it('merges 4 symbols of one day into 390 time-ordered slices holding 1559 bars in symbol order', async () => {
    const symbols = ['SPY', 'AIG', 'BAC', 'IBM'];
    const src = new ReplaySource({ dataDir: LEAN, symbols, start: '2013-10-07', end: '2013-10-07' });
    const slices = await all(src);
    expect(slices.length).toBe(390);
    expect(src.steps).toBe(390);
    expect(slices.reduce((n, s) => n + s.bars.length, 0)).toBe(1559);
    expect(slices.filter((s) => s.bars.length === 3).length).toBe(1); // AIG has 389 regular-session bars
    expect(slices[389].ts).toBe(utc('2013-10-07T20:00:00Z'));
    for (let i = 0; i < slices.length; i++) {
      const s = slices[i];
      if (i > 0) expect(s.ts).toBeGreaterThan(slices[i - 1].ts);
      expect(s.cursor).toEqual({ index: i + 1, ts: s.ts });
      expect(s.bars.every((b) => b.ts === s.ts)).toBe(true);
      const order = s.bars.map((b) => symbols.indexOf(b.symbol));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(s.quotes.map((q) => q.symbol)).toEqual(symbols);
      expect(s.quotes.every((q) => q.ts <= s.ts && q.bid < q.ask)).toBe(true);
    }
  });

  it('resumes strictly after a cursor with exactly the remaining slices', async () => {
    const src = new ReplaySource({ dataDir: LEAN, symbols: ['SPY', 'AIG', 'BAC', 'IBM'], start: '2013-10-07', end: '2013-10-08' });
    const full = await all(src);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: full.length - 1 }), async (k) => {
        const rest = await all(src, JSON.parse(JSON.stringify(full[k].cursor)));
        expect(rest).toEqual(full.slice(k + 1));
      }),
      { numRuns: 25 },
    );
    expect(await all(src, full[full.length - 1].cursor)).toEqual([]);
  });

  it('keeps extended-hours bars when session is extended', async () => {
    const src = new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], start: '2013-10-07', end: '2013-10-07', session: 'extended' });
    expect(src.barCount).toBe(828);
    expect((await all(src))[0].ts).toBe(utc('2013-10-07T08:01:00Z'));
  });

  it('serves warm-up history from days before the range, loading them on demand', async () => {
    const src = new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], start: '2013-10-07', end: '2013-10-07' });
    const [first] = await all(src);
    const hist = src.history('SPY', first.ts - 1, 500);
    expect(hist.length).toBe(390);
    expect(hist[389].ts).toBe(utc('2013-10-04T20:00:00Z'));
    expect(hist[0].ts).toBe(utc('2013-10-04T13:31:00Z'));
    expect(src.history('SPY', first.ts, 2).map((b) => b.ts)).toEqual([utc('2013-10-04T20:00:00Z'), first.ts]);
  });
});

describe('ReplaySource on daily and CSV files', () => {
  it('ends Lean daily bars at the 16:00 New York close (20:00Z in EDT, 21:00Z in EST) without quotes', async () => {
    const src = new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], resolution: 'daily', start: '2013-01-02', end: '2013-10-09' });
    const slices = await all(src);
    expect(src.barMinutes).toBe(390);
    expect(slices[0].ts).toBe(utc('2013-01-02T21:00:00Z'));
    expect(slices[slices.length - 1].ts).toBe(utc('2013-10-09T20:00:00Z'));
    expect(slices.every((s) => s.quotes.length === 0)).toBe(true);
    const hist = src.history('SPY', slices[0].ts - 1, 3);
    expect(hist.map((b) => b.ts)).toEqual([utc('2012-12-27T21:00:00Z'), utc('2012-12-28T21:00:00Z'), utc('2012-12-31T21:00:00Z')]);
  });

  it('reads a descending Yahoo file (and its yearly siblings) in ascending order', async () => {
    const src = new ReplaySource({ dataDir: join(DATA, 'pyalgotrade'), symbols: ['DIA'] });
    const slices = await all(src);
    expect(slices.length).toBe(1006);
    expect(slices[0].ts).toBe(utc('2009-01-02T21:00:00Z'));
    expect(slices[0].bars[0]).toMatchObject({ open: 87.95, high: 90.62, low: 87.57, close: 90.2 });
    for (let i = 1; i < slices.length; i++) expect(slices[i].ts).toBeGreaterThan(slices[i - 1].ts);
    expect(src.stats.badRows).toBe(0);
  });

  it('reads gzip zipline files and NinjaTrader UTC minute files', async () => {
    const zip = await all(new ReplaySource({ dataDir: join(DATA, 'zipline'), symbols: ['AAPL'] }));
    expect(zip[0].bars[0]).toMatchObject({ ts: utc('2012-01-03T21:00:00Z'), close: 58.747143 });
    const nt = new ReplaySource({ dataDir: join(DATA, 'pyalgotrade'), symbols: ['SPY'], end: '2011-01-03' });
    const ntSlices = await all(nt);
    expect(nt.barMinutes).toBe(1);
    expect(ntSlices[0].ts).toBe(utc('2011-01-03T14:31:00Z'));
    expect(ntSlices[ntSlices.length - 1].ts).toBeLessThanOrEqual(utc('2011-01-03T21:00:00Z'));
  });

  it('lists the symbols and dates a dir holds', () => {
    expect(availableSymbols(LEAN)).toEqual(['AAPL', 'AIG', 'BAC', 'FOXA', 'GOOG', 'IBM', 'IWM', 'NWSA', 'QQQ', 'SHY', 'SPY']);
    expect(availableDates(LEAN, 'spy')).toEqual(['2013-10-04', '2013-10-07', '2013-10-08', '2013-10-09']);
    expect(availableDates(LEAN, 'GOOG').length).toBe(2302);
    expect(availableSymbols(join(DATA, 'backtrader'))).toEqual(['NVDA', 'ORCL', 'YHOO']);
  });
});

describe('ReplaySource bad rows', () => {
  const dir = tmpDir();
  const day = join(dir, 'minute', 'tst');
  mkdirSync(day, { recursive: true });
  const tradeFile = join(day, '20131007_tst_minute_trade.csv');
  const quoteFile = join(day, '20131007_tst_minute_quote.csv');
  writeFileSync(
    tradeFile,
    [
      '34200000,1000000,1001000,999000,1000500,100',
      '34260000,NaN,1001000,999000,1000500,100',
      '34320000,-1000000,1001000,999000,1000500,100',
      '34380000,1000000,1001000,999000,1000500,100',
      '34320000,1000000,1001000,999000,1000500,100',
      '34380000,1000000,1001000,999000,1000500,100',
      '34440000,1000000,999000,1001000,1000500,100',
      '34500000,1000000,1001000,999000,1000500',
      '34560000,1000000,1001000,999000,1000500,100',
    ].join('\n'),
  );
  writeFileSync(
    quoteFile,
    [
      '34200000,999000,999000,999000,999500,100,1000500,1000500,1000500,1000600,200',
      '34380000,1000600,1000600,1000600,1000600,100,1000500,1000500,1000500,1000500,200',
      '34560000,1000000,1000000,1000000,1000000,100,,,,,0',
    ].join('\n'),
  );

  it('counts each bad row under its reason, reports file and line, and skips it', async () => {
    const seen: BadRowInfo[] = [];
    const src = new ReplaySource({ dataDir: dir, symbols: ['TST'], onBadRow: (i) => seen.push(i) });
    const slices = await all(src);
    expect(slices.map((s) => s.ts)).toEqual([utc('2013-10-07T13:31:00Z'), utc('2013-10-07T13:34:00Z'), utc('2013-10-07T13:37:00Z')]);
    expect(src.stats.badRowsByReason).toEqual({
      not_numeric: 1,
      non_positive_price: 1,
      out_of_order: 1,
      duplicate_time: 1,
      high_below_low: 1,
      column_count: 1,
      crossed_quote: 1,
      one_sided_quote: 1,
    });
    expect(src.stats.badRows).toBe(8);
    expect(src.stats.rows).toBe(12);
    expect(seen).toContainEqual({ file: tradeFile, line: 2, reason: 'not_numeric' });
    expect(seen).toContainEqual({ file: tradeFile, line: 3, reason: 'non_positive_price' });
    expect(seen).toContainEqual({ file: tradeFile, line: 5, reason: 'out_of_order' });
    expect(seen).toContainEqual({ file: quoteFile, line: 2, reason: 'crossed_quote' });
    for (const s of slices) {
      for (const b of s.bars) expect([b.open, b.high, b.low, b.close].every((p) => Number.isFinite(p) && p > 0)).toBe(true);
      // the crossed and one-sided quotes are not used: the 09:30 quote stays, with its own older ts
      expect(s.quotes).toEqual([{ symbol: 'TST', ts: utc('2013-10-07T13:31:00Z'), bid: 99.95, ask: 100.06, bidSize: 100, askSize: 200 }]);
    }
  });

  it('checks a descending CSV file in its own direction (first occurrence wins) and emits it ascending', async () => {
    const csv = tmpDir();
    const rows = ['Date,Open,High,Low,Close,Volume,Adj Close', '2013-01-04,3,3,3,3,1,3', '2013-01-03,2,2,2,2,1,2', '2013-01-03,9,9,9,9,1,9', '2013-01-07,7,7,7,7,1,7', '2013-01-02,1,1,1,1,1,1'];
    writeFileSync(join(csv, 'XYZ.csv.gz'), gzipSync(rows.join('\r\n')));
    const seen: BadRowInfo[] = [];
    const src = new ReplaySource({ dataDir: csv, symbols: ['xyz'], onBadRow: (i) => seen.push(i) });
    expect((await all(src)).map((s) => s.bars[0].close)).toEqual([1, 2, 3]);
    expect(seen).toEqual([
      { file: join(csv, 'XYZ.csv.gz'), line: 4, reason: 'duplicate_time' },
      { file: join(csv, 'XYZ.csv.gz'), line: 5, reason: 'out_of_order' },
    ]);
  });
});

describe('ReplaySource quote pairing', () => {
  it('has no quote before the first quote bar and keeps the latest earlier quote (with its older ts) for a minute without one', async () => {
    const dir = tmpDir();
    const day = join(dir, 'minute', 'abc');
    mkdirSync(day, { recursive: true });
    const bar = (t: number): string => `${t},500000,500100,499900,500000,10`;
    writeFileSync(join(day, '20131007_abc_minute_trade.csv'), [bar(34200000), bar(34260000), bar(34320000)].join('\n'));
    writeFileSync(join(day, '20131007_abc_minute_quote.csv'), '34260000,499900,499900,499900,499900,5,500100,500100,500100,500100,7\n');
    const slices = await all(new ReplaySource({ dataDir: dir, symbols: ['ABC'] }));
    expect(slices.map((s) => s.quotes.length)).toEqual([0, 1, 1]);
    const quote = { symbol: 'ABC', ts: utc('2013-10-07T13:32:00Z'), bid: 49.99, ask: 50.01, bidSize: 5, askSize: 7 };
    expect(slices[1].quotes[0]).toEqual(quote);
    expect(slices[2].ts).toBe(utc('2013-10-07T13:33:00Z'));
    expect(slices[2].quotes[0]).toEqual(quote);
  });
});

describe('ReplaySource start-up errors', () => {
  it('names an unknown symbol, the dir and the symbols that exist', () => {
    const e = thrown(() => new ReplaySource({ dataDir: LEAN, symbols: ['SPY', 'ZZZZ'] }));
    expect(e.code).toBe('UNKNOWN_SYMBOL');
    expect(e.message).toContain('ZZZZ');
    expect(e.message).toContain(LEAN);
    expect(e.hint).toContain('SPY');
  });

  it('rejects an empty or missing data dir with NO_DATA naming it', () => {
    const empty = tmpDir();
    const e1 = thrown(() => new ReplaySource({ dataDir: empty, symbols: ['SPY'] }));
    expect(e1.code).toBe('NO_DATA');
    expect(e1.message).toContain(empty);
    const e2 = thrown(() => new ReplaySource({ dataDir: join(empty, 'nope'), symbols: ['SPY'] }));
    expect(e2.code).toBe('NO_DATA');
    expect(e2.hint).toBeTruthy();
    const e3 = thrown(() => new ReplaySource({ dataDir: join(DATA, 'quantconnect-lean'), symbols: ['SPY'] }));
    expect(e3.hint).toContain(LEAN);
  });

  it('rejects a date range without data, naming the range and the available dates', () => {
    const e = thrown(() => new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], resolution: 'minute', start: '2014-01-01', end: '2014-01-31' }));
    expect(e.code).toBe('NO_DATA_IN_RANGE');
    expect(e.message).toContain('2014-01-01 .. 2014-01-31');
    expect(e.hint).toContain('2013-10-04, 2013-10-07, 2013-10-08, 2013-10-09');
    const daily = thrown(() => new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], start: '2014-01-01' }));
    expect(daily.code).toBe('NO_DATA_IN_RANGE');
    expect(daily.hint).toContain('1998-01-02 .. 2013-10-09 (3968 dates)');
  });

  it('rejects malformed or inverted ranges', () => {
    expect(thrown(() => new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], start: '2013-13-01' })).code).toBe('INVALID_RANGE');
    expect(thrown(() => new ReplaySource({ dataDir: LEAN, symbols: ['SPY'], start: '2013-10-09', end: '2013-10-07' })).code).toBe('INVALID_RANGE');
  });

  it('says which resolution a symbol does have', () => {
    const e = thrown(() => new ReplaySource({ dataDir: LEAN, symbols: ['GOOG'], resolution: 'minute' }));
    expect(e.code).toBe('RESOLUTION_UNAVAILABLE');
    expect(e.hint).toContain('--resolution daily');
  });
});
