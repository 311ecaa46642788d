/**
 * Parser for XGBoost's JSON model (`Booster.save_model("model.json")`, schema of 1.x-2.x) into
 * flat typed arrays: all trees' nodes concatenated, children as global indices, -1 = leaf.
 * Split conditions, leaf values and the base margin are float32 values, as XGBoost keeps them.
 */
import { loadError, unsupportedModel } from '../runtime.ts';

export type XGBoostTransform = 'identity' | 'sigmoid' | 'exp';

export interface XGBoostForest {
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly objective: string;
  readonly transform: XGBoostTransform;
  /** base_score moved to margin space (ProbToMargin), rounded to float32. */
  readonly baseMargin: number;
  readonly nTrees: number;
  readonly treeRoot: Int32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly splitIndex: Int32Array;
  /** float32 values held in float64: the split condition, or the leaf value for leaves. */
  readonly splitCondition: Float64Array;
  readonly defaultLeft: Uint8Array;
}

const f32 = Math.fround;

// objective -> [prediction transform, how base_score maps to a margin]
const OBJECTIVES: Record<string, readonly [XGBoostTransform, 'identity' | 'logit' | 'log']> = {
  'reg:squarederror': ['identity', 'identity'],
  'reg:linear': ['identity', 'identity'],
  'reg:squaredlogerror': ['identity', 'identity'],
  'reg:pseudohubererror': ['identity', 'identity'],
  'reg:absoluteerror': ['identity', 'identity'],
  'reg:logistic': ['sigmoid', 'logit'],
  'binary:logistic': ['sigmoid', 'logit'],
  'binary:logitraw': ['identity', 'logit'],
  'count:poisson': ['exp', 'log'],
  'reg:gamma': ['exp', 'log'],
  'reg:tweedie': ['exp', 'log'],
  'rank:pairwise': ['identity', 'identity'],
  'rank:ndcg': ['identity', 'identity'],
  'rank:map': ['identity', 'identity'],
};

type Json = Record<string, unknown>;

function object(value: unknown, path: string, file: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw loadError(file, `${path} is missing or not an object`);
  return value as Json;
}

function numberArray(value: unknown, path: string, length: number, file: string): number[] {
  if (!Array.isArray(value) || value.length !== length) throw loadError(file, `${path} is missing or does not have ${length} entries`);
  return value.map((v) => {
    const n = typeof v === 'boolean' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw loadError(file, `${path} holds a non-numeric value`);
    return n;
  });
}

/** A scalar XGBoost writes as a string ("5E-1"; 3.x writes "[5E-1]"). */
function scalar(value: unknown, path: string, file: string): number {
  const text = String(value ?? '').replace(/^\[(.*)\]$/, '$1');
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) throw loadError(file, `${path} is missing or not a number`);
  return n;
}

/** base_score -> margin with XGBoost's float32 ProbToMargin (-logf(1/p - 1) or logf(p)). */
function baseMarginOf(baseScore: number, mapping: 'identity' | 'logit' | 'log', file: string): number {
  const p = f32(baseScore);
  if (mapping === 'identity') return p;
  if (mapping === 'log') {
    if (!(p > 0)) throw loadError(file, `base_score ${baseScore} must be > 0 for this objective`);
    return f32(Math.log(p));
  }
  if (!(p > 0 && p < 1)) throw loadError(file, `base_score ${baseScore} must be in (0, 1) for logistic objectives`);
  return f32(-Math.log(f32(f32(1 / p) - 1)));
}

