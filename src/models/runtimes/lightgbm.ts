/**
 * LightGBM text-model evaluator in TypeScript over flat typed arrays (SPEC 6.3: evaluated natively).
 *
 * Why by hand: npm has no pure-JS LightGBM predictor. The `lightgbm` package (1.0.27) is a
 * native addon compiled with cmake-js at install time (`install: cmake-js compile`), so every
 * deployment would need a C++ toolchain. The prediction path is small and fully specified by
 * LightGBM's tree.h, and the parity fixtures (test/fixtures/models) pin it to the library.
 *
 * Semantics copied from LightGBM 4.x (Tree::NumericalDecision / CategoricalDecision, GBDT::Predict):
 * - float64 throughout; `x <= threshold` goes left;
 * - |x| <= kZeroThreshold (1e-35f) becomes 0, as the C API drops such values from dense rows;
 * - missing type None: NaN -> 0; Zero: 0 (and NaN) take the default direction; NaN: NaN does;
 * - categorical: NaN, negative or >= 2^31 go right; else trunc(x) in the bitset goes left;
 * - sum of leaves in tree order (shrinkage is already in the leaf values), divided by the
 *   number of trees for random forests (average_output), then the objective's transform.
 *
 * By default trees run on the branch-free walk (tree-layout.ts, tree-kernel.ts; ~10x faster),
 * each split rewritten as `enc(x) > t` below; trees it cannot take (categorical splits, deeper
 * than 10) and `evaluator: 'interpreted'` use the node-array walk here. Both add the same
 * float64 leaves in the same order, so they agree bit for bit.
 */
import type { ModelRuntime } from '../runtime.ts';
import { parseLightGbmText, type LightGbmForest } from './lightgbm-text.ts';
import { prepareEvaluator, type ForestProgram, type TreeEvaluator } from './tree-kernel.ts';
import { checkedRows, Encoding, flatRows, layoutForest, type InputRule, type PaddedForest, type RightSplit } from './tree-layout.ts';

const K_ZERO_THRESHOLD = Math.fround(1e-35);
const LIGHTGBM_INPUT: InputRule = { float32: false, zeroBelow: K_ZERO_THRESHOLD };
const INT32_LIMIT = 2147483648;

/** Leaf reached by the row at offset o of X (canonical: |x| <= 1e-35 is 0); the global leaf index. */
function leafOf(forest: LightGbmForest, root: number, X: Float64Array, o: number): number {
  const { splitFeature, threshold, decisionType, left, right } = forest;
  let node = root;
  while (node >= 0) {
    let x = X[o + splitFeature[node]];
    const type = decisionType[node];
    if (type & 1) {
      node = inCategorySet(forest, node, x) ? left[node] : right[node];
      continue;
    }
    const missingType = (type >> 2) & 3;
    if (x !== x) {
      if (missingType === 2) {
        node = type & 2 ? left[node] : right[node];
        continue;
      }
      x = 0;
    }
    if (missingType === 1 && x === 0) node = type & 2 ? left[node] : right[node];
    else node = x <= threshold[node] ? left[node] : right[node];
  }
  return ~node;
}

/** LightGBM's FindInBitset over the node's category words; NaN and negatives are never in it. */
function inCategorySet(forest: LightGbmForest, node: number, x: number): boolean {
  if (!(x > -1 && x < INT32_LIMIT)) return false; // NaN, negative after truncation, or int overflow
  const category = Math.trunc(x);
  const word = category >>> 5;
  if (word >= forest.catWords[node]) return false;
  return ((forest.catBits[forest.catStart[node] + word] >>> (category & 31)) & 1) === 1;
}

/** Raw score -> model output, as the objective's ConvertOutput does. */
function convert(forest: LightGbmForest, score: number): number {
  const t = forest.transform;
  switch (t.kind) {
    case 'identity':
      return score;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-t.scale * score));
    case 'exp':
      return Math.exp(score);
    case 'signedSquare':
      return Math.sign(score) * score * score;
  }
}

/** Copy of the rows with |x| <= 1e-35 set to 0, as the C API drops such values from dense rows. */
export function canonicalRows(data: Float64Array): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    out[i] = x >= -K_ZERO_THRESHOLD && x <= K_ZERO_THRESHOLD ? 0 : x;
  }
  return out;
}

/** Adds tree t's leaf for every row of X (canonical rows) to scores: the node-array walk. */
function walkTree(forest: LightGbmForest, t: number, X: Float64Array, nRows: number, scores: Float64Array | Float32Array): void {
  const root = forest.treeRoot[t];
  for (let r = 0; r < nRows; r++) scores[r] += forest.leafValue[leafOf(forest, root, X, r * forest.nFeatures)];
}

