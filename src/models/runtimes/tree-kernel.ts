/**
 * Runs a PaddedForest (tree-layout.ts) over a batch of rows: the branch-free walk
 * `i = 2i + 1 + (x[column[i]] > threshold[i])`, no data-dependent branch, so no mispredictions.
 *
 * Everything lives in one linear memory per model: a table of trees, the node records
 * {threshold, column offset}, the leaves, the column plan, the per-row sums, the encoded rows and
 * the raw rows (copied in for the WebAssembly encoder). The rows are
 * encoded in blocks of LANES rows, column by column inside a block, so the LANES rows walked side
 * by side (independent load-compare chains the CPU overlaps) read their value of a column at
 * fixed offsets from one block address. Trees run tile by tile (~60 rows), so a tile's encoded
 * rows stay in L1 while all the trees pass over them. The default kernel is WebAssembly
 * (tree-wasm.ts); the same loop in JavaScript runs where WebAssembly is unavailable (`--jitless`)
 * and in the tests, as a second implementation to compare against.
 *
 * Precision: 'float64' (LightGBM) keeps inputs, thresholds, leaves and sums in double.
 * 'float32' (XGBoost) keeps all four in float32, as the library does: the inputs are float32
 * values already (the input rule rounds them), a threshold t becomes the largest float32 <= t
 * (for a float32 x, x > t exactly when x > that), leaves are float32 values, and a float32 sum
 * rounded after each add is what a Float32Array store of the double sum gives. Rows add the
 * trees in tree order either way, so the results are bit-identical to the node-array walks.
 *
 * Why hand-written: npm has no maintained pure-JS LightGBM/XGBoost predictor (lightgbm.ts, xgboost.ts).
 */
import { forestModule, LANES, PLAN_ENTRY, recordLayout, TILE_BLOCKS } from './tree-wasm.ts';
import { columnPlan, encodeRows, type ColumnPlan, type InputRule, type PaddedForest, type Rows } from './tree-layout.ts';

export type Precision = 'float64' | 'float32';
export type Accumulator = Float64Array | Float32Array;

/**
 * Which evaluator a tree runtime uses: the branch-free walk in WebAssembly, the same walk in
 * JavaScript, or the node-array walk for the whole model.
 */
export type TreeEvaluator = 'branchless' | 'branchless-loop' | 'interpreted';

/** forest(x, stride, blocks, table, tableEnd, acc): byte addresses, as tree-wasm.ts describes. */
type Kernel = (x: number, stride: number, blocks: number, table: number, tableEnd: number, acc: number) => void;
/** encode(src, nRows, rowBytes, plan, planEnd, x, stride, zeroBelow), as tree-wasm.ts describes. */
type Encoder = (src: number, nRows: number, rowBytes: number, plan: number, planEnd: number, x: number, stride: number, zeroBelow: number) => void;

// The few WebAssembly JS-API members used here (tsconfig's ES2023 lib declares none of them).
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
/** The WebAssembly API, or null where it is absent (`node --jitless`). */
const wasmApi = (): WasmApi | null => (globalThis as { WebAssembly?: WasmApi }).WebAssembly ?? null;

const PAGE = 65536;
const TABLE_ENTRY = 16;

// Compiled modules per precision: immutable code, shared by every model (instances own memories).
const compiled = new Map<Precision, object>();

/** Round-down to float32: the largest float32 <= v (for a float32 x, x > v exactly when x > it). */
export function floorFloat32(v: number): number {
  const f = Math.fround(v);
  if (!(f > v)) return f;
  if (f === 0) return -1.401298464324817e-45; // below +-0 lies the smallest negative subnormal
  const bits = new Int32Array(Float32Array.of(f).buffer);
  bits[0] += f > 0 ? -1 : 1; // one float32 step towards -Infinity
  return new Float32Array(bits.buffer)[0];
}

/** A run of padded trees [from, to) for the kernel, or one tree for the runtime's node walk. */
type Segment = { from: number; to: number } | { walk: number };

/** The evaluator a tree runtime runs: null for 'interpreted', else the forest program. */
export interface PreparedEvaluator {
  padded: PaddedForest | null;
  program: ForestProgram | null;
  evaluator: TreeEvaluator;
}

