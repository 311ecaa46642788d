import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/core/types.ts';
import { DataError, ModelLoadError } from '../../src/core/errors.ts';
import { sequenceWindow } from '../../src/features/index.ts';

function bar(i: number, close: number, volume: number): Bar {
  return { symbol: 'SEQ', ts: i * 60_000, open: close, high: close + 1, low: close - 1, close, volume };
}

// The window is the last 3 of these 4 bars: closes 11, 12.1, 8.8 and volumes 100, 150, 50.
const bars = [bar(0, 10, 80), bar(1, 11, 100), bar(2, 12.1, 150), bar(3, 8.8, 50)];

function expectRows(actual: Float32Array | null, expected: number[]): void {
  expect(actual).toBeInstanceOf(Float32Array);
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => {
    const got = (actual as Float32Array)[i];
    if (value === 0) expect(got).toBe(0);
    else expect(Math.abs(got - value) / Math.abs(value)).toBeLessThan(1e-6);
  });
}

describe('sequenceWindow (SPEC 6.3 raw_sequence input, [T, C] row-major)', () => {
  it('returns: x / first - 1 per channel, against the window own first bar', () => {
    expectRows(sequenceWindow(bars, 3, ['close', 'volume'], 'returns'), [0, 0, 0.1, 0.5, -0.2, -0.5]);
  });

  it('log_returns: ln(x / first)', () => {
    expectRows(sequenceWindow(bars, 3, ['close', 'volume'], 'log_returns'), [
      0, 0, 0.0953101798, 0.405465108, -0.223143551, -0.693147181,
    ]);
  });

  it('minmax: (x - min) / (max - min) per channel over the window', () => {
    expectRows(sequenceWindow(bars, 3, ['close', 'volume'], 'minmax'), [2 / 3, 0.5, 1, 1, 0, 0]);
  });

  it('none: the raw values, channels in the order asked (names case-insensitive)', () => {
    expectRows(sequenceWindow(bars, 2, ['Volume', 'high', 'low'], 'none'), [150, 13.1, 11.1, 50, 9.8, 7.8]);
  });

  it('gives 0 for a constant channel under minmax', () => {
    const flat = [bar(0, 5, 7), bar(1, 5, 7), bar(2, 5, 9)];
    expectRows(sequenceWindow(flat, 3, ['close', 'volume'], 'minmax'), [0, 0, 0, 0, 0, 1]);
  });

  it('is null with fewer bars than the sequence length', () => {
    expect(sequenceWindow(bars, 5, ['close'], 'returns')).toBeNull();
  });

  it('throws a DataError when the first value of a returns channel is 0', () => {
    const zeroFirst = [bar(0, 10, 0), bar(1, 11, 100)];
    expect(() => sequenceWindow(zeroFirst, 2, ['close', 'volume'], 'returns')).toThrow(
      expect.objectContaining({ code: 'ZERO_BASE' }),
    );
    expect(() => sequenceWindow(zeroFirst, 2, ['volume'], 'log_returns')).toThrow(DataError);
    // A zero volume later in the window would be ln(0) = -Infinity under log_returns.
    expect(() => sequenceWindow([bar(0, 10, 5), bar(1, 11, 0)], 2, ['volume'], 'log_returns')).toThrow(DataError);
    expectRows(sequenceWindow([bar(0, 10, 5), bar(1, 11, 0)], 2, ['volume'], 'returns'), [0, -1]);
  });

  it('throws BAD_BAR for a bad price inside the window and ignores one before it', () => {
    const bad = [bar(0, Number.NaN, 1), bar(1, 11, 100), bar(2, 12, 100)];
    expect(sequenceWindow(bad, 2, ['close'], 'returns')).not.toBeNull();
    expect(() => sequenceWindow(bad, 3, ['close'], 'returns')).toThrow(expect.objectContaining({ code: 'BAD_BAR' }));
  });

  it('refuses unknown channels and non-positive lengths as model load errors', () => {
    expect(() => sequenceWindow(bars, 3, ['close', 'vwap'], 'none')).toThrow(ModelLoadError);
    expect(() => sequenceWindow(bars, 0, ['close'], 'none')).toThrow(ModelLoadError);
  });
});
