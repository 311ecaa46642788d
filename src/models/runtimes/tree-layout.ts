/**
 * A tree ensemble laid out for a branch-free walk (tree-kernel.ts): every tree is padded to a
 * perfect binary tree of its own depth D, nodes in level order (children of i are 2i+1, 2i+2),
 * so a row's walk is D steps of `i = 2i + 1 + (x[column[i]] > threshold[i])`, no data-dependent
 * branch at all. Leaves of depth < D are copied into every padded slot below them, so the dummy
 * splits above those copies can go either way.
 *
 * Every split is rewritten as "go right iff enc(x) > t" where enc replaces NaN (and for
 * LightGBM's Zero missing type also 0) by 0 or +-Infinity, chosen per node so the replacement
 * lands on the side the library sends it (LightGBM: NaN as 0 for missing type None, the default
 * direction for NaN/Zero; XGBoost: default_left), or by a 0/1 flag where only those values go
 * right (a default-right split at +Infinity). Each encoding a model uses is one block of
 * columns in the encoded row. A split that cannot be written so (categorical), or a tree deeper
 * than MAX_PADDED_DEPTH, marks the tree for the node-array walk of its runtime; the trees still
 * add up in their order.
 */

import { flattenRows } from '../runtime.ts';

/** How a column block encodes x: which values become what before the `> t` compare. */
export const Encoding = {
  /** NaN -> 0 (LightGBM missing type None). */
  nanAsZero: 0,
  /** NaN -> -Infinity: NaN goes left. */
  nanLeft: 1,
  /** NaN -> +Infinity: NaN goes right (threshold must be < +Infinity). */
  nanRight: 2,
  /** 0 and NaN -> -Infinity (LightGBM Zero, default left). */
  zeroNanLeft: 3,
  /** 0 and NaN -> +Infinity (LightGBM Zero, default right). */
  zeroNanRight: 4,
  /** 1 for NaN, else 0: with t = 0.5, "NaN goes right, all else left" (a default-right split at t = +Infinity). */
  nanFlag: 5,
  /** 1 for 0 and NaN, else 0: the same for LightGBM's Zero type. */
  zeroNanFlag: 6,
} as const;
export type Encoding = (typeof Encoding)[keyof typeof Encoding];
const N_ENCODINGS = 7;

/** Deeper trees walk the node arrays: padding doubles the nodes per level (2^10 leaves = 16 KB per tree). */
export const MAX_PADDED_DEPTH = 10;

/** A split as the layout takes it: go right iff encode(x[feature]) > threshold. */
export interface RightSplit {
  feature: number;
  encoding: Encoding;
  threshold: number;
}

/** How the layout reads one format's trees. `split` returns null when the node cannot be encoded. */
export interface TreeReader {
  readonly nTrees: number;
  root(tree: number): number;
  isLeaf(node: number): boolean;
  left(node: number): number;
  right(node: number): number;
  leafValue(node: number): number;
  split(node: number): RightSplit | null;
}

/** One padded tree's slices of the forest arrays (views, no copies). */
export interface PaddedTree {
  readonly column: Int32Array;
  readonly threshold: Float64Array;
  /** 2^depth leaves: the walk ends at slot i in [2^depth - 1, 2^(depth+1) - 1), leaf i - (2^depth - 1). */
  readonly leaf: Float64Array;
}

export interface PaddedForest {
  readonly nFeatures: number;
  /** Per tree: padded depth 0..MAX_PADDED_DEPTH, or -1 when the tree runs on the node walk. */
  readonly depth: Int8Array;
  /** Per tree: index of its root in column/threshold, and of its first leaf in leaf. */
  readonly nodeStart: Int32Array;
  readonly leafStart: Int32Array;
  /** Per padded node: column of the encoded row (block * nFeatures + feature), and t. */
  readonly column: Int32Array;
  readonly threshold: Float64Array;
  readonly leaf: Float64Array;
  /** The encodings the model uses, in block order (block b holds encodings[b]). */
  readonly encodings: readonly Encoding[];
  /** Per tree: its slices (empty for walked trees), so a kernel indexes from 0. */
  readonly trees: readonly PaddedTree[];
}

/** Depth of the subtree under node, or Infinity past `limit` / when a split cannot be encoded. */
function paddableDepth(reader: TreeReader, node: number, limit: number): number {
  if (reader.isLeaf(node)) return 0;
  if (limit === 0 || reader.split(node) === null) return Infinity;
  return 1 + Math.max(paddableDepth(reader, reader.left(node), limit - 1), paddableDepth(reader, reader.right(node), limit - 1));
}

