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
 */
import type { ModelRuntime } from '../runtime.ts';
import { flattenRows } from '../runtime.ts';
import { parseLightGbmText, type LightGbmForest } from './lightgbm-text.ts';

const K_ZERO_THRESHOLD = Math.fround(1e-35);
const INT32_LIMIT = 2147483648;

/** Leaf reached by one row (already canonicalised: |x| <= 1e-35 is 0); returns the global leaf index. */
function leafOf(forest: LightGbmForest, root: number, row: Float64Array): number {
  const { splitFeature, threshold, decisionType, left, right } = forest;
  let node = root;
  while (node >= 0) {
    let x = row[splitFeature[node]];
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

/** Predictions for nRows rows stored row-major in data (nFeatures per row). */
export function predictLightGbm(forest: LightGbmForest, data: Float64Array, nRows: number): Float64Array {
  const out = new Float64Array(nRows);
  const { treeRoot, leafValue, nTrees, nFeatures } = forest;
  const row = new Float64Array(nFeatures);
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < nFeatures; f++) {
      const x = data[r * nFeatures + f];
      row[f] = x >= -K_ZERO_THRESHOLD && x <= K_ZERO_THRESHOLD ? 0 : x;
    }
    let score = 0;
    for (let t = 0; t < nTrees; t++) score += leafValue[leafOf(forest, treeRoot[t], row)];
    if (forest.averageOutput) score /= nTrees;
    out[r] = convert(forest, score);
  }
  return out;
}

export class LightGbmRuntime implements ModelRuntime {
  readonly format = 'lightgbm' as const;
  readonly inputKind = 'tabular' as const;
  readonly sequenceLength = null;
  readonly featureNames: readonly string[] | null;
  readonly nFeatures: number;
  readonly outputKind: 'regression' | 'probability';

  private constructor(
    readonly forest: LightGbmForest,
    readonly file: string,
  ) {
    this.featureNames = forest.featureNames;
    this.nFeatures = forest.nFeatures;
    this.outputKind = forest.transform.kind === 'sigmoid' ? 'probability' : 'regression';
  }

  /** Parses LightGBM text; throws ModelLoadError naming `file` when it is not a valid model. */
  static fromText(text: string, file: string): LightGbmRuntime {
    return new LightGbmRuntime(parseLightGbmText(text, file), file);
  }

  async predict(rows: readonly (readonly number[])[] | Float64Array, nRows?: number): Promise<Float64Array> {
    const flat = flattenRows(rows, this.nFeatures, this.file, nRows);
    return predictLightGbm(this.forest, flat.data, flat.nRows);
  }

  async close(): Promise<void> {}
}
