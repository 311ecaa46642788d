/**
 * Small shared statistics for the pipeline stages.
 *
 * Hand-written rather than taken from a library (e.g. simple-statistics) on purpose: each
 * function is a few lines, and the pipeline needs exact semantics that libraries do not give:
 * `null` instead of NaN for undefined results (zero variance, too few values), a typed
 * `DataError` naming the offending index for non-finite input, and average ranks for ties.
 */
import { ConfigError, DataError } from '../core/errors.ts';

/** Throws DataError(code) naming the first non-finite value; returns the array for chaining. */
export function requireFinite(values: readonly number[], code: string, what: string): readonly number[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DataError(code, `${what}[${i}] is ${String(v)}, expected a finite number`, {
        input: `${what}[${i}]=${String(v)}`,
        hint: 'drop or repair the bad value upstream before it enters the window',
      });
    }
  }
  return values;
}

/** A parameter the config schema would have refused, passed to a stage directly. */
export function invalidParam(key: string, value: unknown, expected: string): ConfigError {
  return new ConfigError('<pipeline parameters>', key, `${String(value)} is invalid: expected ${expected}`);
}

/** clip(x, lo, hi) = min(hi, max(lo, x)). */
export function clip(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** mean = sum(x)/n; null for an empty input. */
export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sum of squared deviations from the mean (two-pass for accuracy). */
function sumSquaredDeviations(xs: readonly number[], m: number): number {
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return ss;
}

/** Sample std = sqrt(sum (x-mean)^2 / (n-1)); null when n < 2. */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs) as number;
  return Math.sqrt(sumSquaredDeviations(xs, m) / (xs.length - 1));
}

/** Population std = sqrt(sum (x-mean)^2 / n); null when empty. */
export function populationStd(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const m = mean(xs) as number;
  return Math.sqrt(sumSquaredDeviations(xs, m) / xs.length);
}

/** 1-based ranks; tied values share the average of the ranks they span. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const result = new Array<number>(xs.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && xs[order[end + 1]] === xs[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) result[order[k]] = averageRank;
    start = end + 1;
  }
  return result;
}

function isConstant(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[0]) return false;
  return true;
}

/** Correlated series must be aligned, finite pairs. */
function requireFinitePairs(xs: readonly number[], ys: readonly number[], what: string): void {
  if (xs.length !== ys.length) {
    throw new DataError('LENGTH_MISMATCH', `${what}: ${xs.length} x values but ${ys.length} y values`, {
      hint: 'correlated series must be aligned pairs',
    });
  }
  requireFinite(xs, 'BAD_VALUE', 'x');
  requireFinite(ys, 'BAD_VALUE', 'y');
}

/** Pearson r = cov(x,y)/(sd(x) sd(y)); null when n < 2 or either side has zero variance. */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  requireFinitePairs(xs, ys, 'pearson');
  // An exactly constant side has no correlation; checking equality avoids 1e-17 rounding
  // residues of the mean masquerading as variance.
  if (xs.length < 2 || isConstant(xs) || isConstant(ys)) return null;
  const mx = mean(xs) as number;
  const my = mean(ys) as number;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx <= 0 || syy <= 0) return null;
  return clip(sxy / Math.sqrt(sxx * syy), -1, 1);
}

/** Spearman rho = pearson(ranks(x), ranks(y)) with average ranks for ties; null as pearson. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  requireFinitePairs(xs, ys, 'spearman');
  return pearson(ranks(xs), ranks(ys));
}

/** True when values[start, start+n) are all finite numbers. */
export function allFinite(values: ArrayLike<number>, start: number, n: number): boolean {
  for (let i = start; i < start + n; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** Plain array copy of values[start, end) (to hand a range to the array-based functions). */
export function rangeToArray(values: ArrayLike<number>, start: number, end: number): number[] {
  const out = new Array<number>(Math.max(0, end - start));
  for (let i = start; i < end; i++) out[i - start] = values[i];
  return out;
}

/**
 * `spearman` from the sums over the pairs of Dx*Dy, Dx^2, Dy^2, D = 2*rank - (n+1) (doubled,
 * centred average ranks; n >= 2, finite values). Ranks are half-integers and their mean is
 * (n+1)/2, so every sum `pearson` forms over them is exact: dividing these by 4 gives the very
 * same doubles, and the result is bit-identical to spearman(xs, ys).
 */
export function spearmanFromRankSums(sdxdy: number, sdxdx: number, sdydy: number): number | null {
  // All-equal values give all-equal ranks: pearson's constant-side null.
  if (sdxdx <= 0 || sdydy <= 0) return null;
  const sxy = sdxdy / 4;
  const sxx = sdxdx / 4;
  const syy = sdydy / 4;
  return clip(sxy / Math.sqrt(sxx * syy), -1, 1);
}
