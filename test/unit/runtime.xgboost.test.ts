import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/core/errors.ts';
import type { TreeEvaluator } from '../../src/models/runtimes/tree-kernel.ts';
import { XGBoostRuntime } from '../../src/models/runtimes/xgboost.ts';

// Hand-written XGBoost JSON models (the full 1.7 schema, so XGBoost itself loads them). Every
// expected number below was checked once against xgboost 1.7.4 (`Booster.inplace_predict`,
// and `XGBRegressor.predict` for best_iteration) when this file was written.

function tree(id: number, cond = 0.5, leaves: [number, number] = [-1, 2], defaultLeft = 1): object {
  return {
    base_weights: [0, ...leaves], categories: [], categories_nodes: [], categories_segments: [], categories_sizes: [],
    default_left: [defaultLeft, 0, 0], id, left_children: [1, -1, -1], loss_changes: [1, 0, 0], parents: [2147483647, 0, 0],
    right_children: [2, -1, -1], split_conditions: [cond, ...leaves], split_indices: [0, 0, 0], split_type: [0, 0, 0],
    sum_hessian: [2, 1, 1], tree_param: { num_deleted: '0', num_feature: '2', num_nodes: '3', size_leaf_vector: '0' },
  };
}

interface Options {
  objective?: string;
  baseScore?: string;
  attributes?: Record<string, string>;
  featureNames?: string[];
}

function model(trees: object[], o: Options = {}): string {
  return JSON.stringify({
    learner: {
      attributes: o.attributes ?? {}, feature_names: o.featureNames ?? [], feature_types: [],
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length), size_leaf_vector: '0' },
          tree_info: trees.map(() => 0),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: { base_score: o.baseScore ?? '5E-1', boost_from_average: '1', num_class: '0', num_feature: '2', num_target: '1' },
      objective: { name: o.objective ?? 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [1, 7, 4],
  });
}

const EVALUATORS: TreeEvaluator[] = ['branchless', 'branchless-loop', 'interpreted'];

// Every evaluator must give these numbers: the branch-free walk (WebAssembly and JavaScript loop)
// and the node-array walk it falls back to.
describe.each(EVALUATORS)('XGBoost semantics with the %s evaluator', (evaluator) => {
  // The rows three times over, so they span several row blocks of the branch-free walk.
  async function predictColumn0(text: string, xs: number[]): Promise<number[]> {
    const runtime = XGBoostRuntime.fromJson(text, 'tiny/model.json', { evaluator });
    expect(runtime.evaluator).toBe(evaluator);
    const out = Array.from(await runtime.predict([...xs, ...xs, ...xs].map((x) => [x, 0])));
    expect(out.slice(xs.length, 2 * xs.length)).toEqual(out.slice(0, xs.length));
    expect(out.slice(2 * xs.length)).toEqual(out.slice(0, xs.length));
    return out.slice(0, xs.length);
  }

  describe('XGBoost split: x < split_condition goes left, NaN takes default_left', () => {
    const xs = [NaN, 0.5, 0.4, 0.1, 0.6];

    it('adds base_score to the leaf; NaN goes left when default_left = 1 and right when 0', async () => {
      expect(await predictColumn0(model([tree(0)]), xs)).toEqual([-0.5, 2.5, -0.5, -0.5, 2.5]);
      expect(await predictColumn0(model([tree(0, 0.5, [-1, 2], 0)]), xs)).toEqual([2.5, 2.5, -0.5, -0.5, 2.5]);
    });

    it('routes signed zeros, float32 subnormals, infinities and float32 overflow as XGBoost', async () => {
      const inputs = [NaN, -0, 0, -1e-45, 1e-46, Infinity, -Infinity, 3e38, -3e38, 1e39];
      const max = 3.4028234663852886e38; // FLT_MAX
      // [split condition, default_left, expected]: xgboost 1.7.4 Booster.inplace_predict on the same JSON
      const cases: [number, number, number[]][] = [
        [0, 1, [-0.5, 2.5, 2.5, -0.5, 2.5, 2.5, -0.5, 2.5, -0.5, 2.5]],
        [0, 0, [2.5, 2.5, 2.5, -0.5, 2.5, 2.5, -0.5, 2.5, -0.5, 2.5]],
        [-2.5, 1, [-0.5, 2.5, 2.5, 2.5, 2.5, 2.5, -0.5, 2.5, -0.5, 2.5]],
        [-2.5, 0, [2.5, 2.5, 2.5, 2.5, 2.5, 2.5, -0.5, 2.5, -0.5, 2.5]],
        [max, 1, [-0.5, -0.5, -0.5, -0.5, -0.5, 2.5, -0.5, -0.5, -0.5, 2.5]],
        [max, 0, [2.5, -0.5, -0.5, -0.5, -0.5, 2.5, -0.5, -0.5, -0.5, 2.5]],
        [-max, 1, [-0.5, 2.5, 2.5, 2.5, 2.5, 2.5, -0.5, 2.5, 2.5, 2.5]],
        [-max, 0, [2.5, 2.5, 2.5, 2.5, 2.5, 2.5, -0.5, 2.5, 2.5, 2.5]],
      ];
      for (const [cond, defaultLeft, expected] of cases) {
        expect(await predictColumn0(model([tree(0, cond, [-1, 2], defaultLeft)]), inputs), `condition ${cond}, default_left ${defaultLeft}`).toEqual(expected);
      }
    });

    it('compares in float32: 0.1 rounds to the float32 split condition 0.1f and goes right', async () => {
      const cond = Math.fround(0.1);
      expect(await predictColumn0(model([tree(0, cond)]), [0.1, 0.09999999, 0.1000001])).toEqual([2.5, -0.5, 2.5]);
    });

    it('accumulates the margin in float32: 1 + 1e-8 + 1e-8 stays 1', async () => {
      const trees = [tree(0, 0.5, [1e-8, 3]), tree(1, 0.5, [1e-8, 3])];
      expect(await predictColumn0(model(trees, { baseScore: '1E0' }), [0])).toEqual([1]);
    });
  });

  describe('XGBoost objectives, base_score and early stopping', () => {
    it('binary:logistic: base_score 0.25 becomes margin -ln 3, then sigmoid of the float32 margin', async () => {
      const runtime = XGBoostRuntime.fromJson(model([tree(0)], { objective: 'binary:logistic', baseScore: '2.5E-1' }), 'm.json', { evaluator });
      expect(runtime.outputKind).toBe('probability');
      const [p0, p1] = await runtime.predict([[0, 0], [1, 0]]);
      expect(Math.abs(p0 - 0.10923177748918533) / 0.10923177748918533).toBeLessThan(1e-6);
      expect(Math.abs(p1 - 0.7112345695495605) / 0.7112345695495605).toBeLessThan(1e-6);
    });

    it('count:poisson: base_score 2 becomes margin ln 2 and the output is exp(margin)', async () => {
      const trees = [tree(0), tree(1, 0.7, [10, 20])];
      const [a, b] = await predictColumn0(model(trees, { objective: 'count:poisson', baseScore: '2E0' }), [0, 1]);
      expect(Math.abs(a - 16206.17578125) / 16206.17578125).toBeLessThan(1e-6);
      expect(Math.abs(b - 7169829376) / 7169829376).toBeLessThan(1e-6);
    });

    it('stops at best_iteration like XGBRegressor.predict (a model saved after early stopping)', async () => {
      const trees = [tree(0), tree(1, 0.7, [10, 20])];
      expect(await predictColumn0(model(trees, { attributes: { best_iteration: '0' } }), [0, 1])).toEqual([-0.5, 2.5]);
      expect(await predictColumn0(model(trees), [0, 1])).toEqual([9.5, 22.5]);
    });
  });
});

