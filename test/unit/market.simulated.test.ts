import { lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataError } from '../../src/core/errors.ts';
import { SimulatedSource, type MarketSlice, type SimulatedOptions } from '../../src/market/index.ts';
import { spreadBps } from '../../src/core/types.ts';

const START = Date.parse('2024-01-02T14:30:00Z');
const base: SimulatedOptions = { symbols: ['SPY', 'QQQ', 'AAPL'], seed: 42, startMs: START, bars: 300 };

async function run(opts: SimulatedOptions, from?: MarketSlice['cursor']): Promise<MarketSlice[]> {
  return lastValueFrom(new SimulatedSource(opts).stream(from).pipe(toArray()));
}

describe('SimulatedSource', () => {
  it('gives byte-identical output for the same seed', async () => {
    expect(JSON.stringify(await run(base))).toBe(JSON.stringify(await run({ ...base })));
  });

  it('gives a different path for a different seed and for each symbol', async () => {
    const a = await run(base);
    const b = await run({ ...base, seed: 43 });
    expect(a[10].bars[0].close).not.toBe(b[10].bars[0].close);
    const closes = a[100].bars.map((x) => x.close / a[0].bars.find((y) => y.symbol === x.symbol)!.open);
    expect(new Set(closes).size).toBe(3);
  });

  it("keeps each symbol's path when other symbols are added", async () => {
    const alone = await run({ ...base, symbols: ['QQQ'] });
    const together = await run(base);
    expect(together.map((s) => s.bars[1])).toEqual(alone.map((s) => s.bars[0]));
  });

  it('emits one bar and one quote per symbol at every bar end, quote ts = bar ts, a few bps wide', async () => {
    const slices = await run({ ...base, barMinutes: 5, spreadBps: 2 });
    expect(slices.length).toBe(300);
    expect(slices[0].ts).toBe(START + 5 * 60_000);
    slices.forEach((s, i) => {
      expect(s.ts).toBe(START + (i + 1) * 5 * 60_000);
      expect(s.cursor).toEqual({ index: i + 1, ts: s.ts });
      expect(s.bars.map((b) => b.symbol)).toEqual(base.symbols);
      expect(s.quotes.map((q) => q.symbol)).toEqual(base.symbols);
      s.bars.forEach((b, j) => {
        const q = s.quotes[j];
        expect(b.ts).toBe(s.ts);
        expect(q.ts).toBe(s.ts);
        expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
        expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
        expect(b.low).toBeGreaterThan(0);
        const bps = spreadBps(q);
        expect(bps).toBeGreaterThanOrEqual(1 - 1e-9);
        expect(bps).toBeLessThanOrEqual(3 + 1e-9);
        expect(Math.abs((q.bid + q.ask) / 2 - b.close) / b.close).toBeLessThan(1e-12);
      });
      if (i > 0) s.bars.forEach((b, j) => expect(b.open).toBe(slices[i - 1].bars[j].close));
    });
  });

  it('uses the given start price and per-bar vol sigma = annualVol * sqrt(barMinutes / (252*390))', async () => {
    const slices = await run({ symbols: ['X'], seed: 7, startMs: START, bars: 20_000, startPrice: 100, annualVol: 0.2 });
    expect(slices[0].bars[0].open).toBe(100);
    const r = slices.map((s) => Math.log(s.bars[0].close / s.bars[0].open));
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    const sigma = 0.2 * Math.sqrt(1 / (252 * 390));
    expect(Math.abs(sd - sigma) / sigma).toBeLessThan(0.03);
  });

  it('resumes after a cursor with exactly the slices an uninterrupted run emits from there', async () => {
    const full = await run(base);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: full.length - 1 }), async (k) => {
        expect(await run(base, full[k].cursor)).toEqual(full.slice(k + 1));
      }),
      { numRuns: 20 },
    );
  });

  it('stops generating when the subscriber unsubscribes', async () => {
    const src = new SimulatedSource({ ...base, bars: 10_000_000 });
    const first = await lastValueFrom(src.stream().pipe(take(3), toArray()));
    expect(first.map((s) => s.cursor.index)).toEqual([1, 2, 3]);
  });

  it('serves warm-up history before startMs that continues into the streamed path', async () => {
    const opts = { ...base, warmupBars: 50 };
    const src = new SimulatedSource(opts);
    const slices = await run(opts);
    const warm = src.history('QQQ', START, 1000);
    expect(warm.length).toBe(50);
    expect(warm[49].ts).toBe(START);
    expect(slices[0].bars[1].open).toBe(warm[49].close);
    const upTo = src.history('qqq', slices[9].ts, 12);
    expect(upTo.slice(2)).toEqual(slices.slice(0, 10).map((s) => s.bars[1]));
  });

  it('rejects bad options with a typed error', () => {
    expect(() => new SimulatedSource({ ...base, symbols: [] })).toThrow(DataError);
    expect(() => new SimulatedSource({ ...base, seed: 1.5 })).toThrow(DataError);
    expect(() => new SimulatedSource({ ...base, startPrice: -1 })).toThrow(DataError);
    expect(() => new SimulatedSource({ ...base, startPrice: { QQQ: 0 } })).toThrow(DataError);
    expect(() => new SimulatedSource({ ...base, barMinutes: Number.NaN })).toThrow(DataError);
  });
});
