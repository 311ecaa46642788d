/**
 * Fixed-length FIFO windows over Float64Array, for the per-symbol windows that every cycle pushes
 * one value into and then reads whole (standardizer, IC pairs, errors, blend history).
 *
 * Why not number[] + splice: at 500 symbols x 18 slots the splice-per-push and the arrays the
 * stages rebuilt from them every cycle were a large share of the cycle and of GC. Here the live
 * rows are always one contiguous range [start, end) of every lane, so readers loop over it in
 * order (oldest first) without copying, and a push is amortised O(1): the range slides right
 * and is moved back to the front only when it reaches the end of a buffer twice the window.
 * Lane 0 holds the values; further lanes hold per-row values derived from them (see
 * standardizerWindow.ts and rankedPairs.ts) and move with them.
 *
 * Lanes of float32-exact values (model outputs, realised returns, z: all rounded with
 * Math.fround on the way in) are Float32Arrays and integer lanes Int32Arrays: at 500 symbols the
 * windows do not fit in cache, and halving the bytes a cycle reads is a measurable share of it.
 * A value that is not float32-exact turns its lane into a Float64Array first (`write`), so no
 * value is ever rounded by the storage.
 */
export type Lane = Float64Array | Float32Array | Int32Array;
export type LaneKind = Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor;

/** Float32Array when every value is float32-exact (NaN included), else Float64Array. */
export function exactKind(values: ArrayLike<number>): LaneKind {
  for (let i = 0; i < values.length; i++) if (Math.fround(values[i]) !== values[i] && !Number.isNaN(values[i])) return Float64Array;
  return Float32Array;
}

export class RollingWindow {
  lanes: Lane[];
  /** Length of every lane. */
  private capacity: number;
  start = 0;
  end = 0;
  /** Rows appended since this object was created: the newest row has sequence number pushed - 1. */
  pushed = 0;

  constructor(initial: ArrayLike<number> = [], kinds: readonly LaneKind[] = [Float64Array]) {
    const capacity = Math.max(16, 2 * initial.length);
    this.capacity = capacity;
    this.lanes = kinds.map((Kind) => new Kind(capacity));
    if (initial.length > 0 && this.lanes[0] instanceof Float32Array && exactKind(initial) !== Float32Array) this.lanes[0] = new Float64Array(capacity);
    for (let i = 0; i < initial.length; i++) this.lanes[0][i] = initial[i];
    this.end = initial.length;
    this.pushed = initial.length;
  }

  /** Lane 0 (re-read after a push: the buffer may have moved). */
  get values(): Lane {
    return this.lanes[0];
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Append `value`, then drop the oldest values beyond `cap` (same as push + splice). */
  push(value: number, cap: number): void {
    this.write(0, this.appendRow(cap), value);
  }

  /** Store a value in a lane, widening a Float32 lane first if the value is not float32-exact. */
  write(lane: number, row: number, value: number): void {
    const values = this.lanes[lane];
    if (values instanceof Float32Array && Math.fround(value) !== value && !Number.isNaN(value)) {
      const wide = Float64Array.from(values);
      wide[row] = value;
      this.lanes[lane] = wide;
      return;
    }
    values[row] = value;
  }

  /** Index of a new last row (lanes to be filled by the caller), dropping the oldest rows beyond `cap`. */
  appendRow(cap: number): number {
    if (this.end === this.capacity) this.compact(cap);
    const row = this.end++;
    this.pushed++;
    if (this.end - this.start > cap) this.start = this.end - cap;
    return row;
  }

  /** Index of a new last row with nothing dropped (a queue rather than a window): the buffers grow as needed. */
  appendRowUnbounded(): number {
    if (this.end === this.capacity) {
      const n = this.end - this.start;
      this.moveToFront(n, 2 * n + 2 > this.capacity ? 2 * this.capacity : this.capacity);
    }
    this.pushed++;
    return this.end++;
  }

  /** Drop the oldest row. */
  shift(): void {
    if (this.start < this.end) this.start++;
  }

  /** i-th value of a lane, oldest first. */
  at(i: number, lane = 0): number {
    return this.lanes[lane][this.start + i];
  }

  /**
   * A lane, oldest first, in the snapshot codec's exact form (src/persistence/numericCodec.ts):
   * the bytes of the contiguous slice as base64, float32 or float64 as the lane is stored. No
   * per-value work, which is what keeps snapshot writes fast at hundreds of symbols.
   */
  encoded(lane = 0): { $f32: string } | { $f64: string } {
    const values = this.lanes[lane];
    if (values instanceof Int32Array) return { $f64: Buffer.from(Float64Array.from(values.subarray(this.start, this.end)).buffer).toString('base64') };
    const slice = values.subarray(this.start, this.end);
    const text = Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64');
    return values instanceof Float32Array ? { $f32: text } : { $f64: text };
  }

  toArray(lane = 0): number[] {
    const values = this.lanes[lane];
    const out = new Array<number>(this.end - this.start);
    for (let i = this.start; i < this.end; i++) out[i - this.start] = values[i];
    return out;
  }

  /** Move the newest min(length, cap - 1) rows to the front, growing the buffers to 2*cap if needed. */
  private compact(cap: number): void {
    this.moveToFront(Math.min(this.end - this.start, Math.max(cap - 1, 0)), Math.max(this.capacity, 2 * cap));
  }

  /** Keep the newest `keep` rows, moved to the front of buffers of length `capacity`. */
  private moveToFront(keep: number, capacity: number): void {
    const from = this.end - keep;
    const grow = capacity > this.capacity;
    this.capacity = capacity;
    this.lanes = this.lanes.map((lane) => {
      if (!grow) return lane.copyWithin(0, from, this.end);
      const grown = new (lane.constructor as LaneKind)(capacity);
      grown.set(lane.subarray(from, this.end));
      return grown;
    });
    this.start = 0;
    this.end = keep;
  }
}
