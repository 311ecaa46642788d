/**
 * The allocation-free rewrites of the pipeline functions must give bit-identical results (the
 * journals of a run are compared byte for byte). Each reference below is the array-based
 * formulation the rewrite replaced, kept verbatim in spirit: same operations, same order.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ridgeWeights, temperatureWeights } from '../../src/pipeline/blend.ts';
import { confidence, confidenceFromFactors, spearman, stability, stabilityRange } from '../../src/pipeline/confidence.ts';
import { mean, populationStd, sampleStd, spearmanFromRankSums } from '../../src/pipeline/stats.ts';
import { standardize, standardizedZScaled } from '../../src/pipeline/standardize.ts';
import { sigmaBar, simpleReturns } from '../../src/pipeline/volatility.ts';

function referenceSolve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  const scale = Math.max(...a.map((row) => Math.max(...row.map(Math.abs))));
  if (!(scale > 0) || !Number.isFinite(scale)) return null;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (Math.abs(m[pivot][col]) <= 1e-12 * scale) return null;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= factor * m[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r][n];
    for (let c = r + 1; c < n; c++) sum -= m[r][c] * x[c];
    x[r] = sum / m[r][r];
  }
  return x.every(Number.isFinite) ? x : null;
}

function referenceRidge(mu: number[], corr: number[][], lambda: number): number[] {
  const n = mu.length;
  if (n === 1) return [1];
  if (mu.every((m) => m === 0)) return new Array<number>(n).fill(1 / n);
  const system = corr.map((row, i) => row.map((v, j) => (Number.isFinite(v) ? v : 0) + (i === j ? lambda : 0)));
  const x = referenceSolve(system, mu);
  if (x === null) return new Array<number>(n).fill(1 / n);
  const clipped = x.map((v) => Math.max(0, v));
  const sum = clipped.reduce((s, v) => s + v, 0);
  if (!(sum > 0) || !Number.isFinite(sum)) return new Array<number>(n).fill(1 / n);
  return clipped.map((v) => v / sum);
}

function referenceTemperature(weights: number[], temperature: number): number[] {
  const n = weights.length;
  if (weights.every((w) => w === 0)) return new Array<number>(n).fill(1 / n);
  if (temperature === 1) {
    const total = weights.reduce((s, v) => s + v, 0);
    return weights.map((w) => w / total);
  }
  const logs = weights.map((w) => (w > 0 ? Math.log(w) / temperature : -Infinity));
  const top = Math.max(...logs);
  const powered = logs.map((l) => (l === -Infinity ? 0 : Math.exp(l - top)));
  const sum = powered.reduce((s, v) => s + v, 0);
  return powered.map((v) => v / sum);
}

function referenceZ(window: number[], minSamples: number): number | null {
  if (window.length === 0 || window.length < minSamples) return null;
  let scale = 0;
  for (const x of window) scale = Math.max(scale, Math.abs(x));
  if (scale === 0) return 0;
  const scaled = window.map((x) => x / scale);
  const m = mean(scaled) as number;
  const sd = populationStd(scaled) as number;
  const zLast = sd > 0 ? (scaled[scaled.length - 1] - m) / sd : null;
  return sd * scale < 1e-12 || zLast === null ? 0 : Math.min(3, Math.max(-3, zLast));
}

const same = (a: unknown, b: unknown) => expect(JSON.stringify(a, (_, v) => (typeof v === 'number' ? String(Object.is(v, -0) ? '-0' : v) : v))).toBe(JSON.stringify(b, (_, v) => (typeof v === 'number' ? String(Object.is(v, -0) ? '-0' : v) : v)));
const unit = fc.double({ min: -1, max: 1, noNaN: true });
const weight = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }));

describe('allocation-free rewrites give bit-identical results', () => {
  it('ridgeWeights equals the array-based Gaussian elimination, singular and clipped cases included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(fc.array(weight, { minLength: n, maxLength: n }), fc.array(fc.array(fc.oneof(unit, fc.constant(1), fc.constant(NaN)), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }), fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })))), ([mu, corr, lambda]) => {
        same(ridgeWeights(mu, corr, lambda), referenceRidge(mu, corr, lambda));
      }),
      { numRuns: 500 },
    );
  });

  it('temperatureWeights equals the array-based log-space formula', () => {
    fc.assert(
      fc.property(fc.array(weight, { minLength: 1, maxLength: 6 }), fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 4, noNaN: true })), (w, t) => {
        same(temperatureWeights(w, t), referenceTemperature(w, t));
      }),
      { numRuns: 500 },
    );
  });

  it('standardize and standardizedZScaled equal the map/mean/populationStd formulation', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(Math.fround), { maxLength: 120 }), fc.integer({ min: 1, max: 40 }), (window, minSamples) => {
        same(standardize(window, minSamples).z, referenceZ(window, minSamples));
        const scale = window.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        const scaled = Float64Array.from([7, ...window.map((x) => x / scale), 9]);
        same(standardizedZScaled(scaled, 1, 1 + window.length, scale, minSamples), referenceZ(window, minSamples));
      }),
      { numRuns: 300 },
    );
  });

  it('sigmaBar equals the sample std of the sliced simple returns', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 500, noNaN: true }), { maxLength: 70 }), fc.integer({ min: 2, max: 30 }), (closes, volWindow) => {
        same(sigmaBar(closes, volWindow), sampleStd(simpleReturns(closes).slice(-volWindow)));
      }),
      { numRuns: 300 },
    );
  });

  it('stabilityRange and confidenceFromFactors equal stability and confidence over arrays', () => {
    fc.assert(
      fc.property(fc.array(unit.map(Math.fround), { maxLength: 14 }), fc.array(fc.tuple(unit, unit).map(([a, b]) => [Math.fround(a), Math.fround(b)]), { maxLength: 12 }), fc.double({ min: 0.0001, max: 0.1, noNaN: true }), (errors, pairs, sigmaH) => {
        const buffer = Float64Array.from([5, ...errors]);
        same(stabilityRange(buffer, 1, buffer.length, sigmaH), stability(errors, sigmaH));
        const xs = pairs.map((p) => p[0]);
        const ys = pairs.map((p) => p[1]);
        const common = { icPrior: 0.05, priorWeight: 20, ageMs: 30_000, tauSeconds: 150, kappa: 0.1, adv: 2e6, plannedNotional: 1e5, sigmaH };
        const viaArrays = confidence({ ...common, predictions: xs, realised: ys, icWindow: 50, errors });
        const icLive = xs.length >= 5 ? spearman(xs, ys) : null;
        same(confidenceFromFactors({ ...common, icLive, pairs: xs.length, errors: buffer, errorsStart: 1, errorsEnd: buffer.length }), viaArrays);
      }),
      { numRuns: 300 },
    );
  });

  it('spearmanFromRankSums over centred doubled ranks equals spearman (ties included)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 2, maxLength: 60 }), (pairs) => {
        const xs = pairs.map((p) => p[0]);
        const ys = pairs.map((p) => p[1]);
        const doubled = (vs: number[]) => vs.map((v) => vs.reduce((r, u) => r + (v > u ? 2 : v === u ? 1 : 0), 1) - (vs.length + 1));
        const dx = doubled(xs);
        const dy = doubled(ys);
        const sum = (f: (i: number) => number) => dx.reduce((s, _, i) => s + f(i), 0);
        same(spearmanFromRankSums(sum((i) => dx[i] * dy[i]), sum((i) => dx[i] * dx[i]), sum((i) => dy[i] * dy[i])), spearman(xs, ys));
      }),
      { numRuns: 300 },
    );
  });
});