/** Lays out every paddable tree; the others get depth -1. */
export function layoutForest(reader: TreeReader, nFeatures: number): PaddedForest {
  const nTrees = reader.nTrees;
  const depth = new Int8Array(nTrees);
  const nodeStart = new Int32Array(nTrees);
  const leafStart = new Int32Array(nTrees);
  let nNodes = 0;
  let nLeaves = 0;
  for (let t = 0; t < nTrees; t++) {
    const d = paddableDepth(reader, reader.root(t), MAX_PADDED_DEPTH);
    depth[t] = d === Infinity ? -1 : d;
    nodeStart[t] = nNodes;
    leafStart[t] = nLeaves;
    if (d !== Infinity) {
      nNodes += (1 << d) - 1;
      nLeaves += 1 << d;
    }
  }
  const block = new Int8Array(N_ENCODINGS).fill(-1);
  const encodings: Encoding[] = [];
  const column = new Int32Array(nNodes);
  const threshold = new Float64Array(nNodes);
  const leaf = new Float64Array(nLeaves);
  for (let t = 0; t < nTrees; t++) {
    const D = depth[t];
    if (D < 0) continue;
    const inner = (1 << D) - 1;
    // Fills padded slot i (at level `level`) from node; a leaf above depth D fills its whole span.
    const fill = (node: number, i: number, level: number): void => {
      if (reader.isLeaf(node)) {
        const first = ((i + 1) << (D - level)) - 1; // leftmost descendant at depth D
        leaf.fill(reader.leafValue(node), leafStart[t] + first - inner, leafStart[t] + first - inner + (1 << (D - level)));
        return;
      }
      const split = reader.split(node) as RightSplit;
      if (block[split.encoding] < 0) {
        block[split.encoding] = encodings.length;
        encodings.push(split.encoding);
      }
      column[nodeStart[t] + i] = block[split.encoding] * nFeatures + split.feature;
      threshold[nodeStart[t] + i] = split.threshold;
      fill(reader.left(node), 2 * i + 1, level + 1);
      fill(reader.right(node), 2 * i + 2, level + 1);
    };
    fill(reader.root(t), 0, 0);
  }
  const trees = Array.from(depth, (D, t): PaddedTree => {
    const nodes = D < 0 ? 0 : (1 << D) - 1;
    const leaves = D < 0 ? 0 : 1 << D;
    return {
      column: column.subarray(nodeStart[t], nodeStart[t] + nodes),
      threshold: threshold.subarray(nodeStart[t], nodeStart[t] + nodes),
      leaf: leaf.subarray(leafStart[t], leafStart[t] + leaves),
    };
  });
  return { nFeatures, depth, nodeStart, leafStart, column, threshold, leaf, encodings, trees };
}

/** What the library does to an input before its trees see it. */
export interface InputRule {
  /** XGBoost: round to float32. */
  readonly float32: boolean;
  /** LightGBM: |x| <= this becomes 0 (1e-35f); 0 for none. */
  readonly zeroBelow: number;
}

/** Rows as the runtimes take them: one row-major Float64Array, or one array per row. */
export type Rows = Float64Array | readonly (readonly number[])[];

/** The rows as given when each of the nRows arrays has nFeatures values, else flattenRows' checked copy (or its error). */
export function checkedRows(rows: Rows, nFeatures: number, file: string, nRows?: number): { rows: Rows; nRows: number } {
  if (!(rows instanceof Float64Array)) {
    const n = nRows ?? rows.length;
    let fits = Number.isInteger(n) && n >= 0 && n <= rows.length;
    for (let r = 0; fits && r < n; r++) fits = rows[r].length === nFeatures;
    if (fits) return { rows, nRows: n };
  }
  const flat = flattenRows(rows, nFeatures, file, nRows);
  return { rows: flat.data, nRows: flat.nRows };
}

/** Checked rows as one row-major Float64Array (for the node-array walks). */
export function flatRows(rows: Rows, nFeatures: number, nRows: number, file: string): Float64Array {
  return rows instanceof Float64Array ? rows : flattenRows(rows, nFeatures, file, nRows).data;
}

/**
 * Rows after the input rule, re-encoded: one block of nFeatures columns per encoding, written
 * into `out` when it is large enough (a buffer reused across calls). Reading arrays directly
 * skips a flattening copy. The caller checked the shape: a flat array of nRows * nFeatures, or
 * at least nRows arrays of nFeatures.
 */
export function encodeRows(forest: PaddedForest, rows: Rows, nRows: number, rule: InputRule, out?: Float64Array): Float64Array {
  const { nFeatures, encodings } = forest;
  const width = encodings.length * nFeatures;
  const size = nRows * width;
  const target = out && out.length >= size ? out : new Float64Array(size);
  const flat = rows instanceof Float64Array ? rows : null;
  const arrays = rows instanceof Float64Array ? null : rows;
  const { float32, zeroBelow } = rule;
  for (let b = 0; b < encodings.length; b++) {
    const encoding = encodings[b];
    const nanTo = encoding === Encoding.nanAsZero ? 0 : encoding === Encoding.nanLeft || encoding === Encoding.zeroNanLeft ? -Infinity : Infinity;
    const zeroToo = encoding === Encoding.zeroNanLeft || encoding === Encoding.zeroNanRight || encoding === Encoding.zeroNanFlag;
    const flag = encoding === Encoding.nanFlag || encoding === Encoding.zeroNanFlag;
    for (let r = 0; r < nRows; r++) {
      const row = arrays ? arrays[r] : null;
      const from = r * nFeatures;
      const to = r * width + b * nFeatures;
      for (let f = 0; f < nFeatures; f++) {
        const raw = row ? row[f] : (flat as Float64Array)[from + f];
        let x = float32 ? Math.fround(raw) : raw;
        if (x >= -zeroBelow && x <= zeroBelow) x = 0;
        const special = x !== x || (zeroToo && x === 0);
        target[to + f] = flag ? (special ? 1 : 0) : special ? nanTo : x;
      }
    }
  }
  return target;
}

/** The largest double below v (v > -Infinity): x >= v exactly when x > nextDown(v), for every non-NaN x. */
export function nextDown(v: number): number {
  if (!(v > -Infinity)) throw new RangeError(`nextDown(${v}): no double lies below`);
  if (v === 0) return -Number.MIN_VALUE;
  const asDouble = new Float64Array([v]);
  const bits = new BigInt64Array(asDouble.buffer); // the IEEE bit pattern: one step towards -Infinity
  bits[0] += v > 0 ? -1n : 1n;
  return asDouble[0];
}
