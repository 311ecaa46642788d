/**
 * Standardizer (SPEC 4.3), one per (symbol, family, horizon): never shared across symbols
 * (deliberate). The caller owns the FIFO of `standardization.window` raw predictions and
 * passes it here with the newest raw already appended as its last element.
 */
import { clip, requireFinite } from './stats.ts';

export interface StandardizeResult {
  status: 'ok' | 'warming_up';
  z: number | null;
  mean: number | null;
  std: number | null;
  n: number;
}

/** Below this population std the window is treated as constant (z = 0, no division blow-up). */
const MIN_STD = 1e-12;
const Z_LIMIT = 3;

/**
 * mean and population std of values[start, end), computed on x/max|x| so sums stay finite near
 * 1e308. Loops instead of map/mean/populationStd (no copy); the operations and their order are
 * the same as mean(scaled) and populationStd(scaled), so the results are bit-identical.
 */
function scaledMoments(values: ArrayLike<number>, start: number, end: number): { mean: number; std: number; zLast: number | null } {
  const n = end - start;
  let scale = 0;
  for (let i = start; i < end; i++) scale = Math.max(scale, Math.abs(values[i]));
  if (scale === 0) return { mean: 0, std: 0, zLast: null };
  let sum = 0;
  for (let i = start; i < end; i++) sum += values[i] / scale;
  const m = sum / n;
  let ss = 0;
  for (let i = start; i < end; i++) {
    const d = values[i] / scale - m;
    ss += d * d;
  }
  const sd = Math.sqrt(ss / n);
  const zLast = sd > 0 ? (values[end - 1] / scale - m) / sd : null;
  return { mean: m * scale, std: sd * scale, zLast };
}

function zOf(moments: { std: number; zLast: number | null }): number {
  return moments.std < MIN_STD || moments.zLast === null ? 0 : clip(moments.zLast, -Z_LIMIT, Z_LIMIT);
}

/** z = clip((raw - mean)/std_pop, -3, 3) over the window incl. raw; warming_up while n < minSamples. */
export function standardize(window: readonly number[], minSamples: number): StandardizeResult {
  // Any non-finite raw is a model error this cycle; it must not reach the mean or the std.
  requireFinite(window, 'BAD_PREDICTION', 'prediction window');
  const n = window.length;
  if (n === 0) return { status: 'warming_up', z: null, mean: null, std: null, n };
  const moments = scaledMoments(window, 0, n);
  if (n < minSamples) return { status: 'warming_up', z: null, mean: moments.mean, std: moments.std, n };
  return { status: 'ok', z: zOf(moments), mean: moments.mean, std: moments.std, n };
}

/**
 * z of the newest value from the window already divided by its scale = max|x| (a caller that
 * keeps the quotients): the same operations as `standardize` from there on. Values must be finite.
 */
export function standardizedZScaled(scaled: ArrayLike<number>, start: number, end: number, scale: number, minSamples: number): number | null {
  const n = end - start;
  if (n === 0 || n < minSamples) return null;
  if (scale === 0) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) sum += scaled[i];
  const m = sum / n;
  let ss = 0;
  for (let i = start; i < end; i++) {
    const d = scaled[i] - m;
    ss += d * d;
  }
  const sd = Math.sqrt(ss / n);
  const zLast = sd > 0 ? (scaled[end - 1] - m) / sd : null;
  return zOf({ std: sd * scale, zLast });
}