/** Interpreted raw scores: trees outer, rows inner (a tree's nodes stay in cache), float64 sums in tree order. */
export function interpretLightGbm(forest: LightGbmForest, X: Float64Array, nRows: number): Float64Array {
  const scores = new Float64Array(nRows);
  for (let t = 0; t < forest.nTrees; t++) walkTree(forest, t, X, nRows, scores);
  return scores;
}

/**
 * A numerical split as "right iff enc(x) > t" (x <= t goes left): NaN (and 0 for missing type
 * Zero) encoded to the side LightGBM sends it. A default-right split at t = +Infinity sends only
 * those values right, written as a 0/1 flag > 0.5. Null for categorical splits.
 */
export function lightGbmSplit(forest: LightGbmForest, node: number): RightSplit | null {
  const type = forest.decisionType[node];
  if (type & 1) return null;
  const feature = forest.splitFeature[node];
  const threshold = forest.threshold[node];
  const missingType = (type >> 2) & 3;
  const defaultLeft = (type & 2) !== 0;
  if (missingType === 2 || missingType === 1) {
    const nan = missingType === 2;
    if (defaultLeft) return { feature, encoding: nan ? Encoding.nanLeft : Encoding.zeroNanLeft, threshold };
    if (threshold === Infinity) return { feature, encoding: nan ? Encoding.nanFlag : Encoding.zeroNanFlag, threshold: 0.5 };
    return { feature, encoding: nan ? Encoding.nanRight : Encoding.zeroNanRight, threshold };
  }
  return { feature, encoding: Encoding.nanAsZero, threshold };
}

/** The forest padded for the branch-free walk. */
function layoutLightGbm(forest: LightGbmForest): PaddedForest {
  return layoutForest({
    nTrees: forest.nTrees,
    root: (t) => forest.treeRoot[t],
    isLeaf: (node) => node < 0,
    left: (node) => forest.left[node],
    right: (node) => forest.right[node],
    leafValue: (node) => forest.leafValue[~node],
    split: (node) => lightGbmSplit(forest, node),
  }, forest.nFeatures);
}

/** Raw scores -> predictions (a new array): average for random forests, then the objective's transform. */
function finish(forest: LightGbmForest, scores: Float64Array | Float32Array): Float64Array {
  const out = new Float64Array(scores.length);
  for (let r = 0; r < scores.length; r++) {
    const score = forest.averageOutput ? scores[r] / forest.nTrees : scores[r];
    out[r] = convert(forest, score);
  }
  return out;
}

/** Interpreted predictions for nRows rows stored row-major in data (nFeatures per row). */
export function predictLightGbm(forest: LightGbmForest, data: Float64Array, nRows: number): Float64Array {
  return finish(forest, interpretLightGbm(forest, canonicalRows(data), nRows));
}

export class LightGbmRuntime implements ModelRuntime {
  readonly format = 'lightgbm' as const;
  readonly inputKind = 'tabular' as const;
  readonly sequenceLength = null;
  readonly featureNames: readonly string[] | null;
  readonly nFeatures: number;
  readonly outputKind: 'regression' | 'probability';

  /** The evaluator in use: 'branchless' unless asked otherwise or WebAssembly is unavailable. */
  readonly evaluator: TreeEvaluator;
  private readonly program: ForestProgram | null;

  private constructor(
    readonly forest: LightGbmForest,
    readonly file: string,
    evaluator: TreeEvaluator,
  ) {
    this.featureNames = forest.featureNames;
    this.nFeatures = forest.nFeatures;
    this.outputKind = forest.transform.kind === 'sigmoid' ? 'probability' : 'regression';
    const prepared = prepareEvaluator(evaluator, 'float64', LIGHTGBM_INPUT, () => layoutLightGbm(forest));
    this.program = prepared.program;
    this.evaluator = prepared.evaluator;
  }

  /**
   * Parses LightGBM text; throws ModelLoadError naming `file` when it is not a valid model.
   * `evaluator` picks the evaluator (tests and benchmarks compare them); default 'branchless'.
   */
  static fromText(text: string, file: string, options: { evaluator?: TreeEvaluator } = {}): LightGbmRuntime {
    return new LightGbmRuntime(parseLightGbmText(text, file), file, options.evaluator ?? 'branchless');
  }

  async predict(rows: readonly (readonly number[])[] | Float64Array, nRows?: number): Promise<Float64Array> {
    const { rows: checked, nRows: n } = checkedRows(rows, this.nFeatures, this.file, nRows);
    const canonical = (): Float64Array => canonicalRows(flatRows(checked, this.nFeatures, n, this.file));
    if (!this.program) return finish(this.forest, interpretLightGbm(this.forest, canonical(), n));
    let X: Float64Array | null = null; // only trees the layout could not take walk the rows
    const scores = this.program.run(checked, n, 0, (t, sums) => walkTree(this.forest, t, (X ??= canonical()), n, sums));
    return finish(this.forest, scores);
  }

  async close(): Promise<void> {}
}
