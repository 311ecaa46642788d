/**
 * Persistent per-symbol state, kept in the SymbolStore beside the symbol actor. In memory the
 * windows are typed-array FIFOs (rollingWindow.ts and the classes built on it) so a cycle neither
 * splices nor copies them, and what the stages need from them (the standardizer's scale, the IC
 * pairs' ranks) is kept up to date as values arrive; `symbolStateToJSON` / `symbolStateFromJSON`
 * convert to and from the persisted plain-JSON shape (arrays of numbers, null for a missing
 * value), which did not change.
 *
 * Model outputs and realised returns are rounded to float32 when they enter a window, so the
 * snapshot can store windows as exact float32 (half the bytes of float64) and a restored engine
 * continues bit-for-bit. float32 keeps 7 significant digits, far below any model's precision.
 */
import type { Bar, Quote } from '../core/types.ts';
import { horizonMinutes } from '../core/horizons.ts';
import type { ModelSlot } from './predictor.ts';
import { BlendHistory } from './blendHistory.ts';
import { PendingPredictions, type PendingQueue } from './pendingPredictions.ts';
import { RankedPairs } from './rankedPairs.ts';
import { RollingWindow, type LaneAllocator } from './rollingWindow.ts';
import { StandardizerWindow } from './standardizerWindow.ts';

export { BlendHistory } from './blendHistory.ts';
export type { PendingQueue } from './pendingPredictions.ts';

/** Windows of one (horizon, family) alpha model for this symbol. */
export interface SlotWindows {
  /** Standardizer FIFO of raw outputs (standardization.window). */
  raw: StandardizerWindow;
  /** IC pairs: raw prediction and the realised return over the horizon (confidence.ic_window). */
  pairs: RankedPairs;
  /** Last 10 prediction errors (raw - realised). */
  errors: RollingWindow;
}

export interface SymbolState {
  symbol: string;
  /** Bars seen in total (monotonic index of the latest bar). */
  barCount: number;
  /** Ring of recent bars, oldest first (bounded by `maxBars`); the predictor reads these columns. */
  bars: { ts: number[]; open: number[]; high: number[]; low: number[]; close: number[]; volume: number[] };
  maxBars: number;
  quote: Quote | null;
  slots: Record<string, SlotWindows>;
  blendHistory: Record<string, BlendHistory>;
  pending: Record<string, PendingPredictions>;
}

/** The persisted shape of a SymbolState (the snapshot's `symbols` section before numeric encoding). */
export interface SymbolStateJSON {
  symbol: string;
  barCount: number;
  bars: { ts: number[]; open: number[]; high: number[]; low: number[]; close: number[]; volume: number[] };
  maxBars: number;
  quote: Quote | null;
  slots: Record<string, { raw: number[]; pairPred: number[]; pairReal: number[]; errors: number[] }>;
  blendHistory: Record<string, (number | null)[][]>;
  pending: Record<string, PendingQueue>;
}

export interface SymbolStateLimits {
  maxBars: number;
  standardizationWindow: number;
  icWindow: number;
  blendWindow: number;
  barMinutes: number;
}

/** Pending predictions per horizon are sampled so that at most this many wait at once. */
export const MAX_PENDING_PER_HORIZON = 64;
const ERROR_WINDOW = 10;

function slotWindows(json?: { raw: number[]; pairPred: number[]; pairReal: number[]; errors: number[] }, alloc?: LaneAllocator): SlotWindows {
  return { raw: new StandardizerWindow(json?.raw, alloc), pairs: new RankedPairs(json?.pairPred, json?.pairReal, alloc), errors: new RollingWindow(json?.errors, [Float32Array], alloc) };
}

