/**
 * Persistent per-symbol state, held in the symbol actor's context. Plain JSON only (it is part of
 * the persisted snapshot): arrays of numbers, no Maps, no NaN (missing = null).
 *
 * Model outputs and realised returns are rounded to float32 when they enter a window, so the
 * snapshot can store windows as exact float32 (half the bytes of float64) and a restored engine
 * continues bit-for-bit. float32 keeps 7 significant digits, far below any model's precision.
 */
import type { Bar, Quote } from '../core/types.ts';
import { horizonMinutes } from '../core/horizons.ts';
import type { ModelSlot } from './predictor.ts';

/** Windows of one (horizon, family) alpha model for this symbol. */
export interface SlotWindows {
  /** Standardizer FIFO of raw outputs (standardization.window). */
  raw: number[];
  /** IC pairs: raw prediction and the realised return over the horizon (confidence.ic_window). */
  pairPred: number[];
  pairReal: number[];
  /** Last 10 prediction errors (raw - realised). */
  errors: number[];
}

/** Predictions waiting for their horizon to elapse: [barIndex, closeAtPrediction, raw per family...]. */
export interface PendingQueue {
  families: string[];
  rows: (number | null)[][];
}


export interface SymbolState {
  symbol: string;
  /** Bars seen in total (monotonic index of the latest bar). */
  barCount: number;
  /** Ring of recent bars, oldest first (bounded by `maxBars`). */
  bars: { ts: number[]; open: number[]; high: number[]; low: number[]; close: number[]; volume: number[] };
  maxBars: number;
  quote: Quote | null;
  slots: Record<string, SlotWindows>;
  /** Per horizon: rows of z by alpha family (null when a family had no z), blending.window long. */
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

export function createSymbolState(symbol: string, slots: readonly ModelSlot[], limits: SymbolStateLimits): SymbolState {
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
  for (const slot of slots) {
    if (slot.role !== 'alpha') continue;
    state.slots[slot.key] = { raw: [], pairPred: [], pairReal: [], errors: [] };
    if (!state.blendHistory[slot.horizon]) state.blendHistory[slot.horizon] = [];
    const queue = (state.pending[slot.horizon] ??= { families: [], rows: [] });
    if (!queue.families.includes(slot.family)) queue.families.push(slot.family);
  }
  for (const queue of Object.values(state.pending)) queue.families.sort();
  return state;
}

function pushBounded(list: number[], value: number, cap: number): void {
  list.push(value);
  if (list.length > cap) list.splice(0, list.length - cap);
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
  for (const [horizon, queue] of Object.entries(state.pending)) {
    const due = horizonBars(horizon, limits.barMinutes);
    while (queue.rows.length > 0 && index - (queue.rows[0][0] as number) >= due) {
      const row = queue.rows.shift()!;
      const realised = Math.fround(bar.close / (row[1] as number) - 1);
      queue.families.forEach((family, i) => {
        const raw = row[2 + i];
        if (raw === null || raw === undefined) return;
        const slot = state.slots[`${horizon}|${family}|alpha`];
        if (!slot) return;
        pushBounded(slot.pairPred, raw, limits.icWindow);
        pushBounded(slot.pairReal, realised, limits.icWindow);
        pushBounded(slot.errors, Math.fround(raw - realised), ERROR_WINDOW);
      });
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
  const queue = state.pending[horizon];
  if (!queue || state.barCount === 0) return;
  const index = state.barCount - 1;
  if (index % pendingStride(horizon, barMinutes) !== 0) return;
  const last = queue.rows[queue.rows.length - 1];
  if (last && last[0] === index) return;
  const close = state.bars.close[state.bars.close.length - 1];
  const row: (number | null)[] = [index, close];
  let any = false;
  for (const family of queue.families) {
    const raw = rawByFamily[family];
    row.push(raw === undefined || raw === null ? null : Math.fround(raw));
    any ||= raw !== undefined && raw !== null;
  }
  if (any) queue.rows.push(row);
}

export function pushRaw(slot: SlotWindows, raw: number, window: number): void {
  pushBounded(slot.raw, Math.fround(raw), window);
}

export function pushBlendRow(state: SymbolState, horizon: string, row: (number | null)[], window: number): void {
  const history = (state.blendHistory[horizon] ??= []);
  history.push(row.map((z) => (z === null ? null : Math.fround(z))));
  if (history.length > window) history.splice(0, history.length - window);
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
