/**
 * Standardizer (SPEC 4.3), one per (symbol, family, horizon): never shared across symbols
 * (deliberate). The caller owns the FIFO of `standardization.window` raw predictions and
 * passes it here with the newest raw already appended as its last element.
 */
import { clip, mean, populationStd, requireFinite } from './stats.ts';

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

/** mean and population std of the window, computed on window/max|x| so sums stay finite near 1e308. */
function scaledMoments(window: readonly number[]): { mean: number; std: number; zLast: number | null } {
  let scale = 0;
  for (const x of window) scale = Math.max(scale, Math.abs(x));
  if (scale === 0) return { mean: 0, std: 0, zLast: null };
  const scaled = window.map((x) => x / scale);
  const m = mean(scaled) as number;
  const sd = populationStd(scaled) as number;
  const zLast = sd > 0 ? (scaled[scaled.length - 1] - m) / sd : null;
  return { mean: m * scale, std: sd * scale, zLast };
}

/** z = clip((raw - mean)/std_pop, -3, 3) over the window incl. raw; warming_up while n < minSamples. */
export function standardize(window: readonly number[], minSamples: number): StandardizeResult {
  // Any non-finite raw is a model error this cycle; it must not reach the mean or the std.
  requireFinite(window, 'BAD_PREDICTION', 'prediction window');
  const n = window.length;
  if (n === 0) return { status: 'warming_up', z: null, mean: null, std: null, n };
  const moments = scaledMoments(window);
  if (n < minSamples) return { status: 'warming_up', z: null, mean: moments.mean, std: moments.std, n };
  const z = moments.std < MIN_STD || moments.zLast === null ? 0 : clip(moments.zLast, -Z_LIMIT, Z_LIMIT);
  return { status: 'ok', z, mean: moments.mean, std: moments.std, n };
}