/** Parses XGBoost JSON into a flat forest; throws ModelLoadError naming the file. */
export function parseXGBoostJson(text: string, file: string): XGBoostForest {
  let root: Json;
  try {
    root = object(JSON.parse(text), '<root>', file);
  } catch (cause) {
    if (cause instanceof SyntaxError) throw loadError(file, `not valid JSON (${cause.message})`);
    throw cause;
  }
  const learner = object(root.learner, 'learner', file);
  const params = object(learner.learner_model_param, 'learner.learner_model_param', file);
  const nFeatures = scalar(params.num_feature, 'learner_model_param.num_feature', file);
  if (!Number.isInteger(nFeatures) || nFeatures < 1) throw loadError(file, `num_feature ${nFeatures} is not a positive integer`);
  if (scalar(params.num_class ?? '0', 'num_class', file) > 1 || scalar(params.num_target ?? '1', 'num_target', file) > 1) {
    throw unsupportedModel(file, 'multi-class / multi-target models are not supported');
  }
  const objective = String(object(learner.objective, 'learner.objective', file).name ?? '');
  const spec = Object.hasOwn(OBJECTIVES, objective) ? OBJECTIVES[objective] : undefined;
  if (!spec) throw unsupportedModel(file, `objective "${objective}" is not supported`);
  const booster = object(learner.gradient_booster, 'learner.gradient_booster', file);
  if (booster.name !== 'gbtree') throw unsupportedModel(file, `booster "${String(booster.name)}" is not supported (only gbtree)`);
  const model = object(booster.model, 'gradient_booster.model', file);
  if (!Array.isArray(model.trees) || model.trees.length === 0) throw loadError(file, 'gradient_booster.model.trees is missing or empty');

  // sklearn's predict stops at best_iteration after early stopping; so does the engine.
  const attributes = (learner.attributes ?? {}) as Json;
  const perRound = scalar(object(model.gbtree_model_param, 'gbtree_model_param', file).num_parallel_tree ?? '1', 'num_parallel_tree', file);
  const best = attributes.best_iteration === undefined ? null : scalar(attributes.best_iteration, 'attributes.best_iteration', file);
  const nTrees = best === null ? model.trees.length : Math.min(model.trees.length, (best + 1) * perRound);
  const trees = (model.trees as unknown[]).slice(0, nTrees).map((t, i) => object(t, `trees[${i}]`, file));

  const sizes = trees.map((t, i) => {
    if (!Array.isArray(t.left_children)) throw loadError(file, `trees[${i}].left_children is missing`);
    return t.left_children.length;
  });
  const nNodes = sizes.reduce((a, b) => a + b, 0);
  const names = Array.isArray(learner.feature_names) && learner.feature_names.length > 0 ? learner.feature_names.map(String) : null;
  if (names && names.length !== nFeatures) throw loadError(file, `feature_names lists ${names.length} names but num_feature is ${nFeatures}`);
  const forest: XGBoostForest = {
    nFeatures, featureNames: names, objective, transform: spec[0],
    baseMargin: baseMarginOf(scalar(params.base_score, 'learner_model_param.base_score', file), spec[1], file),
    nTrees, treeRoot: new Int32Array(nTrees), left: new Int32Array(nNodes), right: new Int32Array(nNodes),
    splitIndex: new Int32Array(nNodes), splitCondition: new Float64Array(nNodes), defaultLeft: new Uint8Array(nNodes),
  };
  let base = 0;
  trees.forEach((tree, t) => {
    fillTree(forest, tree, `trees[${t}]`, base, sizes[t], file);
    forest.treeRoot[t] = base;
    base += sizes[t];
  });
  return forest;
}

function fillTree(forest: XGBoostForest, tree: Json, path: string, base: number, n: number, file: string): void {
  const lefts = numberArray(tree.left_children, `${path}.left_children`, n, file);
  const rights = numberArray(tree.right_children, `${path}.right_children`, n, file);
  const indices = numberArray(tree.split_indices, `${path}.split_indices`, n, file);
  const conditions = numberArray(tree.split_conditions, `${path}.split_conditions`, n, file);
  const defaults = numberArray(tree.default_left, `${path}.default_left`, n, file);
  const types = tree.split_type === undefined ? [] : numberArray(tree.split_type, `${path}.split_type`, n, file);
  if (types.some((s) => s !== 0) || (Array.isArray(tree.categories) && tree.categories.length > 0)) {
    throw unsupportedModel(file, `${path} has categorical splits, which are not supported`, 'export it to ONNX or one-hot encode');
  }
  for (let i = 0; i < n; i++) {
    const leaf = lefts[i] === -1;
    if (!leaf && (!inRange(lefts[i], n) || !inRange(rights[i], n) || !inRange(indices[i], forest.nFeatures))) {
      throw loadError(file, `${path}: node ${i} has a child or split index out of range`);
    }
    forest.left[base + i] = leaf ? -1 : base + lefts[i];
    forest.right[base + i] = leaf ? -1 : base + rights[i];
    forest.splitIndex[base + i] = leaf ? 0 : indices[i];
    forest.splitCondition[base + i] = f32(conditions[i]);
    forest.defaultLeft[base + i] = defaults[i] ? 1 : 0;
  }
  assertAcyclic(forest, base, n, path, file);
}

function inRange(i: number, n: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < n;
}

/** Every node is reached at most once from the root, so traversal always ends at a leaf. */
function assertAcyclic(forest: XGBoostForest, base: number, n: number, path: string, file: string): void {
  const seen = new Uint8Array(n);
  const stack = [base];
  while (stack.length > 0) {
    const node = stack.pop() as number;
    if (seen[node - base]) throw loadError(file, `${path}: node ${node - base} is reached twice (corrupt tree)`);
    seen[node - base] = 1;
    if (forest.left[node] !== -1) stack.push(forest.left[node], forest.right[node]);
  }
}
