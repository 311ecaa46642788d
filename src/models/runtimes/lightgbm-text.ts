/**
 * Parser for LightGBM's text model format (`Booster.save_model`, version v3/v4) into flat typed
 * arrays: all trees' nodes concatenated, children as global indices, leaves as ~globalLeaf.
 * Checks every index so a corrupt file fails here, never as an endless loop at predict time.
 */
import { loadError, unsupportedModel } from '../runtime.ts';

export type LightGbmTransform =
  | { kind: 'identity' }
  | { kind: 'sigmoid'; scale: number }
  | { kind: 'exp' }
  | { kind: 'signedSquare' };

export interface LightGbmForest {
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly objective: string;
  readonly transform: LightGbmTransform;
  readonly averageOutput: boolean;
  readonly nTrees: number;
  /** Per tree: first node (>= 0) or ~leaf for a single-leaf tree. */
  readonly treeRoot: Int32Array;
  readonly splitFeature: Int32Array;
  readonly threshold: Float64Array;
  readonly decisionType: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Categorical nodes: where their bitset starts in catBits and how many uint32 words it has. */
  readonly catStart: Int32Array;
  readonly catWords: Int32Array;
  readonly catBits: Uint32Array;
  readonly leafValue: Float64Array;
}

// Objectives whose ConvertOutput is the identity in LightGBM (regression family and ranking).
const IDENTITY = new Set([
  'regression', 'regression_l1', 'huber', 'fair', 'quantile', 'mape', 'lambdarank', 'rank_xendcg', 'custom', 'none',
]);

/** LightGBM's ConvertOutput per objective string, e.g. "binary sigmoid:1" -> 1/(1+exp(-1*x)). */
export function transformOf(objective: string, file: string): LightGbmTransform {
  const [name, ...params] = objective.trim().split(/\s+/);
  const param = (key: string): string | undefined => params.find((p) => p.startsWith(`${key}:`))?.slice(key.length + 1);
  if (name === 'binary') {
    const scale = Number(param('sigmoid') ?? '1');
    if (!Number.isFinite(scale) || scale <= 0) throw loadError(file, `bad sigmoid parameter in objective "${objective}"`);
    return { kind: 'sigmoid', scale };
  }
  if (name === 'cross_entropy' || name === 'xentropy') return { kind: 'sigmoid', scale: 1 };
  if (name === 'poisson' || name === 'gamma' || name === 'tweedie') return { kind: 'exp' };
  if (IDENTITY.has(name)) return params.includes('sqrt') ? { kind: 'signedSquare' } : { kind: 'identity' };
  throw unsupportedModel(
    file,
    `objective "${objective}" is not supported (multi-output or unknown)`,
    'supported: regression family, binary, cross_entropy, poisson/gamma/tweedie, ranking; export others to ONNX',
  );
}

/** Parses a number as LightGBM prints it ("%.17g", plus inf/nan spellings). */
function parseNumber(token: string): number {
  const t = token.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '-nan') return NaN;
  return token === '' ? NaN : Number(token);
}

interface RawTree {
  index: number;
  fields: Map<string, string>;
}

function numbers(tree: RawTree, key: string, count: number, file: string, integer: boolean): number[] {
  const raw = tree.fields.get(key);
  if (raw === undefined) throw loadError(file, `Tree=${tree.index} has no ${key}`);
  const out = raw.trim() === '' ? [] : raw.trim().split(/\s+/).map(parseNumber);
  if (out.length !== count) throw loadError(file, `Tree=${tree.index}: ${key} has ${out.length} values, expected ${count}`);
  for (const v of out) {
    if (Number.isNaN(v) || (integer && !Number.isInteger(v))) {
      throw loadError(file, `Tree=${tree.index}: ${key} holds a non-numeric value`);
    }
  }
  return out;
}

function splitBlocks(text: string, file: string): { header: Map<string, string>; flags: Set<string>; trees: RawTree[] } {
  const header = new Map<string, string>();
  const flags = new Set<string>();
  const trees: RawTree[] = [];
  let current: RawTree | null = null;
  let ended = false;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trimEnd();
    if (line === 'end of trees') {
      ended = true;
      break;
    }
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (line.startsWith('Tree=')) {
      current = { index: Number(line.slice(5)), fields: new Map() };
      trees.push(current);
    } else if (current) {
      if (eq > 0) current.fields.set(line.slice(0, eq), line.slice(eq + 1));
    } else if (eq > 0) {
      header.set(line.slice(0, eq), line.slice(eq + 1));
    } else {
      flags.add(line);
    }
  }
  if (!ended) throw loadError(file, 'no "end of trees" line: truncated or not a LightGBM text model');
  return { header, flags, trees };
}

