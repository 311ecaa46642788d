/**
 * Raw predictions of one (symbol, horizon) waiting for the horizon to elapse, one row per
 * sampled bar: [barIndex, closeAtPrediction, raw per family (families sorted)], oldest first.
 * In memory a queue on RollingWindow lanes (0 bar index, 1 close, 2 + f raw of family f, NaN for
 * no raw: a raw is a float32-rounded finite output, never NaN), so recording and pairing them
 * allocates nothing; persisted as rows of (number | null).
 */
import { RollingWindow, type Lane, type LaneAllocator, type LaneKind } from './rollingWindow.ts';
import type { SlotWindows } from './symbolState.ts';

/** The persisted form. */
export interface PendingQueue {
  families: string[];
  rows: (number | null)[][];
}

export class PendingPredictions {
  readonly families: string[];
  readonly window: RollingWindow;
  /** Each family's alpha slot windows, resolved on first pairing (not persisted). */
  targets: (SlotWindows | undefined)[] | null = null;
  /** Reused row of raws for `push`. */
  readonly scratch: Float64Array;

  constructor(families: readonly string[], rows: readonly (readonly (number | null)[])[] = [], lanes?: readonly Lane[], alloc?: LaneAllocator) {
    this.families = [...families];
    const kinds = new Array<LaneKind>(2 + families.length).fill(Float64Array);
    // From a snapshot's packed lanes (bar index, close, raw per family; NaN = no raw): bulk copy.
    this.window = lanes ? RollingWindow.fromLanes(lanes, kinds, alloc) : new RollingWindow([], kinds, alloc);
    this.scratch = new Float64Array(families.length);
    for (const row of rows) {
      const at = this.window.appendRowUnbounded();
      for (let lane = 0; lane < this.window.lanes.length; lane++) {
        const v = row[lane];
        this.window.lanes[lane][at] = v === null || v === undefined ? NaN : v;
      }
    }
  }

  get length(): number {
    return this.window.length;
  }

  /** Bar index of the i-th waiting row, oldest first. */
  barIndex(i: number): number {
    return this.window.at(i, 0);
  }

  close(i: number): number {
    return this.window.at(i, 1);
  }

  /** Raw of family f in the i-th row, NaN when that family had none. */
  raw(i: number, f: number): number {
    return this.window.at(i, 2 + f);
  }

  /** Append a row; `raws` by family in `families` order (already float32-rounded, NaN = none). */
  push(barIndex: number, close: number, raws: ArrayLike<number>): void {
    const at = this.window.appendRowUnbounded();
    const lanes = this.window.lanes;
    lanes[0][at] = barIndex;
    lanes[1][at] = close;
    for (let f = 0; f < this.families.length; f++) lanes[2 + f][at] = raws[f];
  }

  /** Drop the oldest row (it has been paired). */
  shift(): void {
    this.window.shift();
  }

  toJSON(): PendingQueue {
    const rows: (number | null)[][] = [];
    for (let i = 0; i < this.length; i++) {
      const row: (number | null)[] = [this.barIndex(i), this.close(i)];
      for (let f = 0; f < this.families.length; f++) {
        const raw = this.raw(i, f);
        row.push(Number.isNaN(raw) ? null : raw);
      }
      rows.push(row);
    }
    return { families: [...this.families], rows };
  }
}
