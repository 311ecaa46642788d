import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/core/errors.ts';
import { LightGbmRuntime } from '../../src/models/runtimes/lightgbm.ts';
import type { TreeEvaluator } from '../../src/models/runtimes/tree-kernel.ts';

// Hand-written LightGBM text models. Every expected number below was checked once against
// lightgbm 4.7.0 (`lgb.Booster(model_str=...).predict`) when this file was written.

interface TinyTree {
  decisionType: number;
  threshold?: number;
  leaves?: [number, number];
  cat?: { boundaries: string; bits: string };
}

function treeBlock(index: number, t: TinyTree): string {
  const [l, r] = t.leaves ?? [-1, 2];
  return [
    `Tree=${index}`, 'num_leaves=2', `num_cat=${t.cat ? 1 : 0}`, 'split_feature=0', 'split_gain=1',
    `threshold=${t.threshold ?? 0.5}`, `decision_type=${t.decisionType}`, 'left_child=-1', 'right_child=-2',
    `leaf_value=${l} ${r}`, 'leaf_weight=1 1', 'leaf_count=1 1', 'internal_value=0', 'internal_weight=0',
    'internal_count=2', ...(t.cat ? [`cat_boundaries=${t.cat.boundaries}`, `cat_threshold=${t.cat.bits}`] : []),
    'is_linear=0', 'shrinkage=1', '', '',
  ].join('\n');
}

function model(trees: string[], objective = 'regression', headerExtra: string[] = [], names = 'a b'): string {
  return [
    'tree', 'version=v4', 'num_class=1', 'num_tree_per_iteration=1', 'label_index=0', 'max_feature_idx=1',
    `objective=${objective}`, ...headerExtra, `feature_names=${names}`, 'feature_infos=[-1:1] [-1:1]', '', '',
  ].join('\n') + trees.join('') + 'end of trees\n\nparameters:\nend of parameters\n';
}

const XS = [NaN, 0.5, 0.6, 0, 1e-40, -0.3, -1e-40];
const EVALUATORS: TreeEvaluator[] = ['branchless', 'branchless-loop', 'interpreted'];

