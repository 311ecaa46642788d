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
 */
import type { ModelRuntime } from '../runtime.ts';
import { flattenRows } from '../runtime.ts';
import { parseXGBoostJson, type XGBoostForest } from './xgboost-json.ts';

const f32 = Math.fround;
const SIGMOID_CLAMP = f32(88.7);

/** Leaf value reached by one float32 row. */
function leafValueOf(forest: XGBoostForest, root: number, row: Float64Array): number {
  const { left, right, splitIndex, splitCondition, defaultLeft } = forest;
  let node = root;
  while (left[node] !== -1) {
    const x = row[splitIndex[node]];
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

/** Predictions for nRows rows stored row-major in data (nFeatures per row). */
export function predictXGBoost(forest: XGBoostForest, data: Float64Array, nRows: number): Float64Array {
  const { nFeatures, nTrees, treeRoot, baseMargin } = forest;
  const out = new Float64Array(nRows);
  const row = new Float64Array(nFeatures);
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < nFeatures; f++) row[f] = f32(data[r * nFeatures + f]);
    let margin = baseMargin;
    for (let t = 0; t < nTrees; t++) margin = f32(margin + leafValueOf(forest, treeRoot[t], row));
    out[r] = transform(forest, margin);
  }
  return out;
}

export class XGBoostRuntime implements ModelRuntime {
  readonly format = 'xgboost' as const;
  readonly inputKind = 'tabular' as const;
  readonly sequenceLength = null;
  readonly featureNames: readonly string[] | null;
  readonly nFeatures: number;
  readonly outputKind: 'regression' | 'probability';

  private constructor(
    readonly forest: XGBoostForest,
    readonly file: string,
  ) {
    this.featureNames = forest.featureNames;
    this.nFeatures = forest.nFeatures;
    this.outputKind = forest.transform === 'sigmoid' ? 'probability' : 'regression';
  }

  /** Parses XGBoost JSON; throws ModelLoadError naming `file` when it is not a usable model. */
  static fromJson(text: string, file: string): XGBoostRuntime {
    return new XGBoostRuntime(parseXGBoostJson(text, file), file);
  }

  async predict(rows: readonly (readonly number[])[] | Float64Array, nRows?: number): Promise<Float64Array> {
    const flat = flattenRows(rows, this.nFeatures, this.file, nRows);
    return predictXGBoost(this.forest, flat.data, flat.nRows);
  }

  async close(): Promise<void> {}
}
