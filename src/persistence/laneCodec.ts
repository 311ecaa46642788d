/**
 * A packed binary stream of numeric lanes: the bulk of a snapshot (every symbol's windows) as
 * one byte array instead of thousands of small encodings.
 *
 * Why hand-written: the point is bulk typed-array copies straight out of the in-memory ring
 * buffers (no per-value work, no intermediate arrays), and slicing typed-array views back out
 * on load; general serializers (msgpack, protobuf) copy value by value or lane by lane into
 * their own framing and would still need the same layout code around them.
 *
 * Layout (native byte order, which the magic number checks; every platform Node runs on in
 * practice is little-endian):
 *   u32 magic 'LTL1', u32 format version 1,
 *   then per lane: u32 length (values), u32 kind (1 f32, 2 f64, 3 i32),
 *   the values, zero-padded to a multiple of 8 bytes (so every lane's view is aligned).
 * No lane count up front, so a stream can be written out region by region while it is built.
 * Values are stored exactly: a float64 lane whose values are all float32-exact (NaN included)
 * is stored as float32, anything else as float64; int32 lanes as int32.
 */
import { StateError } from '../core/errors.ts';

export type LaneData = Float32Array | Float64Array | Int32Array;

const MAGIC = 0x314c544c; // 'LTL1' read as a little-endian u32
const VERSION = 1;
const KIND_F32 = 1;
const KIND_F64 = 2;
const KIND_I32 = 3;
const BYTES = [0, 4, 8, 4];

/** pad8(n) = n rounded up to a multiple of 8. */
function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** isFloat32Exact(v, s, e) = every v[i] in [s, e) survives Math.fround unchanged (NaN counts as exact). */
function isFloat32Exact(values: ArrayLike<number>, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (Math.fround(v) !== v && v === v) return false;
  }
  return true;
}

/**
 * target[at..at+n) = source[start..start+n), one function per pair of types so each loop stays
 * monomorphic (float64 -> float32 only for lanes checked exact). Plain loops rather than
 * `target.set(source.subarray(...))`: for ~60k short lanes per snapshot, creating a subarray view
 * cost more than copying its values.
 */
function copyF32(target: Float32Array, at: number, source: Float32Array, start: number, n: number): void {
  for (let i = 0; i < n; i++) target[at + i] = source[start + i];
}
function copyF64AsF32(target: Float32Array, at: number, source: Float64Array, start: number, n: number): void {
  for (let i = 0; i < n; i++) target[at + i] = source[start + i];
}
function copyF64(target: Float64Array, at: number, source: Float64Array, start: number, n: number): void {
  for (let i = 0; i < n; i++) target[at + i] = source[start + i];
}
function copyI32(target: Int32Array, at: number, source: Int32Array, start: number, n: number): void {
  for (let i = 0; i < n; i++) target[at + i] = source[start + i];
}
function copyArray(target: Float32Array | Float64Array, at: number, source: ArrayLike<number>, start: number, n: number): void {
  for (let i = 0; i < n; i++) target[at + i] = source[start + i];
}

/**
 * Writes lanes straight into one buffer that is reused from stream to stream: at ~13 MB per
 * snapshot, a fresh buffer per write cost more in page faults than the copying itself.
 * `take` and `bytes` return views of that buffer, valid until the next `reset` (a later `add`
 * may move the buffer, but never changes bytes already taken).
 */
export class LaneWriter {
  #buffer = new ArrayBuffer(0);
  #u32 = new Uint32Array(0);
  #f32 = new Float32Array(0);
  #f64 = new Float64Array(0);
  #i32 = new Int32Array(0);
  #offset = 0;
  #taken = 0;
  #lanes = 0;

