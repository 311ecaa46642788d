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
 * right (a default-right split at +Infinity). Each (feature, encoding) pair the splits use is one
 * column of the encoded rows (typically ~2 per feature: NaN left and NaN right). A split that
 * cannot be written so (categorical), or a tree deeper than MAX_PADDED_DEPTH, marks the tree for
 * the node-array walk of its runtime; the trees still add up in their order.
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

/** One column of the encoded rows: a feature under one encoding. */
export interface EncodedColumn {
  readonly feature: number;
  readonly encoding: Encoding;
}

export interface PaddedForest {
  readonly nFeatures: number;
  /** Per tree: padded depth 0..MAX_PADDED_DEPTH, or -1 when the tree runs on the node walk. */
  readonly depth: Int8Array;
  /** Per tree: index of its root in column/threshold, and of its first leaf in leaf. */
  readonly nodeStart: Int32Array;
  readonly leafStart: Int32Array;
  /** Per padded node: its column of the encoded row (index into `columns`), and t. */
  readonly column: Int32Array;
  readonly threshold: Float64Array;
  /** Per tree 2^depth leaves: the walk ends at slot i in [2^depth - 1, 2^(depth+1) - 1), leaf i - (2^depth - 1). */
  readonly leaf: Float64Array;
  /** The encoded row's columns, in order of first use. */
  readonly columns: readonly EncodedColumn[];
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
  const columnOf = new Map<number, number>(); // encoding * nFeatures + feature -> column
  const columns: EncodedColumn[] = [];
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
      const key = split.encoding * nFeatures + split.feature;
      let at = columnOf.get(key);
      if (at === undefined) {
        at = columns.push({ feature: split.feature, encoding: split.encoding }) - 1;
        columnOf.set(key, at);
      }
      column[nodeStart[t] + i] = at;
      threshold[nodeStart[t] + i] = split.threshold;
      fill(reader.left(node), 2 * i + 1, level + 1);
      fill(reader.right(node), 2 * i + 2, level + 1);
    };
    fill(reader.root(t), 0, 0);
  }
  return { nFeatures, depth, nodeStart, leafStart, column, threshold, leaf, columns };
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

/** Per encoded column: its feature and what its encoding does to x after the input rule. */
export interface ColumnPlan {
  readonly nFeatures: number;
  readonly feature: Int32Array;
  /** 1 when 0 is special too (LightGBM's Zero missing type), not only NaN. */
  readonly zeroToo: Uint8Array;
  /** 1 for a 0/1 flag column: special -> 1, any other value -> 0. */
  readonly flag: Uint8Array;
  /** What a special value becomes: 0, -Infinity, +Infinity, or 1 (flags). */
  readonly special: Float64Array;
}

/** The forest's columns as typed arrays for encodeRows (computed once per model). */
export function columnPlan(forest: PaddedForest): ColumnPlan {
  const { columns } = forest;
  const has = (encoding: Encoding, ...set: Encoding[]): boolean => set.includes(encoding);
  return {
    nFeatures: forest.nFeatures,
    feature: Int32Array.from(columns, (c) => c.feature),
    zeroToo: Uint8Array.from(columns, (c) => +has(c.encoding, Encoding.zeroNanLeft, Encoding.zeroNanRight, Encoding.zeroNanFlag)),
    flag: Uint8Array.from(columns, (c) => +has(c.encoding, Encoding.nanFlag, Encoding.zeroNanFlag)),
    special: Float64Array.from(columns, (c) => has(c.encoding, Encoding.nanFlag, Encoding.zeroNanFlag) ? 1
      : c.encoding === Encoding.nanAsZero ? 0 : has(c.encoding, Encoding.nanLeft, Encoding.zeroNanLeft) ? -Infinity : Infinity),
  };
}

/**
 * Rows after the input rule, one value per forest column, written to `out` from element `at` in
 * blocks of `lanes` rows, each block column by column (row r, column k at
 * `at + floor(r / lanes) * lanes * width + k * lanes + r % lanes`; lanes = 1 is plain row-major).
 * Reading row arrays directly skips a flattening copy. The caller checked the shape: a flat array
 * of nRows * nFeatures, or at least nRows arrays of nFeatures. A Float32Array `out` holds the
 * values exactly only when the rule rounds to float32.
 */
export function encodeRows(plan: ColumnPlan, rows: Rows, nRows: number, rule: InputRule,
  out: Float64Array | Float32Array = new Float64Array(nRows * plan.feature.length), at = 0, lanes = 1): Float64Array | Float32Array {
  const { nFeatures, feature, zeroToo, flag, special } = plan;
  const width = feature.length;
  const flat = rows instanceof Float64Array ? rows : null;
  const arrays = rows instanceof Float64Array ? null : rows;
  const { float32, zeroBelow } = rule;
  for (let r = 0; r < nRows; r++) {
    const row = arrays ? arrays[r] : null;
    const from = r * nFeatures;
    const block = (r / lanes) | 0;
    const to = at + block * lanes * width + (r - block * lanes);
    for (let k = 0; k < width; k++) {
      const raw = row ? row[feature[k]] : (flat as Float64Array)[from + feature[k]];
      let x = float32 ? Math.fround(raw) : raw;
      if (x >= -zeroBelow && x <= zeroBelow) x = 0;
      out[to + k * lanes] = x !== x || (zeroToo[k] === 1 && x === 0) ? special[k] : flag[k] === 1 ? 0 : x;
    }
  }
  return out;
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
