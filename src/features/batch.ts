/** Features at the last bar of a whole bar history (the reference the incremental state must match). */
import type { Bar } from '../core/types.ts';
import { MACD_FEATURES, evaluateFeature, resolveFeatures } from './definitions.ts';
import { advanceMacd, arrayView, assertBarUsable, type MacdEmas } from './series.ts';

/**
 * values[name] = feature at bars[bars.length - 1], null while not ready. Throws ModelLoadError
 * UNKNOWN_FEATURE for unknown names and DataError BAD_BAR for a bad bar in the bars it reads
 * (the MACD features read every bar, since their EMAs start at the first one).
 */
export function buildFeatures(bars: readonly Bar[], names: readonly string[]): Record<string, number | null> {
  const definitions = resolveFeatures(names);
  const usesMacd = names.some((name) => MACD_FEATURES.includes(name));
  const lookback = definitions.reduce((most, d) => Math.max(most, d.lookback), 0);
  const firstUsed = usesMacd ? 0 : Math.max(0, bars.length - lookback);
  for (let i = firstUsed; i < bars.length; i++) assertBarUsable(bars[i], i);

  let macd: MacdEmas | null = null;
  if (usesMacd) for (const bar of bars) macd = advanceMacd(macd, bar.close);

  const view = arrayView(bars, macd);
  const values: Record<string, number | null> = {};
  for (const definition of definitions) values[definition.name] = evaluateFeature(definition, view);
  return values;
}