// Every evaluator must give these numbers: the branch-free walk (WebAssembly and JavaScript loop)
// and the node-array walk it falls back to.
describe.each(EVALUATORS)('LightGBM semantics with the %s evaluator', (evaluator) => {
  // The rows three times over, so they span several row blocks of the branch-free walk.
  async function predictColumn0(text: string, xs: number[]): Promise<number[]> {
    const runtime = LightGbmRuntime.fromText(text, 'tiny/model.txt', { evaluator });
    expect(runtime.evaluator).toBe(evaluator);
    const out = Array.from(await runtime.predict([...xs, ...xs, ...xs].map((x) => [x, 0])));
    expect(out.slice(xs.length, 2 * xs.length)).toEqual(out.slice(0, xs.length));
    expect(out.slice(2 * xs.length)).toEqual(out.slice(0, xs.length));
    return out.slice(0, xs.length);
  }

  describe('LightGBM numerical split: x <= threshold goes left, missing types as LightGBM', () => {
    it('missing type None (decision_type 0/2): NaN is read as 0, ignoring the default-left bit', async () => {
      expect(await predictColumn0(model([treeBlock(0, { decisionType: 2, threshold: 0.5 })]), XS)).toEqual([-1, -1, 2, -1, -1, -1, -1]);
      expect(await predictColumn0(model([treeBlock(0, { decisionType: 2, threshold: -0.5 })]), XS)).toEqual([2, 2, 2, 2, 2, 2, 2]);
      expect(await predictColumn0(model([treeBlock(0, { decisionType: 0, threshold: -0.5 })]), XS)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    });

    it('missing type Zero (4 right / 6 left): 0, |x| <= 1e-35 and NaN take the default direction', async () => {
      expect(await predictColumn0(model([treeBlock(0, { decisionType: 4, threshold: 0.5 })]), XS)).toEqual([2, -1, 2, 2, 2, -1, 2]);
      expect(await predictColumn0(model([treeBlock(0, { decisionType: 6, threshold: -0.5 })]), XS)).toEqual([-1, 2, 2, -1, -1, 2, -1]);
    });

    it('missing type NaN (8 right / 10 left): only NaN takes the default direction', async () => {
      expect(await predictColumn0(model([treeBlock(0, { decisionType: 8, threshold: 0.5 })]), XS)).toEqual([2, -1, 2, -1, -1, -1, -1]);
      expect(await predictColumn0(model([treeBlock(0, { decisionType: 10, threshold: -0.5 })]), XS)).toEqual([-1, 2, 2, 2, 2, 2, 2]);
    });

    it('infinite thresholds and inputs route as in LightGBM (inf thresholds occur in real models)', async () => {
      const xs = [NaN, 0, 1e-40, 0.5, -0.5, Infinity, -Infinity, 1e308];
      // [decision_type, threshold, expected]: lightgbm 4.7.0 Booster.predict on the same text
      const cases: [number, string, number[]][] = [
        [0, 'inf', [-1, -1, -1, -1, -1, -1, -1, -1]], [0, '-inf', [2, 2, 2, 2, 2, 2, -1, 2]],
        [2, 'inf', [-1, -1, -1, -1, -1, -1, -1, -1]], [2, '-inf', [2, 2, 2, 2, 2, 2, -1, 2]],
        [4, 'inf', [2, 2, 2, -1, -1, -1, -1, -1]], [4, '-inf', [2, 2, 2, 2, 2, 2, -1, 2]],
        [6, 'inf', [-1, -1, -1, -1, -1, -1, -1, -1]], [6, '-inf', [-1, -1, -1, 2, 2, 2, -1, 2]],
        [8, 'inf', [2, -1, -1, -1, -1, -1, -1, -1]], [8, '-inf', [2, 2, 2, 2, 2, 2, -1, 2]],
        [10, 'inf', [-1, -1, -1, -1, -1, -1, -1, -1]], [10, '-inf', [-1, 2, 2, 2, 2, 2, -1, 2]],
      ];
      for (const [decisionType, threshold, expected] of cases) {
        const text = model([treeBlock(0, { decisionType, threshold: 0 })]).replace('threshold=0\n', `threshold=${threshold}\n`);
        expect(await predictColumn0(text, xs), `decision_type ${decisionType}, threshold ${threshold}`).toEqual(expected);
      }
    });
  });

  describe('LightGBM categorical split (bitset over categories)', () => {
    // categories {1, 3} in word 0 (bits 2^1 + 2^3 = 10) and {33} in word 1 (2^1 = 2)
    const text = model([treeBlock(0, { decisionType: 1, threshold: 0, cat: { boundaries: '0 2', bits: '10 2' } })]);

    it('sends categories in the set left; others, NaN, negatives and out-of-range values right', async () => {
      const xs = [1, 3, 33, 2, 0, 64, -1, NaN, 3.7, -0.5, 1e10, 34];
      expect(await predictColumn0(text, xs)).toEqual([-1, -1, -1, 2, 2, 2, 2, 2, -1, 2, 2, 2]);
    });
  });

  describe('LightGBM objectives and ensembles', () => {
    const tree = treeBlock(0, { decisionType: 10 });

    it('binary applies 1/(1+exp(-sigmoid*score)) with the sigmoid parameter from the objective line', async () => {
      const runtime = LightGbmRuntime.fromText(model([tree], 'binary sigmoid:2'), 'tiny/model.txt', { evaluator });
      expect(runtime.outputKind).toBe('probability');
      const [p0, p1] = await runtime.predict([[0, 0], [1, 0]]);
      expect(p0).toBeCloseTo(0.11920292202211755, 15);
      expect(p1).toBeCloseTo(0.9820137900379085, 15);
    });

    it('regression sqrt squares the score keeping its sign; poisson exponentiates', async () => {
      expect(await predictColumn0(model([tree], 'regression sqrt'), [0, 1])).toEqual([-1, 4]);
      const [a, b] = await predictColumn0(model([tree], 'poisson'), [0, 1]);
      expect(a).toBeCloseTo(Math.exp(-1), 15);
      expect(b).toBeCloseTo(Math.exp(2), 15);
    });

    it('average_output (random forest) divides the sum of leaves by the number of trees', async () => {
      const trees = [tree, treeBlock(1, { decisionType: 10, threshold: 0.7, leaves: [10, 20] })];
      expect(await predictColumn0(model(trees, 'regression', ['average_output']), [0, 0.6, 1])).toEqual([4.5, 6, 11]);
      expect(await predictColumn0(model(trees), [0, 0.6, 1])).toEqual([9, 12, 22]);
    });

    it('a single-leaf tree adds its constant to every row', async () => {
      const oneLeaf = ['Tree=0', 'num_leaves=1', 'num_cat=0', 'split_feature=', 'threshold=', 'decision_type=',
        'left_child=', 'right_child=', 'leaf_value=0.25', 'is_linear=0', 'shrinkage=1', '', ''].join('\n');
      expect(await predictColumn0(model([oneLeaf, treeBlock(1, { decisionType: 10 })]), [0, 1])).toEqual([-0.75, 2.25]);
    });
  });
});

describe('LightGBM metadata', () => {
  it('reads feature names from the header, and treats LightGBM-invented Column_i names as absent', () => {
    const tree = treeBlock(0, { decisionType: 10 });
    expect(LightGbmRuntime.fromText(model([tree]), 'm.txt').featureNames).toEqual(['a', 'b']);
    expect(LightGbmRuntime.fromText(model([tree], 'regression', [], 'Column_0 Column_1'), 'm.txt').featureNames).toBeNull();
  });
});

describe('LightGBM load errors name the file and the problem', () => {
  const bad = (text: string): ModelLoadError => {
    try {
      LightGbmRuntime.fromText(text, 'run/model.txt');
    } catch (e) {
      return e as ModelLoadError;
    }
    throw new Error('expected a ModelLoadError');
  };

  it('rejects a truncated file, garbage, cycles, wrong counts, multiclass and linear trees', () => {
    const ok = model([treeBlock(0, { decisionType: 10 })]);
    const cases: [string, RegExp, string][] = [
      [ok.slice(0, ok.indexOf('end of trees')), /end of trees/, 'MODEL_PARSE'],
      ['not a model at all', /not a LightGBM text model/, 'MODEL_PARSE'],
      [ok.replace('left_child=-1', 'left_child=0'), /invalid child index 0/, 'MODEL_PARSE'],
      [ok.replace('leaf_value=-1 2', 'leaf_value=-1'), /leaf_value has 1 values, expected 2/, 'MODEL_PARSE'],
      [ok.replace('threshold=0.5', 'threshold=abc'), /threshold holds a non-numeric value/, 'MODEL_PARSE'],
      [ok.replace('split_feature=0', 'split_feature=7'), /split_feature 7 out of range/, 'MODEL_PARSE'],
      [ok.replace('num_class=1', 'num_class=3'), /multiclass/, 'UNSUPPORTED_MODEL'],
      [ok.replace('objective=regression', 'objective=multiclassova num_class:3'), /not supported/, 'UNSUPPORTED_MODEL'],
      [ok.replace('is_linear=0', 'is_linear=1'), /linear trees/, 'UNSUPPORTED_MODEL'],
    ];
    for (const [text, message, code] of cases) {
      const error = bad(text);
      expect(error).toBeInstanceOf(ModelLoadError);
      expect(error.code).toBe(code);
      expect(error.message).toContain('run/model.txt');
      expect(error.message).toMatch(message);
    }
  });
});
