/**
 * What the per-symbol stages derive from the model slots once instead of every cycle (horizon
 * minutes, freshness tau, temperature, barrier slot keys), and the window-based arithmetic of the
 * stages: IC_live from the memoised ranks and the blend correlation straight from the history
 * columns. Each computes exactly what the array-based pipeline functions compute, with the same
 * operations in the same order (the journals stay byte-identical); where those functions would
 * throw a typed error, the callers fall back to them so the error is the same too.
 */
import type { LiveTradingConfig } from '../config/schema.ts';
import { FRESHNESS_TAU_SECONDS, horizonMinutes, isHorizon } from '../core/horizons.ts';
import { MIN_IC_PAIRS } from '../pipeline/confidence.ts';
import { clip } from '../pipeline/stats.ts';
import type { ModelSlot } from './predictor.ts';
import type { BlendHistory, SlotWindows } from './symbolState.ts';
import type { Lane } from './rollingWindow.ts';

export interface HorizonPlan {
  horizon: string;
  minutes: number;
  tauSeconds: number;
  temperature: number;
}

export interface StagePlan {
  /** The slots and config the plan was built from (rebuilt if either object changes). */
  slots: readonly ModelSlot[];
  config: LiveTradingConfig;
  /** Horizons of the alpha slots, in the order they first appear. */
  horizons: Map<string, HorizonPlan>;
  /** Per slot (same index as slots): the position of its horizon in `horizons` (alpha slots only). */
  horizonOfSlot: number[];
  /** Slot keys of the barrier models per role and horizon, in slot order. */
  barrierKeys: Map<string, string[]>;
  /** Reused buffers for the aligned blend series (stages run one symbol at a time). */
  scratch: { series: Float32Array[] };
}

export function buildStagePlan(slots: readonly ModelSlot[], config: LiveTradingConfig): StagePlan {
  const horizons = new Map<string, HorizonPlan>();
  const barrierKeys = new Map<string, string[]>();
  const horizonOfSlot: number[] = [];
  for (const slot of slots) {
    horizonOfSlot.push(slot.role === 'alpha' ? (horizons.has(slot.horizon) ? [...horizons.keys()].indexOf(slot.horizon) : horizons.size) : -1);
    if (slot.role !== 'alpha') {
      const key = `${slot.role}|${slot.horizon}`;
      if (!barrierKeys.has(key)) barrierKeys.set(key, []);
      barrierKeys.get(key)!.push(slot.key);
      continue;
    }
    if (horizons.has(slot.horizon)) continue;
    const minutes = horizonMinutes(slot.horizon);
    horizons.set(slot.horizon, {
      horizon: slot.horizon,
      minutes,
      tauSeconds: isHorizon(slot.horizon) ? FRESHNESS_TAU_SECONDS[slot.horizon] : (60 * minutes) / 2,
      temperature: (config.blending.temperature as Record<string, number | undefined>)[slot.horizon] ?? 1,
    });
  }
  return { slots, config, horizons, horizonOfSlot, barrierKeys, scratch: { series: [] } };
}

/** Mean of the finite barrier outputs of `role` at `horizon` (slot order), null when none. */
export function barrierMean(plan: StagePlan, outputs: Readonly<Record<string, number | null>>, role: 'peak' | 'valley', horizon: string): number | null {
  const keys = plan.barrierKeys.get(`${role}|${horizon}`);
  if (!keys) return null;
  let sum = 0;
  let count = 0;
  for (const key of keys) {
    const v = outputs[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    sum += v;
    count++;
  }
  return count === 0 ? null : sum / count;
}

/**
 * IC_live of a slot as `confidence` computes it (Spearman of the last icWindow pairs, null under
 * 5 pairs); undefined when only `confidence` itself can answer (non-finite pairs, which it
 * reports as a typed error, or a window it would have to cut).
 */
export function liveIC(windows: SlotWindows, icWindow: number): number | null | undefined {
  const n = windows.pairs.length;
  if (!Number.isInteger(icWindow) || icWindow < 1 || n > icWindow) return undefined;
  if (n < MIN_IC_PAIRS) return null;
  return windows.pairs.spearman();
}

/**
 * `correlationMatrix(series, minAligned)` where series[i] is family columns[i]'s z over the rows
 * of the blend history in which every one of `columns` has a z (what blendStage used to build
 * with filter/map): read in place when no row misses one (the usual case), else gathered once.
 */
export function alignedCorrelation(history: BlendHistory | undefined, columns: readonly number[], minAligned: number, plan: StagePlan): number[][] {
  const n = columns.length;
  const corr: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(i === j ? 1 : 0);
    corr.push(row);
  }
  if (n === 0 || history === undefined) return corr;
  let need = 0;
  for (const c of columns) need |= 1 << c;
  const { lanes, start, end } = history.window;
  const masks = lanes[0];
  let aligned = history.fullRows;
  if (need !== history.fullMask || aligned !== end - start) {
    aligned = 0;
    for (let r = start; r < end; r++) if ((masks[r] & need) === need) aligned++;
  }
  if (aligned < minAligned) return corr;
  const data: Lane[] = [];
  let from = start;
  if (aligned === end - start) {
    for (const c of columns) data.push(lanes[1 + c]);
  } else {
    const series = plan.scratch.series;
    for (let i = 0; i < n; i++) {
      if (series.length <= i || series[i].length < aligned) series[i] = new Float32Array(2 * (end - start));
      const column = lanes[1 + columns[i]];
      let k = 0;
      for (let r = start; r < end; r++) if ((masks[r] & need) === need) series[i][k++] = column[r];
      data.push(series[i]);
    }
    from = 0;
  }
  const to = from + aligned;
  // pearson(series[i], series[j]) per pair, with each series' checks, mean and sum of squares
  // formed once (the same operations pearson repeats for every pair it is in).
  const usable: boolean[] = [];
  const means: number[] = [];
  const squares: number[] = [];
  for (let i = 0; i < n; i++) {
    const values = data[i];
    const first = values[from];
    let finite = true;
    let constant = true;
    let sum = 0;
    for (let r = from; r < to; r++) {
      const v = values[r];
      if (!Number.isFinite(v)) finite = false;
      if (v !== first) constant = false;
      sum += v;
    }
    const mean = sum / aligned;
    let ss = 0;
    for (let r = from; r < to; r++) {
      const d = values[r] - mean;
      ss += d * d;
    }
    // A non-finite z (pearson throws) or a constant series (pearson is null) correlates 0.
    usable.push(finite && !constant);
    means.push(mean);
    squares.push(ss);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (!usable[i] || !usable[j] || squares[i] <= 0 || squares[j] <= 0) continue;
      const xs = data[i];
      const ys = data[j];
      const mx = means[i];
      const my = means[j];
      let sxy = 0;
      for (let r = from; r < to; r++) sxy += (xs[r] - mx) * (ys[r] - my);
      corr[i][j] = corr[j][i] = clip(sxy / Math.sqrt(squares[i] * squares[j]), -1, 1);
    }
  }
  return corr;
}
