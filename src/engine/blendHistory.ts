/**
 * Per (symbol, horizon): one row per cycle of z by alpha family (families sorted by name),
 * blending.window long, for the correlation of the families' standardized predictions.
 * In memory a RollingWindow whose lane 0 is a bit mask of the families that had a z in the row
 * and lane 1 + f family f's z; persisted as rows of (number | null) (null = no z).
 */
import { RollingWindow, type LaneAllocator, type LaneKind } from './rollingWindow.ts';

export class BlendHistory {
  window: RollingWindow;
  width: number;
  /** Mask of a row where every family had a z. */
  fullMask: number;
  /** Rows in the window where every family had a z (the usual case once all are warm). */
  fullRows = 0;

  constructor(width: number, rows: readonly (readonly (number | null)[])[] = [], alloc?: LaneAllocator) {
    this.width = width;
    this.fullMask = 2 ** width - 1;
    this.window = new RollingWindow([], BlendHistory.kinds(width), alloc);
    for (const row of rows) this.push(row, Math.max(rows.length, 1));
  }

  /** From a snapshot's packed lanes: the row masks and one float32 z lane per family (bulk copy). */
  static fromLanes(mask: Int32Array, zs: readonly Float32Array[], alloc?: LaneAllocator): BlendHistory {
    const history = new BlendHistory(zs.length);
    history.window = RollingWindow.fromLanes([mask, ...zs], BlendHistory.kinds(zs.length), alloc);
    for (let r = 0; r < mask.length; r++) if (mask[r] === history.fullMask) history.fullRows++;
    return history;
  }

  /** Lane 0 the mask (Int32), then one float32 z lane per family (z are float32-rounded). */
  private static kinds(width: number): LaneKind[] {
    return [Int32Array, ...new Array<LaneKind>(width).fill(Float32Array)];
  }

  get length(): number {
    return this.window.length;
  }

  /** Append a row (z rounded to float32; null = no z), dropping the oldest beyond `cap`. */
  push(row: readonly (number | null)[], cap: number): void {
    if (row.length > this.width) this.widen(row.length);
    const w = this.window;
    const full = this.fullMask;
    const dropped = Math.max(0, w.length + 1 - cap);
    for (let r = w.start; r < w.start + dropped; r++) if (w.lanes[0][r] === full) this.fullRows--;
    const at = w.appendRow(cap);
    let mask = 0;
    for (let f = 0; f < this.width; f++) {
      const z = f < row.length ? row[f] : null;
      w.lanes[1 + f][at] = z === null ? 0 : Math.fround(z);
      if (z !== null) mask |= 1 << f;
    }
    w.lanes[0][at] = mask;
    if (mask === full) this.fullRows++;
  }

  /** The persisted rows, oldest first. */
  toRows(): (number | null)[][] {
    const w = this.window;
    const rows: (number | null)[][] = [];
    for (let r = w.start; r < w.end; r++) {
      const row: (number | null)[] = [];
      for (let f = 0; f < this.width; f++) row.push(w.lanes[0][r] & (1 << f) ? w.lanes[1 + f][r] : null);
      rows.push(row);
    }
    return rows;
  }

  /** A row wider than the families seen so far (not in normal operation): copy into wider lanes. */
  private widen(width: number): void {
    const rows = this.toRows();
    const cap = Math.max(rows.length, 1);
    this.width = width;
    this.fullMask = 2 ** width - 1;
    this.window = new RollingWindow([], BlendHistory.kinds(width));
    this.fullRows = 0;
    for (const row of rows) this.push(row, cap);
  }
}
