import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LightGbmRuntime } from '../../src/models/runtimes/lightgbm.ts';
import { floorFloat32, type TreeEvaluator } from '../../src/models/runtimes/tree-kernel.ts';
import { columnPlan, Encoding, encodeRows, layoutForest, MAX_PADDED_DEPTH, nextDown, type TreeReader } from '../../src/models/runtimes/tree-layout.ts';
import { forestModule } from '../../src/models/runtimes/tree-wasm.ts';
import { XGBoostRuntime } from '../../src/models/runtimes/xgboost.ts';

// The branch-free tree walk (tree-layout.ts, tree-kernel.ts, tree-wasm.ts) against the node-array
// walk it replaces: exact rewrites of the splits, padding, encodings, float32 thresholds, and
// random forests with every missing-value rule, infinite thresholds, categorical and over-deep
// trees (which fall back). 'branchless' is the WebAssembly kernel, 'branchless-loop' the same
// walk in JavaScript over the same memory, 'interpreted' the node-array walk.

const EVALUATORS: TreeEvaluator[] = ['branchless', 'branchless-loop', 'interpreted'];
const FLT_MAX = 3.4028234663852886e38;

describe('nextDown: x >= v exactly when x > nextDown(v)', () => {
  it('holds for every finite v and every non-NaN x, and nextDown(v) < v', () => {
    const special = fc.constantFrom(0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 1, -1, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1);
    const finite = fc.oneof(special, fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(fc.property(finite, fc.oneof(finite, fc.constantFrom(Infinity, -Infinity)), (v, x) => {
      expect(nextDown(v)).toBeLessThan(v);
      expect(x > nextDown(v)).toBe(x >= v);
      expect(nextDown(v) >= v).toBe(false);
    }));
    expect(nextDown(1)).toBe(1 - Number.EPSILON / 2);
    expect(nextDown(0)).toBe(-Number.MIN_VALUE);
    expect(nextDown(-Number.MAX_VALUE)).toBe(-Infinity);
    expect(nextDown(Infinity)).toBe(Number.MAX_VALUE);
    expect(() => nextDown(-Infinity)).toThrow(RangeError);
    expect(() => nextDown(NaN)).toThrow(RangeError);
  });
});

// A hand-made tree: root x0 > 0.5 ? (x1 > 1 ? 4 : 3) : 1, NaN of x1 to the right.
const reader: TreeReader = {
  nTrees: 1,
  root: () => 0,
  isLeaf: (node) => node >= 10,
  left: (node) => (node === 0 ? 10 : 13),
  right: (node) => (node === 0 ? 1 : 14),
  leafValue: (node) => node - 9,
  split: (node) => (node === 0 ? { feature: 0, encoding: Encoding.nanAsZero, threshold: 0.5 } : { feature: 1, encoding: Encoding.nanRight, threshold: 1 }),
};

describe('floorFloat32: for float32 x, x > v exactly when x > floorFloat32(v)', () => {
  it('holds for every double v, and floorFloat32(v) is the largest float32 <= v', () => {
    const FLT_MIN_SUB = 1.401298464324817e-45;
    const special = fc.constantFrom(0, -0, FLT_MIN_SUB, -FLT_MIN_SUB, Number.MIN_VALUE, -Number.MIN_VALUE, FLT_MAX, -FLT_MAX, 1e39, -1e39,
      Number.MAX_VALUE, Infinity, 0.1, nextDown(1), nextDown(Math.fround(0.1)), 0.5);
    const v = fc.oneof(special, fc.double({ noNaN: true }));
    const x = fc.oneof(fc.float({ noNaN: true }), special.map(Math.fround));
    fc.assert(fc.property(v, x, (v, x) => {
      const f = floorFloat32(v);
      expect(Math.fround(f)).toBe(f);
      expect(f <= v).toBe(true);
      expect(x > f).toBe(x > v);
    }), { numRuns: 2000 });
    expect(floorFloat32(0.1)).toBe(Math.fround(0.1) > 0.1 ? 0.09999999403953552 : Math.fround(0.1));
    expect(floorFloat32(-1e-50)).toBe(-FLT_MIN_SUB);
    expect(floorFloat32(1e39)).toBe(FLT_MAX);
    expect(floorFloat32(-1e39)).toBe(-Infinity);
    expect(floorFloat32(Infinity)).toBe(Infinity);
  });
});

describe('layoutForest pads each tree to a perfect tree of its depth', () => {
  it('copies a shallow leaf into every slot below it and gives each (feature, encoding) its own column', () => {
    const forest = layoutForest(reader, 2);
    expect(Array.from(forest.depth)).toEqual([2]);
    expect(Array.from(forest.leaf)).toEqual([1, 1, 4, 5]);
    expect(forest.columns).toEqual([{ feature: 0, encoding: Encoding.nanAsZero }, { feature: 1, encoding: Encoding.nanRight }]);
    expect(Array.from(forest.column)).toEqual([0, 0, 1]); // slot 1 is padding under the leaf
    expect(Array.from(forest.threshold)).toEqual([0.5, 0, 1]);
  });

  it('leaves trees with an unencodable split or deeper than the limit to the node walk (depth -1)', () => {
    const categorical = layoutForest({ ...reader, split: (node) => (node === 0 ? null : reader.split(node)) }, 2);
    expect(Array.from(categorical.depth)).toEqual([-1]);
    // a chain of MAX_PADDED_DEPTH + 1 splits
    const chain: TreeReader = {
      nTrees: 2, root: (t) => (t === 0 ? 0 : 100), isLeaf: (n) => n > MAX_PADDED_DEPTH && n !== 100, left: (n) => (n === 100 ? 101 : n + 1), right: () => 50,
      leafValue: () => 1, split: () => ({ feature: 0, encoding: Encoding.nanLeft, threshold: 0 }),
    };
    expect(Array.from(layoutForest(chain, 1).depth)).toEqual([-1, 1]);
  });
});

describe('encodeRows applies the input rule, then each encoding', () => {
  it('maps NaN and 0 per encoding; float32 rounding and the 1e-35 zero rule come first', () => {
    const all = [Encoding.nanAsZero, Encoding.nanLeft, Encoding.nanRight, Encoding.zeroNanLeft, Encoding.zeroNanRight, Encoding.nanFlag, Encoding.zeroNanFlag];
    const readers = all.map((encoding) => ({ ...reader, nTrees: 1, isLeaf: (n: number) => n !== 0, split: () => ({ feature: 0, encoding, threshold: 0 }) }));
    const row = [NaN, 0, -1e-46, 0.1];
    const expected = [
      [0, 0, 0, 0.1], [-Infinity, 0, 0, 0.1], [Infinity, 0, 0, 0.1], [-Infinity, -Infinity, -Infinity, 0.1], [Infinity, Infinity, Infinity, 0.1],
      [1, 0, 0, 0], [1, 1, 1, 0],
    ];
    readers.forEach((r, i) => {
      const plan = columnPlan(layoutForest(r, 1));
      const lightgbm = encodeRows(plan, row.map((x) => [x]), 4, { float32: false, zeroBelow: Math.fround(1e-35) });
      expect(Array.from(lightgbm)).toEqual(expected[i]);
      // float32(-1e-46) is -0 and float32(0.1) is 0.10000000149011612
      const xgboost = encodeRows(plan, Float64Array.from(row), 4, { float32: true, zeroBelow: 0 });
      expect(Array.from(xgboost)).toEqual(expected[i].map((v) => (v === 0.1 ? Math.fround(0.1) : v)));
    });
  });
});

// tsconfig's ES2023 lib has no WebAssembly declarations
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

describe('the WebAssembly kernel module', () => {
  it('is valid WebAssembly and the same bytes for every model (no model data in the code)', () => {
    for (const precision of ['float64', 'float32'] as const) {
      const bytes = forestModule(precision);
      expect(wasm.validate(bytes)).toBe(true);
      expect(Array.from(forestModule(precision))).toEqual(Array.from(bytes));
    }
    expect(Array.from(forestModule('float32'))).not.toEqual(Array.from(forestModule('float64')));
  });

  it('encodes rows in blocks as encodeRows does, for batches that grow and shrink, flat or as arrays', async () => {
    const lgb = lightGbmModel(7, 6);
    const xgb = xgboostModel(7, 6);
    const open = (evaluator: TreeEvaluator) => [LightGbmRuntime.fromText(lgb, 'grow.txt', { evaluator }), XGBoostRuntime.fromJson(xgb, 'grow.json', { evaluator })];
    const [wasm, loop, node] = [open('branchless'), open('branchless-loop'), open('interpreted')];
    const next = random(11);
    for (const n of [3, 37, 1, 250, 10, 11]) {
      for (const m of [0, 1]) {
        const pool = m === 0 ? LGB_INPUTS : XGB_INPUTS;
        const rows = Array.from({ length: n }, () => Array.from({ length: NF }, () => pick(next, pool)));
        const want = Array.from(await node[m].predict(rows));
        expect(Array.from(await wasm[m].predict(rows))).toEqual(want);
        expect(Array.from(await wasm[m].predict(Float64Array.from(rows.flat())))).toEqual(want);
        expect(Array.from(await loop[m].predict(rows))).toEqual(want);
      }
    }
  });

  it('falls back to the JavaScript loop where WebAssembly is unavailable (--jitless), with the same bits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-wasm-'));
    const src = (rel: string): string => JSON.stringify(fileURLToPath(new URL(rel, import.meta.url)));
    const script = join(dir, 'check.mts');
    writeFileSync(script, [
      `import { readFileSync } from 'node:fs';`,
      `import { LightGbmRuntime } from ${src('../../src/models/runtimes/lightgbm.ts')};`,
      `import { loadExpected, loadInputs, modelPath } from ${src('../fixtures/models/fixtures.ts')};`,
      `const runtime = LightGbmRuntime.fromText(readFileSync(modelPath('lgbm_regression'), 'utf8'), 'm');`,
      `const got = await runtime.predict(loadInputs().rows);`,
      `const want = loadExpected('lgbm_regression').predictions;`,
      `console.log(JSON.stringify({ evaluator: runtime.evaluator, exact: Array.from(got).every((v, i) => v === want[i]) }));`,
    ].join('\n'));
    const out = execFileSync(process.execPath, ['--jitless', '--import', 'tsx', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(JSON.parse(out)).toEqual({ evaluator: 'branchless-loop', exact: true });
  }, 30_000);
});

