/**
 * The IC pairs of one slot (raw prediction, realised return) with every value's average rank kept
 * up to date as pairs arrive, so Spearman IC_live costs one pass over the window per new pair
 * instead of two sorts per slot per cycle.
 *
 * Ranks are stored doubled (2*rank, an integer) and the sums of the centred doubled ranks
 * D = 2*rank - (n+1) are integers far below 2^53, so they are exact; `spearman` (pearson over
 * average ranks) is exact up to its final division too (half-integer ranks, mean (n+1)/2), so
 * rho comes out bit-identical whatever order the sums are formed in.
 */
import { spearmanFromRankSums } from '../pipeline/stats.ts';
import { RollingWindow, type LaneAllocator } from './rollingWindow.ts';

const PRED = 0;
const REAL = 1;
const RANK_PRED = 2;
const RANK_REAL = 3;

/** Change of the doubled rank of a value `v` when `other` joins (+) or leaves (-): 2 above it, 1 tied, 0 below. */
function rankStep(v: number, other: number): number {
  return +(v > other) + +(v >= other);
}

export class RankedPairs {
  /** Lanes: prediction, realised, doubled rank of each. */
  readonly window: RollingWindow;
  /** Sums over the window of Dpred*Dreal, Dpred^2, Dreal^2. */
  private sxy = 0;
  private sxx = 0;
  private syy = 0;
  /** False after a NaN arrived (ranks against it mean nothing): rebuilt once the window is finite. */
  private ranked = true;
  /** Sequence number of the newest pair with a non-finite value, -1 for none. */
  private nonFinite = -1;

  /**
   * From persisted windows (equal lengths; a longer one keeps its newest values), as arrays or
   * typed-array views; `alloc`: where the lanes live (a restore passes an arena).
   */
  constructor(predictions: ArrayLike<number> = [], realised: ArrayLike<number> = [], alloc?: LaneAllocator) {
    const n = Math.min(predictions.length, realised.length);
    const fromPred = predictions.length - n;
    const fromReal = realised.length - n;
    this.window = new RollingWindow(fromPred === 0 ? predictions : Array.prototype.slice.call(predictions, fromPred), [Float32Array, Float32Array, Int32Array, Int32Array], alloc);
    for (let i = 0; i < n; i++) this.window.write(REAL, i, realised[fromReal + i]);
    for (let i = 0; i < n; i++) if (!Number.isFinite(predictions[i]) || !Number.isFinite(realised[i])) this.nonFinite = i;
    this.ranked = false;
  }

  get length(): number {
    return this.window.length;
  }

  predictions(): number[] {
    return this.window.toArray(PRED);
  }

  realised(): number[] {
    return this.window.toArray(REAL);
  }

  /** Append a pair, dropping the oldest beyond `cap`, and update every rank and the sums. */
  push(prediction: number, realised: number, cap: number): void {
    const w = this.window;
    if (!Number.isFinite(prediction) || !Number.isFinite(realised)) this.nonFinite = w.pushed;
    if (Number.isNaN(prediction) || Number.isNaN(realised)) this.ranked = false;
    if (!this.ranked) {
      const row = w.appendRow(cap);
      w.write(PRED, row, prediction);
      w.write(REAL, row, realised);
      return;
    }
    const [px, py, rx, ry] = w.lanes;
    const dropped = Math.max(0, w.length + 1 - cap);
    // Only a shrunk cap drops more than one pair: those leave first, one pass each.
    for (let gone = w.start; gone < w.start + dropped - 1; gone++) {
      for (let i = gone + 1; i < w.end; i++) {
        rx[i] -= rankStep(px[i], px[gone]);
        ry[i] -= rankStep(py[i], py[gone]);
      }
    }
    // One pass over the pairs that stay: the leaving pair's and the new pair's rank steps, and
    // the sums of the centred ranks (centre = n + 1 for the window after the push).
    const first = w.start + dropped;
    const survivors = w.end - first;
    const centre = survivors + 2;
    let aboveX = 0;
    let aboveY = 0;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    const gone = first - 1;
    const goneX = dropped > 0 ? px[gone] : NaN;
    const goneY = dropped > 0 ? py[gone] : NaN;
    for (let i = first; i < w.end; i++) {
      const x = px[i];
      const y = py[i];
      const stepX = rankStep(x, prediction);
      const stepY = rankStep(y, realised);
      aboveX += stepX;
      aboveY += stepY;
      // Against NaN (nothing leaving) both comparisons are false: a step of 0.
      const dx = (rx[i] += stepX - rankStep(x, goneX)) - centre;
      const dy = (ry[i] += stepY - rankStep(y, goneY)) - centre;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    const doubledX = 2 * survivors - aboveX + 2;
    const doubledY = 2 * survivors - aboveY + 2;
    const dx = doubledX - centre;
    const dy = doubledY - centre;
    this.sxy = sxy + dx * dy;
    this.sxx = sxx + dx * dx;
    this.syy = syy + dy * dy;
    const row = w.appendRow(cap); // may move the lanes: write through the new ones
    w.write(PRED, row, prediction);
    w.write(REAL, row, realised);
    w.lanes[RANK_PRED][row] = doubledX;
    w.lanes[RANK_REAL][row] = doubledY;
  }

  /** spearman(predictions, realised); undefined while a non-finite value is in the window (spearman throws). */
  spearman(): number | null | undefined {
    const w = this.window;
    if (this.nonFinite >= w.pushed - w.length) return undefined;
    if (!this.ranked) this.rank();
    if (w.length < 2) return null;
    return spearmanFromRankSums(this.sxy, this.sxx, this.syy);
  }

  /** Ranks from scratch (after a restore or once a NaN has left): O(n^2), rare. */
  private rank(): void {
    const { lanes, start, end } = this.window;
    const [px, py, rx, ry] = lanes;
    const centre = end - start + 1;
    this.sxy = this.sxx = this.syy = 0;
    for (let i = start; i < end; i++) {
      let doubledX = 1;
      let doubledY = 1;
      for (let j = start; j < end; j++) {
        doubledX += px[i] > px[j] ? 2 : px[i] === px[j] ? 1 : 0;
        doubledY += py[i] > py[j] ? 2 : py[i] === py[j] ? 1 : 0;
      }
      rx[i] = doubledX;
      ry[i] = doubledY;
      const dx = doubledX - centre;
      const dy = doubledY - centre;
      this.sxy += dx * dy;
      this.sxx += dx * dx;
      this.syy += dy * dy;
    }
    this.ranked = true;
  }
}