/** Parses a LightGBM text model into a flat forest; throws ModelLoadError naming the file. */
export function parseLightGbmText(text: string, file: string): LightGbmForest {
  if (!text.startsWith('tree')) throw loadError(file, 'not a LightGBM text model (first line is not "tree")');
  const { header, flags, trees } = splitBlocks(text, file);
  const maxFeature = Number(header.get('max_feature_idx'));
  if (!Number.isInteger(maxFeature) || maxFeature < 0) throw loadError(file, 'missing or bad max_feature_idx');
  const nFeatures = maxFeature + 1;
  const perIteration = Number(header.get('num_tree_per_iteration') ?? '1');
  const nClass = Number(header.get('num_class') ?? '1');
  if (perIteration !== 1 || nClass !== 1) {
    throw unsupportedModel(file, `multiclass models (num_class=${nClass}) are not supported`);
  }
  const objective = header.get('objective') ?? 'custom';
  const transform = transformOf(objective, file);
  if (trees.length === 0) throw loadError(file, 'the model has no trees');

  const names = header.get('feature_names')?.trim().split(/\s+/) ?? null;
  if (names && names.length !== nFeatures) {
    throw loadError(file, `feature_names lists ${names.length} names but max_feature_idx says ${nFeatures}`);
  }
  // LightGBM invents Column_i when trained without names: that is not a name the file carries.
  const invented = names?.every((n, i) => n === `Column_${i}`) ?? true;

  let nNodes = 0;
  let nLeaves = 0;
  let nWords = 0;
  const sizes = trees.map((tree) => {
    const leaves = Number(tree.fields.get('num_leaves'));
    const cats = Number(tree.fields.get('num_cat') ?? '0');
    if (!Number.isInteger(leaves) || leaves < 1) throw loadError(file, `Tree=${tree.index}: bad num_leaves`);
    if (!Number.isInteger(cats) || cats < 0) throw loadError(file, `Tree=${tree.index}: bad num_cat`);
    if (tree.fields.get('is_linear') === '1') throw unsupportedModel(file, 'linear trees (linear_tree=true) are not supported');
    const words = cats > 0 ? numbers(tree, 'cat_boundaries', cats + 1, file, true)[cats] : 0;
    nNodes += leaves - 1;
    nLeaves += leaves;
    nWords += words;
    return { leaves, cats, words };
  });

  const forest = {
    nFeatures, featureNames: invented ? null : names, objective, transform,
    averageOutput: flags.has('average_output'), nTrees: trees.length,
    treeRoot: new Int32Array(trees.length), splitFeature: new Int32Array(nNodes), threshold: new Float64Array(nNodes),
    decisionType: new Uint8Array(nNodes), left: new Int32Array(nNodes), right: new Int32Array(nNodes),
    catStart: new Int32Array(nNodes), catWords: new Int32Array(nNodes), catBits: new Uint32Array(nWords),
    leafValue: new Float64Array(nLeaves),
  };

  let nodeBase = 0;
  let leafBase = 0;
  let wordBase = 0;
  trees.forEach((tree, t) => {
    const { leaves, cats, words } = sizes[t];
    const values = numbers(tree, 'leaf_value', leaves, file, false);
    values.forEach((v, i) => (forest.leafValue[leafBase + i] = v));
    if (leaves === 1) {
      forest.treeRoot[t] = ~leafBase;
      leafBase += 1;
      return;
    }
    const n = leaves - 1;
    const features = numbers(tree, 'split_feature', n, file, true);
    const thresholds = numbers(tree, 'threshold', n, file, false);
    const types = numbers(tree, 'decision_type', n, file, true);
    const lefts = numbers(tree, 'left_child', n, file, true);
    const rights = numbers(tree, 'right_child', n, file, true);
    const boundaries = cats > 0 ? numbers(tree, 'cat_boundaries', cats + 1, file, true) : [0];
    const bits = cats > 0 ? numbers(tree, 'cat_threshold', words, file, true) : [];
    if (boundaries[0] !== 0 || boundaries.some((b, i) => i > 0 && b < boundaries[i - 1])) {
      throw loadError(file, `Tree=${tree.index}: cat_boundaries are not increasing from 0`);
    }
    bits.forEach((b, i) => (forest.catBits[wordBase + i] = b));
    // Children must point forward (LightGBM numbers nodes in split order), which rules out cycles.
    const child = (c: number, parent: number): number => {
      if (c >= 0 && c > parent && c < n) return nodeBase + c;
      if (c < 0 && ~c < leaves) return ~(leafBase + ~c);
      throw loadError(file, `Tree=${tree.index}: node ${parent} has an invalid child index ${c}`);
    };
    for (let i = 0; i < n; i++) {
      const g = nodeBase + i;
      if (features[i] < 0 || features[i] >= nFeatures) throw loadError(file, `Tree=${tree.index}: split_feature ${features[i]} out of range`);
      forest.splitFeature[g] = features[i];
      forest.threshold[g] = thresholds[i];
      forest.decisionType[g] = types[i];
      forest.left[g] = child(lefts[i], i);
      forest.right[g] = child(rights[i], i);
      if (types[i] & 1) {
        const catIdx = thresholds[i];
        if (!Number.isInteger(catIdx) || catIdx < 0 || catIdx >= cats) throw loadError(file, `Tree=${tree.index}: bad categorical split index`);
        forest.catStart[g] = wordBase + boundaries[catIdx];
        forest.catWords[g] = boundaries[catIdx + 1] - boundaries[catIdx];
      }
    }
    forest.treeRoot[t] = nodeBase;
    nodeBase += n;
    leafBase += leaves;
    wordBase += words;
  });
  return forest;
}
