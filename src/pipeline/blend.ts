/**
 * Blending across model families for one (symbol, horizon) (SPEC 4.4): ridge weights from the
 * families' effective ICs and the correlation of their standardized predictions, then a
 * temperature that sharpens (T < 1) or flattens (T > 1) them.
 */
import { DataError } from '../core/errors.ts';
import { invalidParam, pearson, requireFinite } from './stats.ts';

/** Relative pivot size below which the ridge system is treated as singular. */
const SINGULAR_PIVOT = 1e-12;

function equalWeights(n: number): number[] {
  return new Array<number>(n).fill(1 / n);
}

/** Sigma_ij = pearson over the aligned tail; identity with < minAligned values; NaN -> 0; diag 1. */
export function correlationMatrix(series: readonly (readonly number[])[], minAligned = 10): number[][] {
  const n = series.length;
  const identity: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  if (n === 0) return identity;
  // Families can start predicting on different cycles: only the common tail is aligned in time.
  const aligned = Math.min(...series.map((s) => s.length));
  if (aligned < minAligned) return identity;
  const tails = series.map((s) => s.slice(-aligned));
  const corr = identity;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let r: number | null = null;
      try {
        r = pearson(tails[i], tails[j]);
      } catch (error) {
        // A non-finite standardized value makes the pair's correlation undefined: NaN -> 0.
        if (!(error instanceof DataError)) throw error;
      }
      corr[i][j] = corr[j][i] = r ?? 0;
    }
  }
  return corr;
}

/**
 * Solves A x = b by Gaussian elimination with partial pivoting; null when singular.
 * Hand-written instead of a matrix library: ~20 lines for n <= 10 families, no dependency.
 */
function solve(a: readonly (readonly number[])[], b: readonly number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  const scale = Math.max(...a.map((row) => Math.max(...row.map(Math.abs))));
  if (!(scale > 0) || !Number.isFinite(scale)) return null;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (Math.abs(m[pivot][col]) <= SINGULAR_PIVOT * scale) return null;
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

/** w = clip((Sigma + lambda I)^-1 mu, 0, inf) / sum; equal weights if mu is all 0 or singular. */
export function ridgeWeights(mu: readonly number[], corr: readonly (readonly number[])[], lambda: number): number[] {
  const n = mu.length;
  requireFinite(mu, 'BAD_VALUE', 'mu');
  if (mu.some((m) => m < 0)) {
    throw new DataError('BAD_VALUE', `ridge: mu must be >= 0 (max(IC_eff, 0)), got [${mu.join(', ')}]`, { input: mu.join(',') });
  }
  if (!Number.isFinite(lambda) || lambda < 0) throw invalidParam('blending.ridge_lambda', lambda, 'a finite number >= 0');
  if (corr.length !== n || corr.some((row) => row.length !== n)) {
    throw new DataError('BAD_VALUE', `ridge: correlation matrix is not ${n}x${n}`, { hint: 'one row and column per family' });
  }
  if (n === 0) return [];
  if (n === 1) return [1];
  if (mu.every((m) => m === 0)) return equalWeights(n);
  const system = corr.map((row, i) => row.map((v, j) => (Number.isFinite(v) ? v : 0) + (i === j ? lambda : 0)));
  const x = solve(system, mu);
  if (x === null) return equalWeights(n);
  const clipped = x.map((v) => Math.max(0, v));
  const sum = clipped.reduce((s, v) => s + v, 0);
  if (!(sum > 0) || !Number.isFinite(sum)) return equalWeights(n);
  return clipped.map((v) => v / sum);
}

/** w'_f ∝ w_f^(1/T) over w_f > 0 (T < 1 sharpens), renormalised; all zero -> equal. */
export function temperatureWeights(weights: readonly number[], temperature: number): number[] {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw invalidParam('blending.temperature', temperature, 'a finite number > 0');
  }
  requireFinite(weights, 'BAD_VALUE', 'weights');
  if (weights.some((w) => w < 0)) {
    throw new DataError('BAD_VALUE', `temperature: weights must be >= 0, got [${weights.join(', ')}]`, { input: weights.join(',') });
  }
  const n = weights.length;
  if (n === 0) return [];
  if (weights.every((w) => w === 0)) return equalWeights(n);
  if (temperature === 1) {
    const total = weights.reduce((s, v) => s + v, 0);
    return weights.map((w) => w / total);
  }
  // In log space relative to the largest weight, so w^(1/T) neither overflows nor underflows to all-zero.
  const logs = weights.map((w) => (w > 0 ? Math.log(w) / temperature : -Infinity));
  const top = Math.max(...logs);
  const powered = logs.map((l) => (l === -Infinity ? 0 : Math.exp(l - top)));
  const sum = powered.reduce((s, v) => s + v, 0);
  return powered.map((v) => v / sum);
}

/** alpha_h = sum_f w_f * alpha_f; confidence_h = sum_f w_f * c_f. */
export function blendAlpha(
  alphas: readonly number[],
  confidences: readonly number[],
  weights: readonly number[],
): { alpha: number; confidence: number } {
  if (alphas.length !== weights.length || confidences.length !== weights.length) {
    throw new DataError(
      'LENGTH_MISMATCH',
      `blend: ${alphas.length} alphas, ${confidences.length} confidences, ${weights.length} weights`,
      { hint: 'one alpha, confidence and weight per family, in the same order' },
    );
  }
  requireFinite(alphas, 'BAD_VALUE', 'alphas');
  requireFinite(confidences, 'BAD_VALUE', 'confidences');
  requireFinite(weights, 'BAD_VALUE', 'weights');
  let alpha = 0;
  let confidence = 0;
  for (let f = 0; f < weights.length; f++) {
    alpha += weights[f] * alphas[f];
    confidence += weights[f] * confidences[f];
  }
  return { alpha, confidence };
}