describe('XGBoost metadata', () => {
  it('reads feature_names when the JSON carries them, else null', () => {
    expect(XGBoostRuntime.fromJson(model([tree(0)], { featureNames: ['x', 'y'] }), 'm.json').featureNames).toEqual(['x', 'y']);
    expect(XGBoostRuntime.fromJson(model([tree(0)]), 'm.json').featureNames).toBeNull();
  });
});

describe('XGBoost load errors name the file and the problem', () => {
  it('rejects invalid JSON, missing parts, bad indices, cycles and unsupported models', () => {
    const ok = JSON.parse(model([tree(0)]));
    const edit = (f: (m: any) => void): string => {
      const m = structuredClone(ok);
      f(m);
      return JSON.stringify(m);
    };
    const cases: [string, RegExp, string][] = [
      ['{"learner": ', /not valid JSON/, 'MODEL_PARSE'],
      ['[]', /<root> is missing or not an object/, 'MODEL_PARSE'],
      [edit((m) => delete m.learner.learner_model_param), /learner_model_param is missing/, 'MODEL_PARSE'],
      [edit((m) => (m.learner.gradient_booster.model.trees[0].left_children = [7, -1, -1])), /out of range/, 'MODEL_PARSE'],
      [edit((m) => (m.learner.gradient_booster.model.trees[0].left_children = [0, -1, -1])), /reached twice/, 'MODEL_PARSE'],
      [edit((m) => (m.learner.gradient_booster.model.trees[0].split_conditions = [0.5, -1])), /split_conditions .* 3 entries/, 'MODEL_PARSE'],
      [edit((m) => (m.learner.gradient_booster.model.trees[0].split_type = [1, 0, 0])), /categorical/, 'UNSUPPORTED_MODEL'],
      [edit((m) => (m.learner.objective.name = 'multi:softprob')), /objective "multi:softprob" is not supported/, 'UNSUPPORTED_MODEL'],
      [edit((m) => (m.learner.objective.name = 'toString')), /objective "toString" is not supported/, 'UNSUPPORTED_MODEL'],
      [edit((m) => (m.learner.learner_model_param.num_class = '3')), /multi-class/, 'UNSUPPORTED_MODEL'],
      [edit((m) => (m.learner.gradient_booster.name = 'dart')), /booster "dart"/, 'UNSUPPORTED_MODEL'],
      [edit((m) => (m.learner.objective.name = 'binary:logistic') && (m.learner.learner_model_param.base_score = '1E0')), /must be in \(0, 1\)/, 'MODEL_PARSE'],
    ];
    for (const [text, message, code] of cases) {
      let error: unknown;
      try {
        XGBoostRuntime.fromJson(text, 'run/model.json');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ModelLoadError);
      expect((error as ModelLoadError).code).toBe(code);
      expect((error as ModelLoadError).message).toContain('run/model.json');
      expect((error as ModelLoadError).message).toMatch(message);
    }
  });
});
