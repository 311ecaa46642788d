import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, DataError } from '../../src/core/errors.ts';
import { blendAlpha, correlationMatrix, ridgeWeights, temperatureWeights } from '../../src/pipeline/blend.ts';
import { expectAllSpecDigits, expectRel } from './pipeline-expect.ts';

function expectSimplex(w: number[]): void {
  for (const x of w) {
    expect(Number.isFinite(x)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
  }
  expect(Math.abs(w.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-9);
}

const specSigma = [
  [1, 0.6, 0.3],
  [0.6, 1, 0.5],
  [0.3, 0.5, 1],
];

describe('blending (SPEC 4.4)', () => {
  it('ridge weights reproduce the worked example (0.834857, 0.0474286, 0.117714)', () => {
    expectAllSpecDigits(ridgeWeights([0.05, 0.03, 0.02], specSigma, 0.15), [0.834857, 0.0474286, 0.117714]);
  });

  it('temperature sharpens below 1 and flattens above 1 as in the worked examples', () => {
    expectAllSpecDigits(temperatureWeights([0.5, 0.3, 0.2], 0.75), [0.555314, 0.281022, 0.163664]);
    expectAllSpecDigits(temperatureWeights([0.5, 0.3, 0.2], 0.85), [0.529505, 0.290316, 0.180179]);
    expectAllSpecDigits(temperatureWeights([0.5, 0.3, 0.2], 1.25), [0.466203, 0.30981, 0.223987]);
  });

  it('temperature 1 leaves weights unchanged and zero weights stay zero', () => {
    expect(temperatureWeights([0.5, 0.3, 0.2], 1)).toEqual([0.5, 0.3, 0.2]);
    const w = temperatureWeights([0.8, 0, 0.2], 0.5);
    expect(w[1]).toBe(0);
    expectRel(w[0], 0.64 / 0.68);
    expectRel(w[2], 0.04 / 0.68);
  });

  it('temperature of all-zero weights is equal weights; T <= 0 or non-finite is a ConfigError', () => {
    expect(temperatureWeights([0, 0], 0.75)).toEqual([0.5, 0.5]);
    expect(() => temperatureWeights([0.5, 0.5], 0)).toThrow(ConfigError);
    expect(() => temperatureWeights([0.5, 0.5], -1)).toThrow(ConfigError);
    expect(() => temperatureWeights([0.5, 0.5], NaN)).toThrow(ConfigError);
  });

  it('gives one model weight 1 and all-zero mu equal weights', () => {
    expect(ridgeWeights([0.04], [[1]], 0.15)).toEqual([1]);
    expect(ridgeWeights([0, 0, 0], specSigma, 0.15)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(ridgeWeights([], [], 0.15)).toEqual([]);
  });

  it('clips a negative ridge solution to 0 before normalising', () => {
    expect(ridgeWeights([0.05, 0.001], [[1, 0.9], [0.9, 1]], 0.15)).toEqual([1, 0]);
  });

  it('falls back to equal weights for a singular system', () => {
    expect(ridgeWeights([0.05, 0.03], [[1, 1], [1, 1]], 0)).toEqual([0.5, 0.5]);
  });

  it('rejects negative or non-finite mu and a mis-shaped matrix with DataError', () => {
    expect(() => ridgeWeights([-0.01, 0.02], [[1, 0], [0, 1]], 0.15)).toThrow(DataError);
    expect(() => ridgeWeights([NaN, 0.02], [[1, 0], [0, 1]], 0.15)).toThrow(DataError);
    expect(() => ridgeWeights([0.01, 0.02], [[1, 0]], 0.15)).toThrow(DataError);
  });

  it('correlation matrix is Pearson over the aligned tail, identity with < 10 aligned values', () => {
    const a = Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const b = a.map((x) => 2 * x + 1);
    const c = a.map((x) => -x);
    const m = correlationMatrix([a, b, c]);
    expect(m[0][0]).toBe(1);
    expect(m[0][1]).toBeCloseTo(1, 12);
    expect(m[0][2]).toBeCloseTo(-1, 12);
    expect(m[2][0]).toBe(m[0][2]);
    expect(correlationMatrix([a.slice(-9), b])).toEqual([[1, 0], [0, 1]]);
  });

  it('correlation aligns series of different lengths on their common tail', () => {
    const a = Array.from({ length: 10 }, (_, i) => i);
    const b = [100, -100, 50, ...a]; // older values that must not count
    expect(correlationMatrix([a, b])[0][1]).toBeCloseTo(1, 12);
  });

  it('correlation with a constant series (NaN) is 0', () => {
    const a = Array.from({ length: 10 }, (_, i) => i);
    expect(correlationMatrix([a, new Array(10).fill(0.5)])).toEqual([[1, 0], [0, 1]]);
  });

  it('blends alphas and confidences with the weights', () => {
    const r = blendAlpha([0.001, -0.002, 0.003], [0.04, 0.02, 0.01], [0.5, 0.3, 0.2]);
    expectRel(r.alpha, 0.0005);
    expectRel(r.confidence, 0.028);
    expect(() => blendAlpha([0.001], [0.04, 0.02], [1])).toThrow(DataError);
    expect(() => blendAlpha([NaN], [0.04], [1])).toThrow(DataError);
  });

  const correlationLike = (n: number) =>
    fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: (n * (n - 1)) / 2, maxLength: (n * (n - 1)) / 2 }).map((upper) => {
      const m: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
      let k = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) m[i][j] = m[j][i] = upper[k++];
      return m;
    });

  it('ridge weights are non-negative, finite and sum to 1 for any mu >= 0, symmetric Sigma, lambda > 0', () => {
    const input = fc.integer({ min: 1, max: 8 }).chain((n) =>
      fc.tuple(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }), correlationLike(n), fc.double({ min: 1e-6, max: 10, noNaN: true })),
    );
    fc.assert(fc.property(input, ([mu, sigma, lambda]) => expectSimplex(ridgeWeights(mu, sigma, lambda))));
  });

  it('temperature weights are non-negative, finite and sum to 1 for any weights >= 0 and T in (0.05, 20)', () => {
    const weights = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 10 });
    const temperature = fc.double({ min: 0.05, max: 20, noNaN: true, minExcluded: true, maxExcluded: true });
    fc.assert(fc.property(weights, temperature, (w, t) => expectSimplex(temperatureWeights(w, t))));
  });
});