// ---- random forests: every evaluator must give the same bits ----

/** mulberry32: a small seeded generator, so fast-check reports a reproducible seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(next: () => number, xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];

type Shape = { leaf: number } | { node: number; left: Shape; right: Shape };

/** A random tree shape up to maxDepth (up to 12, so some trees exceed the padding limit). */
function shape(next: () => number, maxDepth: number, depth = 0, counter = { n: 0 }): Shape {
  if (depth >= maxDepth || (depth > 0 && next() < 0.3)) return { leaf: pick(next, [-1.5, 0.25, 2, 1e-8, -0.1, 3.75, Math.fround(0.3)]) };
  const node = counter.n++;
  return { node, left: shape(next, maxDepth, depth + 1, counter), right: shape(next, maxDepth, depth + 1, counter) };
}

const LGB_THRESHOLDS = [-1, -0.5, 0, 1.0000000180025095e-35, 0.25, 0.5, 2.7, Infinity, -Infinity];
const LGB_INPUTS = [NaN, 0, -0, 1e-40, -1e-40, 1e-35, 0.25, 0.5, -0.5, 1, 2.7, 3, 33, -1, 3.5, Infinity, -Infinity];
const NF = 3;

/** One LightGBM text tree block (preorder node numbering, so children come after parents). */
function lightGbmTree(index: number, tree: Shape, next: () => number): string {
  const f: number[] = [], thr: string[] = [], dt: number[] = [], lc: number[] = [], rc: number[] = [], leaves: number[] = [];
  const bounds = [0];
  const bits: number[] = [];
  const visit = (s: Shape): number => {
    if ('leaf' in s) return ~(leaves.push(s.leaf) - 1);
    const i = f.push(Math.floor(next() * NF)) - 1;
    if (next() < 0.15) {
      dt.push(1);
      thr.push(String(bounds.length - 1));
      bits.push(Math.floor(next() * 2 ** 32), ...(next() < 0.5 ? [Math.floor(next() * 2 ** 32)] : []));
      bounds.push(bits.length);
    } else {
      dt.push(pick(next, [0, 2, 4, 6, 8, 10]));
      const t = pick(next, LGB_THRESHOLDS);
      thr.push(t === Infinity ? 'inf' : t === -Infinity ? '-inf' : String(t));
    }
    lc.push(0);
    rc.push(0);
    lc[i] = visit(s.left);
    rc[i] = visit(s.right);
    return i;
  };
  visit(tree);
  const cats = bounds.length - 1;
  return [
    `Tree=${index}`, `num_leaves=${leaves.length}`, `num_cat=${cats}`, `split_feature=${f.join(' ')}`, `threshold=${thr.join(' ')}`,
    `decision_type=${dt.join(' ')}`, `left_child=${lc.join(' ')}`, `right_child=${rc.join(' ')}`, `leaf_value=${leaves.join(' ')}`,
    ...(cats > 0 ? [`cat_boundaries=${bounds.join(' ')}`, `cat_threshold=${bits.join(' ')}`] : []), 'is_linear=0', 'shrinkage=1', '', '',
  ].join('\n');
}

