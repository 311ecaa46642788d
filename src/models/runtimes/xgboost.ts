/**
 * XGBoost JSON evaluator in TypeScript over flat typed arrays (SPEC 6.3: evaluated natively).
 *
 * Why by hand: npm's `xgboost` (1.1.0) is a native binding built by node-gyp at install time
 * (a C++ toolchain on every deployment), and `ml-xgboost` (1.1.2) is a WebAssembly port aimed at
 * training in JS; neither is a small, maintained reader of the JSON model. The predictor below
 * is short and pinned to XGBoost 1.7 by the parity fixtures.
 *
 * XGBoost (1.7) predicts in float32, and so does this: inputs are rounded to float32, a node
 * goes left when `x < split_condition` (both float32), NaN takes default_left, and the margin
 * starts at the float32 base margin and adds each tree's leaf with float32 rounding. Summing in
 * float64 instead misses parity by ~1e-4 relative on small outputs.
 *
 * By default trees run on the branch-free walk (tree-layout.ts, tree-kernel.ts; ~10x faster):
 * `x < t` goes left becomes "right iff x > nextDown(t)", NaN encoded as -Infinity (default_left)
 * or +Infinity. Trees deeper than 10 (or with a -Infinity condition) and `evaluator:
 * 'interpreted'` use the node-array walk here. Both add the same float32 leaves in the same order, so they agree bit for bit.
 */
import type { ModelRuntime } from '../runtime.ts';
import { prepareEvaluator, type ForestProgram, type TreeEvaluator } from './tree-kernel.ts';
import { checkedRows, Encoding, flatRows, layoutForest, nextDown, type InputRule, type PaddedForest } from './tree-layout.ts';
import { parseXGBoostJson, type XGBoostForest } from './xgboost-json.ts';

const f32 = Math.fround;
const SIGMOID_CLAMP = f32(88.7);
const XGBOOST_INPUT: InputRule = { float32: true, zeroBelow: 0 };

/** Leaf value reached by the float32 row at offset o of X. */
function leafValueOf(forest: XGBoostForest, root: number, X: Float32Array, o: number): number {
  const { left, right, splitIndex, splitCondition, defaultLeft } = forest;
  let node = root;
  while (left[node] !== -1) {
    const x = X[o + splitIndex[node]];
    if (x !== x) node = defaultLeft[node] ? left[node] : right[node];
    else node = x < splitCondition[node] ? left[node] : right[node];
  }
  return splitCondition[node];
}

/** Margin -> prediction as XGBoost's PredTransform (common::Sigmoid clamps -x at 88.7f). */
function transform(forest: XGBoostForest, margin: number): number {
  if (forest.transform === 'sigmoid') return f32(1 / f32(f32(Math.exp(Math.min(-margin, SIGMOID_CLAMP))) + 1));
  if (forest.transform === 'exp') return f32(Math.exp(margin));
  return margin;
}

/** Adds tree t's leaf for every float32 row of X to margins (float32 stores): the node-array walk. */
function walkTree(forest: XGBoostForest, t: number, X: Float32Array, nRows: number, margins: Float32Array | Float64Array): void {
  const root = forest.treeRoot[t];
  for (let r = 0; r < nRows; r++) margins[r] += leafValueOf(forest, root, X, r * forest.nFeatures);
}

/** Interpreted float32 margins: trees outer, rows inner, each leaf added with float32 rounding. */
export function interpretXGBoost(forest: XGBoostForest, X: Float32Array, nRows: number): Float32Array {
  const margins = new Float32Array(nRows).fill(forest.baseMargin);
  for (let t = 0; t < forest.nTrees; t++) walkTree(forest, t, X, nRows, margins);
  return margins;
}

/** The forest padded for the branch-free walk: right iff x > nextDown(t), NaN to its default side. */
function layoutXGBoost(forest: XGBoostForest): PaddedForest {
  const { left, right, splitIndex, splitCondition, defaultLeft } = forest;
  return layoutForest({
    nTrees: forest.nTrees,
    root: (t) => forest.treeRoot[t],
    isLeaf: (node) => left[node] === -1,
    left: (node) => left[node],
    right: (node) => right[node],
    leafValue: (node) => splitCondition[node],
    // NaN as -Infinity never exceeds nextDown(t), as +Infinity always does. A condition that
    // overflowed float32 to -Infinity sends every number right: no threshold says that (walked).
    split: (node) => splitCondition[node] === -Infinity ? null : {
      feature: splitIndex[node],
      encoding: defaultLeft[node] ? Encoding.nanLeft : Encoding.nanRight,
      threshold: nextDown(splitCondition[node]),
    },
  }, forest.nFeatures);
}

/** Margins -> predictions (float64 array of the transformed float32 values). */
function finish(forest: XGBoostForest, margins: Float32Array | Float64Array): Float64Array {
  const out = new Float64Array(margins.length);
  for (let r = 0; r < margins.length; r++) out[r] = transform(forest, margins[r]);
  return out;
}

/** Interpreted predictions for nRows rows stored row-major in data (nFeatures per row). */
export function predictXGBoost(forest: XGBoostForest, data: Float64Array, nRows: number): Float64Array {
  return finish(forest, interpretXGBoost(forest, new Float32Array(data), nRows));
}

export class XGBoostRuntime implements ModelRuntime {
  readonly format = 'xgboost' as const;
  readonly inputKind = 'tabular' as const;
  readonly sequenceLength = null;
  readonly featureNames: readonly string[] | null;
  readonly nFeatures: number;
  readonly outputKind: 'regression' | 'probability';

  /** The evaluator in use: 'branchless' unless asked otherwise or WebAssembly is unavailable. */
  readonly evaluator: TreeEvaluator;
  private readonly program: ForestProgram | null;

  private constructor(
    readonly forest: XGBoostForest,
    readonly file: string,
    evaluator: TreeEvaluator,
  ) {
    this.featureNames = forest.featureNames;
    this.nFeatures = forest.nFeatures;
    this.outputKind = forest.transform === 'sigmoid' ? 'probability' : 'regression';
    const prepared = prepareEvaluator(evaluator, 'float32', XGBOOST_INPUT, () => layoutXGBoost(forest));
    this.program = prepared.program;
    this.evaluator = prepared.evaluator;
  }

  /**
   * Parses XGBoost JSON; throws ModelLoadError naming `file` when it is not a usable model.
   * `evaluator` picks the evaluator (tests and benchmarks compare them); default 'branchless'.
   */
  static fromJson(text: string, file: string, options: { evaluator?: TreeEvaluator } = {}): XGBoostRuntime {
    return new XGBoostRuntime(parseXGBoostJson(text, file), file, options.evaluator ?? 'branchless');
  }

  async predict(rows: readonly (readonly number[])[] | Float64Array, nRows?: number): Promise<Float64Array> {
    const { rows: checked, nRows: n } = checkedRows(rows, this.nFeatures, this.file, nRows);
    // A Float32Array rounds every input to float32, as XGBoost does.
    const float32 = (): Float32Array => new Float32Array(flatRows(checked, this.nFeatures, n, this.file));
    if (!this.program) return finish(this.forest, interpretXGBoost(this.forest, float32(), n));
    let X: Float32Array | null = null; // only trees the layout could not take walk the rows
    const margins = this.program.run(checked, n, this.forest.baseMargin, (t, sums) => walkTree(this.forest, t, (X ??= float32()), n, sums));
    return finish(this.forest, margins);
  }

  async close(): Promise<void> {}
}