/** `alloc`: where the windows' lanes live (the SymbolStore passes one arena for all its symbols). */
export function createSymbolState(symbol: string, slots: readonly ModelSlot[], limits: SymbolStateLimits, alloc?: LaneAllocator): SymbolState {
  const state: SymbolState = {
    symbol,
    barCount: 0,
    bars: { ts: [], open: [], high: [], low: [], close: [], volume: [] },
    maxBars: limits.maxBars,
    quote: null,
    slots: {},
    blendHistory: {},
    pending: {},
  };
  const families: Record<string, string[]> = {};
  for (const slot of slots) {
    if (slot.role !== 'alpha') continue;
    state.slots[slot.key] = slotWindows(undefined, alloc);
    (families[slot.horizon] ??= []).push(slot.family);
  }
  for (const [horizon, list] of Object.entries(families)) {
    const sorted = [...new Set(list)].sort();
    state.pending[horizon] = new PendingPredictions(sorted, [], undefined, alloc);
    state.blendHistory[horizon] = new BlendHistory(sorted.length, [], alloc);
  }
  return state;
}

/** The persisted plain-JSON form (same fields and order as ever; windows oldest first). */
export function symbolStateToJSON(state: SymbolState, options: { skipSlots?: boolean } = {}): SymbolStateJSON {
  const b = state.bars;
  const slots: SymbolStateJSON['slots'] = {};
  for (const [key, w] of Object.entries(options.skipSlots ? {} : state.slots)) {
    slots[key] = { raw: w.raw.toArray(), pairPred: w.pairs.predictions(), pairReal: w.pairs.realised(), errors: w.errors.toArray() };
  }
  const history: SymbolStateJSON['blendHistory'] = {};
  for (const [horizon, h] of Object.entries(state.blendHistory)) history[horizon] = h.toRows();
  const pending: SymbolStateJSON['pending'] = {};
  for (const [horizon, q] of Object.entries(state.pending)) pending[horizon] = q.toJSON();
  return {
    symbol: state.symbol,
    barCount: state.barCount,
    bars: { ts: [...b.ts], open: [...b.open], high: [...b.high], low: [...b.low], close: [...b.close], volume: [...b.volume] },
    maxBars: state.maxBars,
    quote: state.quote,
    slots,
    blendHistory: history,
    pending,
  };
}

/** Inverse of symbolStateToJSON. */
export function symbolStateFromJSON(json: SymbolStateJSON): SymbolState {
  const slots: Record<string, SlotWindows> = {};
  for (const [key, w] of Object.entries(json.slots)) slots[key] = slotWindows(w);
  const history: Record<string, BlendHistory> = {};
  for (const [horizon, rows] of Object.entries(json.blendHistory)) {
    history[horizon] = new BlendHistory(Math.max(json.pending[horizon]?.families.length ?? 0, ...rows.map((row) => row.length)), rows);
  }
  const b = json.bars;
  return {
    symbol: json.symbol,
    barCount: json.barCount,
    bars: { ts: [...b.ts], open: [...b.open], high: [...b.high], low: [...b.low], close: [...b.close], volume: [...b.volume] },
    maxBars: json.maxBars,
    quote: json.quote,
    slots,
    blendHistory: history,
    pending: Object.fromEntries(Object.entries(json.pending).map(([h, q]) => [h, new PendingPredictions(q.families, q.rows)])),
  };
}

/** Append and drop the oldest beyond `cap` (one shift in the steady state: V8 trims in place). */
function pushBounded(list: number[], value: number, cap: number): void {
  list.push(value);
  if (list.length === cap + 1) list.shift();
  else if (list.length > cap) list.splice(0, list.length - cap);
}

/** Bars of the data interval that make up a horizon (at least one). */
export function horizonBars(horizon: string, barMinutes: number): number {
  return Math.max(1, Math.round(horizonMinutes(horizon) / barMinutes));
}

/** Sampling stride of pending predictions for a horizon: keeps the queue <= MAX_PENDING_PER_HORIZON. */
export function pendingStride(horizon: string, barMinutes: number): number {
  return Math.max(1, Math.ceil(horizonBars(horizon, barMinutes) / MAX_PENDING_PER_HORIZON));
}