function lightGbmModel(seed: number, nTrees: number): string {
  const next = random(seed);
  const trees = Array.from({ length: nTrees }, (_, t) => lightGbmTree(t, shape(next, Math.floor(next() * 13)), next));
  return ['tree', 'version=v4', 'num_class=1', 'num_tree_per_iteration=1', 'label_index=0', `max_feature_idx=${NF - 1}`,
    'objective=regression', 'feature_names=a b c', '', ''].join('\n') + trees.join('') + 'end of trees\n';
}

// 1e39 and -1e39 overflow float32 to +-Infinity when the parser rounds them
const XGB_CONDITIONS = [0, 0.5, -2.5, Math.fround(0.1), FLT_MAX, -FLT_MAX, 1.401298464324817e-45, Math.fround(2.7), 1e39, -1e39];
const XGB_INPUTS = [NaN, 0, -0, 0.1, Math.fround(0.1), 0.09999999, 0.5, -2.5, 2.7, Infinity, -Infinity, 3e38, 1e39, 1e-46, -1e-45];

function xgboostModel(seed: number, nTrees: number): string {
  const next = random(seed);
  const trees = Array.from({ length: nTrees }, (_, id) => {
    const lc: number[] = [], rc: number[] = [], idx: number[] = [], cond: number[] = [], dl: number[] = [];
    const visit = (s: Shape): number => {
      const i = lc.push(-1) - 1;
      rc.push(-1);
      idx.push(0);
      dl.push(0);
      if ('leaf' in s) {
        cond.push(Math.fround(s.leaf));
        return i;
      }
      cond.push(pick(next, XGB_CONDITIONS));
      idx[i] = Math.floor(next() * NF);
      dl[i] = next() < 0.5 ? 1 : 0;
      lc[i] = visit(s.left);
      rc[i] = visit(s.right);
      return i;
    };
    visit(shape(next, Math.floor(next() * 13)));
    return { id, left_children: lc, right_children: rc, split_indices: idx, split_conditions: cond, default_left: dl, split_type: lc.map(() => 0), categories: [] };
  });
  return JSON.stringify({
    learner: {
      attributes: {}, feature_names: [],
      gradient_booster: { name: 'gbtree', model: { gbtree_model_param: { num_parallel_tree: '1', num_trees: String(nTrees) }, trees } },
      learner_model_param: { base_score: '2.5E-1', num_class: '0', num_feature: String(NF), num_target: '1' },
      objective: { name: 'reg:squarederror' },
    },
  });
}

