import { describe, expect, it } from 'vitest';
import { applyFillToPosition, quoteProblem } from '../../src/brokers/index.ts';
import { DataError } from '../../src/core/errors.ts';

function close(actual: number, expected: number, rel = 1e-9): void {
  const scale = Math.max(Math.abs(expected), 1e-12);
  expect(Math.abs(actual - expected) / scale).toBeLessThan(rel);
}

describe('applyFillToPosition', () => {
  it('opens a long from flat at the fill price', () => {
    const r = applyFillToPosition(null, 'buy', 10, 100, 'SPY');
    expect(r).toEqual({ position: { symbol: 'SPY', qty: 10, avgEntryPrice: 100 }, realisedPnl: 0 });
  });

  it('opens a short from flat with negative qty', () => {
    const r = applyFillToPosition(null, 'sell', 5, 50, 'QQQ');
    expect(r.position).toEqual({ symbol: 'QQQ', qty: -5, avgEntryPrice: 50 });
  });

  it('re-averages the entry price when adding to a long: (10*100 + 30*104) / 40 = 103', () => {
    const r = applyFillToPosition({ symbol: 'SPY', qty: 10, avgEntryPrice: 100 }, 'buy', 30, 104);
    expect(r.position!.qty).toBe(40);
    close(r.position!.avgEntryPrice, 103);
    expect(r.realisedPnl).toBe(0);
  });

  it('re-averages when adding to a short: (4*50 + 6*45) / 10 = 47', () => {
    const r = applyFillToPosition({ symbol: 'X', qty: -4, avgEntryPrice: 50 }, 'sell', 6, 45);
    expect(r.position!.qty).toBe(-10);
    close(r.position!.avgEntryPrice, 47);
  });

  it('keeps the average on a partial reduction and realises (price - avg) * closed', () => {
    const r = applyFillToPosition({ symbol: 'SPY', qty: 40, avgEntryPrice: 103 }, 'sell', 15, 110);
    expect(r.position).toEqual({ symbol: 'SPY', qty: 25, avgEntryPrice: 103 });
    close(r.realisedPnl, 15 * 7);
  });

  it('realises (avg - price) * closed on a short cover', () => {
    const r = applyFillToPosition({ symbol: 'X', qty: -10, avgEntryPrice: 47 }, 'buy', 4, 40);
    expect(r.position).toEqual({ symbol: 'X', qty: -6, avgEntryPrice: 47 });
    close(r.realisedPnl, 4 * 7);
  });

  it('returns null when a fill closes the position exactly', () => {
    const r = applyFillToPosition({ symbol: 'SPY', qty: 25, avgEntryPrice: 103 }, 'sell', 25, 100);
    expect(r.position).toBeNull();
    close(r.realisedPnl, -75);
  });

  it('flips long to short: realises the closed part and starts the short at the fill price', () => {
    const r = applyFillToPosition({ symbol: 'SPY', qty: 10, avgEntryPrice: 100 }, 'sell', 25, 90);
    expect(r.position).toEqual({ symbol: 'SPY', qty: -15, avgEntryPrice: 90 });
    close(r.realisedPnl, -100);
  });

  it('flips short to long at the fill price', () => {
    const r = applyFillToPosition({ symbol: 'X', qty: -3, avgEntryPrice: 20 }, 'buy', 5, 18);
    expect(r.position).toEqual({ symbol: 'X', qty: 2, avgEntryPrice: 18 });
    close(r.realisedPnl, 6);
  });

  it('treats float dust from fractional quantities as flat', () => {
    const a = applyFillToPosition(null, 'buy', 0.1, 10, 'F').position;
    const b = applyFillToPosition(a, 'buy', 0.2, 10).position;
    const c = applyFillToPosition(b, 'sell', 0.3, 10);
    expect(c.position).toBeNull();
  });

  it('throws a typed DataError for a non-positive or non-finite qty or price', () => {
    for (const [qty, price] of [[0, 10], [-1, 10], [Number.NaN, 10], [1, 0], [1, Number.POSITIVE_INFINITY]]) {
      expect(() => applyFillToPosition(null, 'buy', qty, price, 'S')).toThrow(DataError);
    }
  });

  it('throws when opening from flat without a symbol', () => {
    expect(() => applyFillToPosition(null, 'buy', 1, 10)).toThrow(/needs a symbol/);
  });
});

describe('quoteProblem', () => {
  const q = (bid: number, ask: number) => ({ symbol: 'S', ts: 0, bid, ask, bidSize: 1, askSize: 1 });
  it('accepts a normal and a locked quote', () => {
    expect(quoteProblem(q(10, 10.01))).toBeNull();
    expect(quoteProblem(q(10, 10))).toBeNull();
  });
  it('reports NaN, non-positive and crossed quotes', () => {
    expect(quoteProblem(q(Number.NaN, 10))).toMatch(/non-finite/);
    expect(quoteProblem(q(0, 10))).toMatch(/non-positive/);
    expect(quoteProblem(q(10.02, 10))).toMatch(/crossed/);
  });
});