/** Shared by the LightGBM and XGBoost runtimes: lay the forest out unless interpreted, load it. */
export function prepareEvaluator(want: TreeEvaluator, precision: Precision, rule: InputRule, layout: () => PaddedForest): PreparedEvaluator {
  if (want === 'interpreted') return { padded: null, program: null, evaluator: 'interpreted' };
  const padded = layout();
  const program = new ForestProgram(padded, precision, rule, want === 'branchless' ? wasmApi() : null);
  return { padded, program, evaluator: program.evaluator };
}

/**
 * One model's forest in its linear memory, with the kernel that walks it. Layout (bytes):
 * tree table | node records | leaves | column plan | sums | encoded rows | raw rows; the last
 * three grow with the batch.
 */
export class ForestProgram {
  readonly evaluator: 'branchless' | 'branchless-loop';
  private readonly plan: ColumnPlan;
  private readonly segments: Segment[] = [];
  private readonly W: number;
  private readonly memory: WasmMemory | null;
  private readonly kernel: Kernel;
  private readonly encoder: Encoder | null;
  private buffer: ArrayBuffer;
  private readonly planAt: number;
  private readonly accAt: number;
  private xAt = 0;
  private srcAt = 0;
  private capacity = 0;

  constructor(readonly forest: PaddedForest, private readonly precision: Precision, private readonly rule: InputRule, wasm: WasmApi | null) {
    if (rule.float32 !== (precision === 'float32')) throw new RangeError('float32 precision goes with the float32 input rule, and only with it');
    const { width: W, record: S, columnAt } = recordLayout(precision);
    this.W = W;
    this.plan = columnPlan(forest);
    const { depth, nodeStart, leafStart, column, threshold, leaf } = forest;
    const nodesAt = align(depth.length * TABLE_ENTRY, S);
    const leavesAt = align(nodesAt + column.length * S, S);
    this.planAt = align(leavesAt + leaf.length * W, 8);
    this.accAt = align(this.planAt + this.plan.feature.length * PLAN_ENTRY, 64);
    this.memory = wasm ? new wasm.Memory({ initial: Math.max(1, Math.ceil(this.accAt / PAGE)) }) : null;
    this.buffer = this.memory ? this.memory.buffer : new ArrayBuffer(this.accAt);
    const i32 = new Int32Array(this.buffer);
    const f64 = new Float64Array(this.buffer);
    const values = precision === 'float64' ? f64 : new Float32Array(this.buffer);
    for (let t = 0; t < depth.length; t++) {
      const D = depth[t];
      if (D < 0) continue;
      const root = nodesAt + nodeStart[t] * S;
      const entry = (t * TABLE_ENTRY) >> 2;
      i32[entry] = root;
      i32[entry + 1] = S - root;
      i32[entry + 2] = leavesAt + leafStart[t] * W - (root >> 1) - ((1 << D) - 1) * W;
      i32[entry + 3] = D;
    }
    for (let i = 0; i < column.length; i++) {
      const at = nodesAt + i * S;
      values[at / W] = precision === 'float64' ? threshold[i] : floorFloat32(threshold[i]);
      i32[(at + columnAt) >> 2] = column[i] * LANES * W;
    }
    for (let i = 0; i < leaf.length; i++) {
      if (precision === 'float32' && Math.fround(leaf[i]) !== leaf[i]) throw new RangeError(`leaf ${leaf[i]} is not a float32 value`);
      values[leavesAt / W + i] = leaf[i];
    }
    const { feature, zeroToo, flag, special } = this.plan;
    for (let k = 0; k < feature.length; k++) {
      const at = this.planAt + k * PLAN_ENTRY;
      i32[at >> 2] = feature[k] * 8;
      i32[(at >> 2) + 1] = zeroToo[k];
      i32[(at >> 2) + 2] = i32[(at >> 2) + 3] = flag[k] ? 0 : -1; // keep: the value itself, or nothing (flags)
      f64[(at + 16) >> 3] = special[k];
    }
    for (let t = 0; t < depth.length; t++) {
      const last = this.segments[this.segments.length - 1];
      if (depth[t] < 0) this.segments.push({ walk: t });
      else if (last && 'to' in last) last.to = t + 1;
      else this.segments.push({ from: t, to: t + 1 });
    }
    if (wasm && this.memory) {
      const exports = wasmExports(wasm, precision, this.memory);
      this.kernel = exports.forest;
      this.encoder = exports.encode;
      this.evaluator = 'branchless';
    } else {
      this.kernel = (...args) => loopKernel(this.buffer, precision, ...args);
      this.encoder = null;
      this.evaluator = 'branchless-loop';
    }
  }