  /** Start a new stream (its header); bytes returned earlier are overwritten from here on. */
  reset(): void {
    if (this.#buffer.byteLength < 8) this.#grow(8);
    this.#u32[0] = MAGIC;
    this.#u32[1] = VERSION;
    this.#offset = 8;
    this.#taken = 0;
    this.#lanes = 0;
  }

  /** Append values[start, end) as the next lane. */
  add(values: ArrayLike<number>, start = 0, end = values.length): void {
    if (this.#offset === 0) this.reset();
    let kind: number;
    if (values instanceof Float32Array) kind = KIND_F32;
    else if (values instanceof Int32Array) kind = KIND_I32;
    else kind = isFloat32Exact(values, start, end) ? KIND_F32 : KIND_F64;
    const n = end - start;
    const size = pad8(n * BYTES[kind]);
    if (this.#offset + 8 + size > this.#buffer.byteLength) this.#grow(this.#offset + 8 + size);
    const head = this.#offset >> 2;
    this.#u32[head] = n;
    this.#u32[head + 1] = kind;
    const at = this.#offset + 8;
    // The buffer is reused: zero the padding so equal windows always give equal bytes.
    if (size !== n * BYTES[kind]) this.#u32[(at + size - 4) >> 2] = 0;
    if (values instanceof Float32Array) copyF32(this.#f32, at >> 2, values, start, n);
    else if (values instanceof Int32Array) copyI32(this.#i32, at >> 2, values, start, n);
    else if (values instanceof Float64Array) {
      if (kind === KIND_F32) copyF64AsF32(this.#f32, at >> 2, values, start, n);
      else copyF64(this.#f64, at >> 3, values, start, n);
    } else if (kind === KIND_F32) copyArray(this.#f32, at >> 2, values, start, n);
    else copyArray(this.#f64, at >> 3, values, start, n);
    this.#offset = at + size;
    this.#lanes += 1;
  }

  get lanes(): number {
    return this.#lanes;
  }

  /** Bytes written since the last `take` (or `reset`): the size of the next region. */
  get pending(): number {
    return this.#offset - this.#taken;
  }

  /** The next region of the stream: everything added since the last `take`, as a view. */
  take(): Uint8Array {
    if (this.#offset === 0) this.reset();
    const region = new Uint8Array(this.#buffer, this.#taken, this.#offset - this.#taken);
    this.#taken = this.#offset;
    return region;
  }

  /** The whole stream so far, as a view. */
  bytes(): Uint8Array {
    if (this.#offset === 0) this.reset();
    return new Uint8Array(this.#buffer, 0, this.#offset);
  }

  #grow(bytes: number): void {
    const buffer = new ArrayBuffer(pad8(Math.max(bytes, 2 * this.#buffer.byteLength, 1 << 16)));
    new Uint8Array(buffer).set(new Uint8Array(this.#buffer, 0, Math.min(this.#offset, this.#buffer.byteLength)));
    this.#buffer = buffer;
    this.#u32 = new Uint32Array(buffer);
    this.#f32 = new Float32Array(buffer);
    this.#f64 = new Float64Array(buffer);
    this.#i32 = new Int32Array(buffer);
  }
}

/** Reads lanes back in the order they were written, as views into one aligned buffer. */
export class LaneReader {
  readonly #buffer: ArrayBuffer;
  readonly #base: number;
  readonly #size: number;
  readonly #u32: Uint32Array;
  #offset: number;
  #lane = 0;

  /** Throws a StateError when the bytes are not a lane stream (wrong magic, too short). */
  constructor(bytes: Uint8Array) {
    let view = bytes;
    if (view.byteOffset % 8 !== 0) view = new Uint8Array(bytes); // a copy, aligned at 0
    this.#buffer = view.buffer as ArrayBuffer;
    this.#base = view.byteOffset;
    this.#size = view.byteLength;
    if (view.byteLength < 8) throw invalid(`${view.byteLength} bytes, too short for its header`);
    this.#u32 = new Uint32Array(this.#buffer, this.#base, view.byteLength >> 2);
    if (this.#u32[0] !== MAGIC) throw invalid(`does not start with the lane stream magic number (0x${this.#u32[0].toString(16)})`);
    if (this.#u32[1] !== VERSION) throw invalid(`format version ${this.#u32[1]}, expected ${VERSION}`);
    this.#offset = 8;
  }

  /** The next lane: a view (no copy) of its exact stored type. */
  next(): LaneData {
    const size = this.#size;
    if (this.#offset + 8 > size) throw invalid(`lane ${this.#lane} starts past the end of the ${size} bytes`);
    const n = this.#u32[this.#offset >> 2];
    const kind = this.#u32[(this.#offset >> 2) + 1];
    if (kind !== KIND_F32 && kind !== KIND_F64 && kind !== KIND_I32) throw invalid(`lane ${this.#lane} has unknown kind ${kind}`);
    const start = this.#offset + 8;
    const bytes = n * BYTES[kind];
    if (start + bytes > size) throw invalid(`lane ${this.#lane} of ${n} values runs past the end of the ${size} bytes`);
    this.#offset = start + pad8(bytes);
    this.#lane += 1;
    const at = this.#base + start;
    if (kind === KIND_F32) return new Float32Array(this.#buffer, at, n);
    if (kind === KIND_F64) return new Float64Array(this.#buffer, at, n);
    return new Int32Array(this.#buffer, at, n);
  }

  /** The next lane, which must hold floating-point values. */
  nextFloat(): Float32Array | Float64Array {
    const lane = this.next();
    if (lane instanceof Int32Array) throw invalid(`lane ${this.#lane - 1}: expected a float lane, found int32`);
    return lane;
  }

  /** The next lane, which must be int32. */
  nextInt(): Int32Array {
    const lane = this.next();
    if (!(lane instanceof Int32Array)) throw invalid(`lane ${this.#lane - 1}: expected an int32 lane, found ${lane instanceof Float32Array ? 'float32' : 'float64'}`);
    return lane;
  }

  /** Every byte consumed, else a StateError. */
  finish(): void {
    if (this.#offset !== this.#size) throw invalid(`${this.#size - this.#offset} bytes left after lane ${this.#lane - 1}`);
  }
}

function invalid(what: string): StateError {
  return new StateError('STATE_LANES_INVALID', `binary lane stream invalid: ${what}`, {
    hint: 'the snapshot binary section does not match its index; the generation is rejected',
  });
}