/**
 * Append a closed bar; then pair every pending prediction whose horizon has elapsed with its
 * realised return (the feedback the old engine never gave).
 */
export function ingestBar(state: SymbolState, bar: Bar, limits: SymbolStateLimits): void {
  const b = state.bars;
  const cap = state.maxBars;
  pushBounded(b.ts, bar.ts, cap);
  pushBounded(b.open, bar.open, cap);
  pushBounded(b.high, bar.high, cap);
  pushBounded(b.low, bar.low, cap);
  pushBounded(b.close, bar.close, cap);
  pushBounded(b.volume, bar.volume, cap);
  state.barCount += 1;
  const index = state.barCount - 1;
  for (const horizon in state.pending) {
    const queue = state.pending[horizon];
    if (queue.length === 0) continue;
    const due = horizonBars(horizon, limits.barMinutes);
    const targets = (queue.targets ??= queue.families.map((family) => state.slots[`${horizon}|${family}|alpha`]));
    while (queue.length > 0 && index - queue.barIndex(0) >= due) {
      const realised = Math.fround(bar.close / queue.close(0) - 1);
      for (let f = 0; f < targets.length; f++) {
        const raw = queue.raw(0, f);
        const slot = targets[f];
        if (Number.isNaN(raw) || !slot) continue;
        slot.pairs.push(raw, realised, limits.icWindow);
        slot.errors.push(Math.fround(raw - realised), ERROR_WINDOW);
      }
      queue.shift();
    }
  }
}

/** Remember this cycle's raw predictions so they can be paired once their horizon elapses. */
export function recordPending(
  state: SymbolState,
  horizon: string,
  rawByFamily: Readonly<Record<string, number | null>>,
  barMinutes: number,
): void {
  recordPendingFamilies(state, horizon, Object.entries(rawByFamily).map(([family, raw]) => ({ family, raw })), barMinutes);
}

/** recordPending from this cycle's family traces (no per-cycle record of raws). */
export function recordPendingFamilies(state: SymbolState, horizon: string, families: readonly { family: string; raw: number | null }[], barMinutes: number): void {
  const queue = state.pending[horizon];
  if (!queue || state.barCount === 0) return;
  const index = state.barCount - 1;
  if (index % pendingStride(horizon, barMinutes) !== 0) return;
  if (queue.length > 0 && queue.barIndex(queue.length - 1) === index) return;
  const close = state.bars.close[state.bars.close.length - 1];
  const raws = queue.scratch;
  let any = false;
  for (let f = 0; f < queue.families.length; f++) {
    let raw: number | null = null;
    for (const family of families) if (family.family === queue.families[f]) raw = family.raw;
    raws[f] = raw === null ? NaN : Math.fround(raw);
    any ||= raw !== null;
  }
  if (any) queue.push(index, close, raws);
}

export function pushRaw(slot: SlotWindows, raw: number, window: number): void {
  slot.raw.push(Math.fround(raw), window);
}

export function pushBlendRow(state: SymbolState, horizon: string, row: (number | null)[], window: number): void {
  (state.blendHistory[horizon] ??= new BlendHistory(row.length)).push(row, window);
}

export function latestBar(state: SymbolState): Bar | null {
  const b = state.bars;
  const n = b.ts.length;
  if (n === 0) return null;
  return { symbol: state.symbol, ts: b.ts[n - 1], open: b.open[n - 1], high: b.high[n - 1], low: b.low[n - 1], close: b.close[n - 1], volume: b.volume[n - 1] };
}

export function recentBars(state: SymbolState): Bar[] {
  const b = state.bars;
  return b.ts.map((ts, i) => ({ symbol: state.symbol, ts, open: b.open[i], high: b.high[i], low: b.low[i], close: b.close[i], volume: b.volume[i] }));
}