const rowsArb = (pool: readonly number[]): fc.Arbitrary<number[][]> =>
  fc.array(fc.array(fc.oneof(fc.constantFrom(...pool), fc.double({ min: -4, max: 40, noNaN: true })), { minLength: NF, maxLength: NF }), { minLength: 1, maxLength: 21 });

describe('random forests: branchless, branchless-loop and interpreted agree bit for bit', () => {
  it('LightGBM: all missing types and default directions, inf thresholds, categorical and deep trees', async () => {
    await fc.assert(fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 6 }), rowsArb(LGB_INPUTS), async (seed, nTrees, rows) => {
      const text = lightGbmModel(seed, nTrees);
      const outs = await Promise.all(EVALUATORS.map((evaluator) => LightGbmRuntime.fromText(text, 'random.txt', { evaluator }).predict(rows)));
      expect(Array.from(outs[0])).toEqual(Array.from(outs[2]));
      expect(Array.from(outs[1])).toEqual(Array.from(outs[2]));
    }), { numRuns: 150 });
  });

  it('XGBoost: default_left, float32 conditions at the edges, deep trees', async () => {
    await fc.assert(fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 6 }), rowsArb(XGB_INPUTS), async (seed, nTrees, rows) => {
      const text = xgboostModel(seed, nTrees);
      const outs = await Promise.all(EVALUATORS.map((evaluator) => XGBoostRuntime.fromJson(text, 'random.json', { evaluator }).predict(rows)));
      expect(Array.from(outs[0])).toEqual(Array.from(outs[2]));
      expect(Array.from(outs[1])).toEqual(Array.from(outs[2]));
    }), { numRuns: 150 });
  });

  it('the random forests do exercise padded, walked, categorical and infinite-threshold trees', () => {
    const kinds = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const runtime = LightGbmRuntime.fromText(lightGbmModel(seed, 6), 'random.txt');
      const depths = Array.from((runtime as unknown as { program: { forest: { depth: Int8Array } } }).program.forest.depth);
      if (depths.some((d) => d > 0)) kinds.add('padded');
      if (depths.some((d) => d < 0)) kinds.add('walked');
      if (runtime.forest.decisionType.some((t) => t & 1)) kinds.add('categorical');
      if (runtime.forest.threshold.some((t) => t === Infinity)) kinds.add('inf');
    }
    expect([...kinds].sort()).toEqual(['categorical', 'inf', 'padded', 'walked']);
  });
});
