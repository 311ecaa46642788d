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

/** Allocates the lanes of a new window (by default each its own typed array). */
export type LaneAllocator = (Kind: LaneKind, length: number) => Lane;

const ownLane: LaneAllocator = (Kind, length) => new Kind(length);

/**
 * laneArena() = an allocator that carves lanes out of shared 1 MiB buffers (8-byte aligned).
 * Restoring 500 symbols creates ~90k lanes; one ArrayBuffer each, with its GC bookkeeping, cost
 * more than all the rest of the decode. A lane from the arena is a typed array of the same kind,
 * length and zeroed contents as an own one; only where its bytes live differs.
 */
export function laneArena(chunkBytes = 1 << 20): LaneAllocator {
  let buffer: ArrayBuffer | null = null;
  let offset = 0;
  return (Kind, length) => {
    const bytes = length * Kind.BYTES_PER_ELEMENT;
    if (bytes > chunkBytes >> 2) return new Kind(length);
    if (buffer === null || offset + bytes > chunkBytes) {
      buffer = new ArrayBuffer(chunkBytes);
      offset = 0;
    }
    // One construct site per kind: `new Kind(...)` with a varying Kind takes V8's slow path.
    const lane = Kind === Float32Array ? new Float32Array(buffer, offset, length) : Kind === Float64Array ? new Float64Array(buffer, offset, length) : new Int32Array(buffer, offset, length);
    offset += (bytes + 7) & ~7;
    return lane;
  };
}

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

  /** Where this window's lanes live, now and when they grow (an arena keeps a symbol's lanes together). */
  private readonly alloc: LaneAllocator;

  /** `alloc` places the lanes (the engine passes an arena, see laneArena), including later growth. */
  constructor(initial: ArrayLike<number> = [], kinds: readonly LaneKind[] = [Float64Array], alloc: LaneAllocator = ownLane) {
    const capacity = Math.max(16, 2 * initial.length);
    this.capacity = capacity;
    this.alloc = alloc;
    if (initial.length > 0 && kinds[0] === Float32Array && exactKind(initial) !== Float32Array) kinds = [Float64Array, ...kinds.slice(1)];
    this.lanes = kinds.map((Kind) => alloc(Kind, capacity));
    for (let i = 0; i < initial.length; i++) this.lanes[0][i] = initial[i];
    this.end = initial.length;
    this.pushed = initial.length;
  }

  /**
   * A window holding data[k] as lane k (lanes of equal length, oldest first; lanes beyond
   * data.length start zeroed), copied in bulk: how a snapshot's packed lanes come back. A float32
   * lane given float64 data is a Float64Array, as `write` would have widened it.
   */
  static fromLanes(data: readonly Lane[], kinds: readonly LaneKind[], alloc: LaneAllocator = ownLane): RollingWindow {
    const n = data.length > 0 ? data[0].length : 0;
    const window = new RollingWindow([], [], alloc); // no lanes yet: they are allocated once, below
    const capacity = Math.max(16, 2 * n);
    window.capacity = capacity;
    window.lanes = kinds.map((Kind, k) => {
      const values = data[k];
      const lane = alloc(values instanceof Float64Array && Kind === Float32Array ? Float64Array : Kind, capacity);
      if (values) lane.set(values);
      return lane;
    });
    window.end = n;
    window.pushed = n;
    return window;
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
      const grown = this.alloc(lane.constructor as LaneKind, capacity);
      grown.set(lane.subarray(from, this.end));
      return grown;
    });
    this.start = 0;
    this.end = keep;
  }
}
