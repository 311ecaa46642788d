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
 * Solves (A + lambda I) x = b, A's non-finite entries read as 0, by Gaussian elimination with
 * partial pivoting; null when singular. Hand-written instead of a matrix library: ~25 lines for
 * n <= 10 families, no dependency; one flat buffer, as blending runs per horizon every cycle.
 */
function solveRidge(a: readonly (readonly number[])[], lambda: number, b: readonly number[]): number[] | null {
  const n = b.length;
  const w = n + 1;
  // A plain array: a typed array costs more to allocate than this whole solve for n = 3.
  const m: number[] = [];
  let scale = -Infinity;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = a[i][j];
      const entry = (Number.isFinite(v) ? v : 0) + (i === j ? lambda : 0);
      m.push(entry);
      scale = Math.max(scale, Math.abs(entry));
    }
    m.push(b[i]);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) return null;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * w + col]) > Math.abs(m[pivot * w + col])) pivot = r;
    if (Math.abs(m[pivot * w + col]) <= SINGULAR_PIVOT * scale) return null;
    if (pivot !== col) {
      for (let c = 0; c < w; c++) {
        const t = m[col * w + c];
        m[col * w + c] = m[pivot * w + c];
        m[pivot * w + c] = t;
      }
    }
    for (let r = col + 1; r < n; r++) {
      const factor = m[r * w + col] / m[col * w + col];
      for (let c = col; c <= n; c++) m[r * w + c] -= factor * m[col * w + c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r * w + n];
    for (let c = r + 1; c < n; c++) sum -= m[r * w + c] * x[c];
    x[r] = sum / m[r * w + r];
  }
  for (const v of x) if (!Number.isFinite(v)) return null;
  return x;
}

/** w = clip((Sigma + lambda I)^-1 mu, 0, inf) / sum; equal weights if mu is all 0 or singular. */
export function ridgeWeights(mu: readonly number[], corr: readonly (readonly number[])[], lambda: number): number[] {
  const n = mu.length;
  requireFinite(mu, 'BAD_VALUE', 'mu');
  let negative = false;
  let allZero = true;
  for (const m of mu) {
    if (m < 0) negative = true;
    if (m !== 0) allZero = false;
  }
  if (negative) {
    throw new DataError('BAD_VALUE', `ridge: mu must be >= 0 (max(IC_eff, 0)), got [${mu.join(', ')}]`, { input: mu.join(',') });
  }
  if (!Number.isFinite(lambda) || lambda < 0) throw invalidParam('blending.ridge_lambda', lambda, 'a finite number >= 0');
  let square = corr.length === n;
  for (const row of corr) if (row.length !== n) square = false;
  if (!square) {
    throw new DataError('BAD_VALUE', `ridge: correlation matrix is not ${n}x${n}`, { hint: 'one row and column per family' });
  }
  if (n === 0) return [];
  if (n === 1) return [1];
  if (allZero) return equalWeights(n);
  const x = solveRidge(corr, lambda, mu);
  if (x === null) return equalWeights(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    x[i] = Math.max(0, x[i]);
    sum += x[i];
  }
  if (!(sum > 0) || !Number.isFinite(sum)) return equalWeights(n);
  for (let i = 0; i < n; i++) x[i] /= sum;
  return x;
}

/** w'_f ∝ w_f^(1/T) over w_f > 0 (T < 1 sharpens), renormalised; all zero -> equal. */
export function temperatureWeights(weights: readonly number[], temperature: number): number[] {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw invalidParam('blending.temperature', temperature, 'a finite number > 0');
  }
  requireFinite(weights, 'BAD_VALUE', 'weights');
  let negative = false;
  let allZero = true;
  for (const w of weights) {
    if (w < 0) negative = true;
    if (w !== 0) allZero = false;
  }
  if (negative) {
    throw new DataError('BAD_VALUE', `temperature: weights must be >= 0, got [${weights.join(', ')}]`, { input: weights.join(',') });
  }
  const n = weights.length;
  if (n === 0) return [];
  if (allZero) return equalWeights(n);
  const out = new Array<number>(n);
  if (temperature === 1) {
    let total = 0;
    for (const w of weights) total += w;
    for (let i = 0; i < n; i++) out[i] = weights[i] / total;
    return out;
  }
  // In log space relative to the largest weight, so w^(1/T) neither overflows nor underflows to all-zero.
  let top = -Infinity;
  for (let i = 0; i < n; i++) {
    out[i] = weights[i] > 0 ? Math.log(weights[i]) / temperature : -Infinity;
    top = Math.max(top, out[i]);
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = out[i] === -Infinity ? 0 : Math.exp(out[i] - top);
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
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
