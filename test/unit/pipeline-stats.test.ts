import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataError } from '../../src/core/errors.ts';
import { clip, mean, pearson, populationStd, ranks, sampleStd, spearman } from '../../src/pipeline/stats.ts';
import { expectRel } from './pipeline-expect.ts';


describe('stats', () => {
  const sample = [2, 4, 4, 4, 5, 5, 7, 9];

  it('computes the mean, the population std (n) and the sample std (n-1)', () => {
    expect(mean(sample)).toBe(5);
    expectRel(populationStd(sample), 2);
    expectRel(sampleStd(sample), 2.138089935299395);
  });

  it('returns null instead of NaN when there are too few values', () => {
    expect(mean([])).toBeNull();
    expect(populationStd([])).toBeNull();
    expect(sampleStd([3])).toBeNull();
  });

  it('gives tied values the average of the ranks they span', () => {
    expect(ranks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(ranks([3, 1, 2])).toEqual([3, 1, 2]);
    expect(ranks([7, 7, 7])).toEqual([2, 2, 2]);
  });

  it('computes Pearson correlation of linear and anti-linear series exactly', () => {
    expect(pearson([1, 2, 3, 4], [3, 5, 7, 9])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [9, 7, 5, 3])).toBeCloseTo(-1, 12);
  });

  it('computes Spearman correlation with ties as scipy does (0.763158)', () => {
    expectRel(spearman([1, 2, 2, 3, 4], [2, 1, 3, 3, 5]), 0.7631578947368421);
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
  });

  it('returns null for a zero-variance side or fewer than 2 pairs', () => {
    expect(pearson([0.1, 0.1, 0.1], [1, 2, 3])).toBeNull();
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(spearman([1], [2])).toBeNull();
  });

  it('throws a typed DataError on non-finite input or misaligned pairs', () => {
    expect(() => pearson([1, NaN, 3], [1, 2, 3])).toThrow(DataError);
    expect(() => spearman([1, 2, 3], [1, Infinity, 3])).toThrow(DataError);
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(DataError);
  });

  it('clips into [lo, hi]', () => {
    expect(clip(5, -3, 3)).toBe(3);
    expect(clip(-5, -3, 3)).toBe(-3);
    expect(clip(1.5, -3, 3)).toBe(1.5);
  });

  it('keeps correlations within [-1, 1] for any finite series', () => {
    const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite), { minLength: 2, maxLength: 40 }), (pairs) => {
        const xs = pairs.map((p) => p[0]);
        const ys = pairs.map((p) => p[1]);
        for (const r of [pearson(xs, ys), spearman(xs, ys)]) {
          if (r !== null) {
            expect(Number.isFinite(r)).toBe(true);
            expect(Math.abs(r)).toBeLessThanOrEqual(1);
          }
        }
      }),
    );
  });
});
