/**
 * Incremental per-symbol feature state for the live engine. Plain JSON (it lives in XState
 * snapshots): a ring of the last `capacity` bars as number arrays plus the running MACD EMAs.
 * pushBar is O(1); featureRow reads at most `capacity` bars per feature through the same
 * definitions as buildFeatures, so the two agree bit for bit.
 */
import type { Bar } from '../core/types.ts';
import { DataError, StateError } from '../core/errors.ts';
import { evaluateFeature, resolveFeatures } from './definitions.ts';
import { advanceMacd, assertBarUsable, type MacdEmas, type SeriesView } from './series.ts';

export interface FeatureState {
  version: 1;
  /** Features this state was sized for. */
  names: string[];
  /** Ring size in bars: max(lookback of names, maxBars). */
  capacity: number;
  symbol: string | null;
  /** Bars pushed since creation. */
  count: number;
  lastTs: number | null;
  /** Next slot to write; the newest bar sits at head - 1 (mod capacity). */
  head: number;
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
  /** EMAs over every close since the first bar. */
  macd: MacdEmas | null;
}

export interface FeatureRow {
  /** True when every requested feature has a value. */
  ready: boolean;
  values: (number | null)[];
  /** Names whose value is null (not ready), in request order. */
  missing: string[];
}

/** A fresh state whose ring keeps max(lookback of names, maxBars) bars; throws UNKNOWN_FEATURE. */
export function createFeatureState(names: readonly string[], maxBars = 0): FeatureState {
  const lookback = resolveFeatures(names).reduce((most, d) => Math.max(most, d.lookback), 1);
  if (!Number.isInteger(maxBars) || maxBars < 0) {
    throw new StateError('FEATURE_STATE_INVALID', `maxBars must be a non-negative integer, got ${maxBars}`, {
      input: String(maxBars),
    });
  }
  return {
    version: 1,
    names: [...names],
    capacity: Math.max(lookback, maxBars),
    symbol: null,
    count: 0,
    lastTs: null,
    head: 0,
    ts: [],
    open: [],
    high: [],
    low: [],
    close: [],
    volume: [],
    macd: null,
  };
}

/** Appends one bar in place. Throws DataError BAD_BAR, BAR_OUT_OF_ORDER or SYMBOL_MISMATCH and then leaves the state untouched. */
export function pushBar(state: FeatureState, bar: Bar): void {
  assertBarUsable(bar, state.count);
  if (state.symbol !== null && bar.symbol !== state.symbol) {
    throw new DataError('SYMBOL_MISMATCH', `bar of ${bar.symbol} pushed into the feature state of ${state.symbol}`, {
      input: bar.symbol,
      hint: 'keep one feature state per symbol',
    });
  }
  if (state.lastTs !== null && !(bar.ts > state.lastTs)) {
    throw new DataError(
      'BAR_OUT_OF_ORDER',
      `bar ${state.count} of ${bar.symbol} has ts ${bar.ts}, not after the previous bar's ${state.lastTs}`,
      { input: String(bar.ts), hint: 'bars must arrive once each, in time order; skip ones already seen' },
    );
  }
  const slot = state.head;
  state.ts[slot] = bar.ts;
  state.open[slot] = bar.open;
  state.high[slot] = bar.high;
  state.low[slot] = bar.low;
  state.close[slot] = bar.close;
  state.volume[slot] = bar.volume;
  state.head = (slot + 1) % state.capacity;
  state.symbol = bar.symbol;
  state.lastTs = bar.ts;
  state.count += 1;
  state.macd = advanceMacd(state.macd, bar.close);
}

/** Bars held in the ring (at most capacity). */
function heldBars(state: FeatureState): number {
  return Math.min(state.count, state.capacity);
}

/** Ring index of the bar k back from the newest. */
function slotOf(state: FeatureState, k: number): number {
  return (state.head - 1 - k + 2 * state.capacity) % state.capacity;
}

function ringView(state: FeatureState): SeriesView {
  return {
    length: heldBars(state),
    count: state.count,
    close: (k) => state.close[slotOf(state, k)],
    high: (k) => state.high[slotOf(state, k)],
    low: (k) => state.low[slotOf(state, k)],
    volume: (k) => state.volume[slotOf(state, k)],
    macd: state.macd,
  };
}

/** Values of `names` at the newest bar; throws UNKNOWN_FEATURE, or FEATURE_NOT_TRACKED when the ring is too short for one. */
export function featureRow(state: FeatureState, names: readonly string[]): FeatureRow {
  const definitions = resolveFeatures(names);
  const tooLong = definitions.filter((d) => d.lookback > state.capacity).map((d) => d.name);
  if (tooLong.length > 0) {
    throw new StateError(
      'FEATURE_NOT_TRACKED',
      `feature(s) ${tooLong.join(', ')} need more than the ${state.capacity} bars this state keeps`,
      { input: tooLong.join(','), hint: 'create the feature state with every feature the models need' },
    );
  }
  const view = ringView(state);
  const values = definitions.map((d) => evaluateFeature(d, view));
  const missing = names.filter((_, i) => values[i] === null);
  return { ready: missing.length === 0, values, missing };
}

/** The last min(n, held) bars, oldest first (e.g. for sequenceWindow). */
export function recentBars(state: FeatureState, n: number): Bar[] {
  const take = Math.min(Math.max(0, Math.floor(n)), heldBars(state));
  const bars: Bar[] = [];
  for (let k = take - 1; k >= 0; k--) {
    const slot = slotOf(state, k);
    bars.push({
      symbol: state.symbol as string,
      ts: state.ts[slot],
      open: state.open[slot],
      high: state.high[slot],
      low: state.low[slot],
      close: state.close[slot],
      volume: state.volume[slot],
    });
  }
  return bars;
}