  /**
   * Sums of the trees for rows 0..nRows-1, starting from `init`: padded trees in the kernel,
   * the others through walk(tree, sums). The returned view is valid until the next call.
   */
  run(rows: Rows, nRows: number, init: number, walk: (tree: number, sums: Accumulator) => void): Accumulator {
    const blocks = Math.ceil(nRows / LANES);
    this.reserve(blocks);
    const W = this.W;
    const width = this.plan.feature.length;
    const stride = width * LANES * W;
    const Values = this.precision === 'float64' ? Float64Array : Float32Array;
    if (this.encoder) {
      const nF = this.plan.nFeatures;
      const src = new Float64Array(this.buffer, this.srcAt, nRows * nF);
      if (rows instanceof Float64Array) src.set(rows.subarray(0, nRows * nF));
      else for (let r = 0; r < nRows; r++) src.set(rows[r], r * nF);
      this.encoder(this.srcAt, nRows, nF * 8, this.planAt, this.planAt + width * PLAN_ENTRY, this.xAt, stride, this.rule.zeroBelow);
    } else {
      encodeRows(this.plan, rows, nRows, this.rule, new Values(this.buffer), this.xAt / W, LANES);
    }
    const sums = new Values(this.buffer, this.accAt, blocks * LANES).fill(init);
    for (const segment of this.segments) {
      if ('walk' in segment) walk(segment.walk, sums);
      else this.kernel(this.xAt, stride, blocks, segment.from * TABLE_ENTRY, segment.to * TABLE_ENTRY, this.accAt);
    }
    return sums.subarray(0, nRows);
  }

  /** Room for `blocks` blocks of sums, encoded rows and raw rows (grows, never shrinks). */
  private reserve(blocks: number): void {
    if (blocks <= this.capacity) return;
    const W = this.W;
    const xAt = align(this.accAt + blocks * LANES * W, 64);
    const srcAt = align(xAt + blocks * this.plan.feature.length * LANES * W, 64);
    const end = srcAt + blocks * LANES * this.plan.nFeatures * 8;
    if (end > this.buffer.byteLength) {
      if (this.memory) {
        this.memory.grow(Math.ceil((end - this.buffer.byteLength) / PAGE));
        this.buffer = this.memory.buffer;
      } else {
        const bigger = new ArrayBuffer(end);
        new Uint8Array(bigger).set(new Uint8Array(this.buffer, 0, this.accAt));
        this.buffer = bigger;
      }
    }
    this.xAt = xAt;
    this.srcAt = srcAt;
    this.capacity = blocks;
  }
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

/** The WebAssembly functions over `memory` (the module compiled once per precision). */
function wasmExports(wasm: WasmApi, precision: Precision, memory: WasmMemory): { forest: Kernel; encode: Encoder } {
  let module = compiled.get(precision);
  if (!module) {
    module = new wasm.Module(forestModule(precision));
    compiled.set(precision, module);
  }
  const { exports } = new wasm.Instance(module, { env: { memory } });
  return { forest: exports.forest as Kernel, encode: exports.encode as Encoder };
}

/** The kernel of tree-wasm.ts, statement for statement, in JavaScript over the same memory. */
export function loopKernel(buffer: ArrayBuffer, precision: Precision, x: number, stride: number, blocks: number,
  table: number, tableEnd: number, acc: number): void {
  const { width: W, record: S, columnAt } = recordLayout(precision);
  const i32 = new Int32Array(buffer);
  const v = precision === 'float64' ? new Float64Array(buffer) : new Float32Array(buffer);
  const shift = Math.log2(W);
  for (let q0 = 0; q0 < blocks; q0 += TILE_BLOCKS) {
    const q1 = Math.min(q0 + TILE_BLOCKS, blocks);
    for (let t = table; t < tableEnd; t += TABLE_ENTRY) {
      const root = i32[t >> 2], c = i32[(t >> 2) + 1], leafAt = i32[(t >> 2) + 2], depth = i32[(t >> 2) + 3];
      for (let q = q0; q < q1; q++) {
        const xq = x + q * stride;
        const aq = acc + q * LANES * W;
        for (let j = 0; j < LANES; j++) {
          let a = root;
          for (let d = 0; d < depth; d++) a = 2 * a + c + (v[((xq + i32[(a + columnAt) >> 2]) >> shift) + j] > v[a >> shift] ? S : 0);
          v[(aq >> shift) + j] += v[((a >> 1) + leafAt) >> shift];
        }
      }
    }
  }
}
