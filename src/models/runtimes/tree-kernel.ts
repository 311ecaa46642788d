/**
 * The branch-free walk over a PaddedForest (tree-layout.ts): trees outer, rows inner (a tree's
 * few KB of nodes stay in L1), 8 rows at a time so eight independent load-compare chains
 * overlap, and `(x > t) | 0` so V8 emits a set-on-compare instead of a branch the CPU would
 * mispredict about every other node. Leaves add into the accumulator in tree order: float64
 * (LightGBM) or a Float32Array whose stores round to float32 (XGBoost), exactly as the
 * interpreted evaluators add them, so results are bit-identical.
 *
 * Measured on 2 cores (500 rows, 100 trees of depth 6): ~0.5 ms per predict against ~3 ms for
 * the node-array walk (bench/models.ts). Generating one JS function per model from its splits
 * (nested ifs with literal thresholds) was slower in steady state (~0.65 ms: mispredicted
 * branches) and needed ~100 calls and seconds of TurboFan compiling (0.4-0.7 s per chunk of
 * ~12 trees) to get there, 100-700 ms per cycle meanwhile; this kernel is small and shared, so
 * it is optimised within a few calls.
 *
 * Why hand-written: npm has no maintained pure-JS LightGBM/XGBoost predictor (lightgbm.ts, xgboost.ts).
 *
 * The kernel for depth D is generated once per (D, accumulator type) with `new Function`, so the
 * D steps are unrolled (~20% faster than a loop over D). Its source is a fixed template in which
 * the only values are the depth, an integer 0..MAX_PADDED_DEPTH checked below, and fixed
 * integers of this file: nothing from a model file ever reaches generated code, so a model
 * cannot inject any. Where code generation is disabled (--disallow-code-generation-from-strings)
 * the same walk runs as the plain loop `loopKernel`.
 */
import { MAX_PADDED_DEPTH, type PaddedForest } from './tree-layout.ts';

export type Accumulator = Float64Array | Float32Array;
export type AccumulatorType = 'float64' | 'float32';

/** Adds one padded tree (its PaddedTree slices) to acc for rows 0..n-1 of X (row stride `width`). */
export type Kernel = (X: Float64Array, width: number, n: number, column: Int32Array, threshold: Float64Array,
  leaf: Float64Array, acc: Accumulator) => void;

const PARAMETERS = ['X', 'width', 'n', 'column', 'threshold', 'leaf', 'acc'] as const;

const BLOCK = 8;

/**
 * Source of the unrolled kernel for depth D; the only interpolated values are integers
 * (exported for tests). The accumulator type only names the source: V8 caches identical
 * `new Function` sources with one shared type feedback, which would make one kernel serve both
 * array types (polymorphic, slower).
 */
export function kernelSource(depth: number, accumulator: AccumulatorType): string {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_PADDED_DEPTH) throw new RangeError(`bad tree depth ${depth}`);
  const head = `'use strict';// ${accumulator === 'float32' ? 'float32' : 'float64'} accumulator\n`;
  if (depth === 0) return `${head}for(let r=0;r<n;r++)acc[r]+=leaf[0];`;
  const inner = (1 << depth) - 1; // first leaf slot
  const rows = Array.from({ length: BLOCK }, (_, j) => j);
  const first = (j: number): string => `let i${j}=1+((X[o${j}+c0]>t0)|0);`;
  const step = (j: number): string => `i${j}=2*i${j}+1+((X[o${j}+column[i${j}]]>threshold[i${j}])|0);`;
  const levels = (f: (j: number) => string): string => rows.map(f).join('');
  return [
    `${head}const c0=column[0],t0=threshold[0];let r=0;`,
    `for(;r+${BLOCK}<=n;r+=${BLOCK}){const o0=r*width;`,
    rows.slice(1).map((j) => `const o${j}=o${j - 1}+width;`).join(''),
    levels(first),
    Array.from({ length: depth - 1 }, () => levels(step)).join(''),
    rows.map((j) => `acc[r+${j}]+=leaf[i${j}-${inner}];`).join(''),
    `}for(;r<n;r++){const o=r*width;let i=1+((X[o+c0]>t0)|0);`,
    `for(let d=1;d<${depth};d++)i=2*i+1+((X[o+column[i]]>threshold[i])|0);`,
    `acc[r]+=leaf[i-${inner}];}`,
  ].join('');
}

/** The same walk as a loop over the depth: used where code generation is disabled, and in tests. */
export function loopKernel(depth: number): Kernel {
  const inner = (1 << depth) - 1;
  return (X, width, n, column, threshold, leaf, acc) => {
    for (let r = 0; r < n; r++) {
      const o = r * width;
      let i = 0;
      for (let d = 0; d < depth; d++) i = 2 * i + 1 + +(X[o + column[i]] > threshold[i]);
      acc[r] += leaf[i - inner];
    }
  };
}

/**
 * Which evaluator a tree runtime uses: the branch-free walk with generated (unrolled) kernels,
 * the same walk with loop kernels, or the node-array walk for the whole model.
 */
export type TreeEvaluator = 'branchless' | 'branchless-loop' | 'interpreted';

// Generated kernels per (accumulator type, depth): every model of that depth shares them, so
// they are optimised once. A cache of pure functions, with no other state.
const generated = new Map<string, Kernel>();

/**
 * Kernels (indexed by depth) for the depths the forest uses. 'branchless' generates them; if
 * code generation is disabled it falls back to loop kernels and says so in `evaluator`.
 */
/** The evaluator a tree runtime runs: no layout for 'interpreted', else the padded forest and its kernels. */
export interface PreparedEvaluator {
  padded: PaddedForest | null;
  kernels: Kernel[];
  evaluator: TreeEvaluator;
}

/** Shared by the LightGBM and XGBoost runtimes: lay the forest out unless interpreted, pick kernels. */
export function prepareEvaluator(want: TreeEvaluator, accumulator: AccumulatorType, layout: () => PaddedForest): PreparedEvaluator {
  if (want === 'interpreted') return { padded: null, kernels: [], evaluator: 'interpreted' };
  const padded = layout();
  return { padded, ...kernelsFor(padded, accumulator, want) };
}

export function kernelsFor(forest: PaddedForest, accumulator: AccumulatorType, want: 'branchless' | 'branchless-loop'):
  { kernels: Kernel[]; evaluator: 'branchless' | 'branchless-loop' } {
  const kernels: Kernel[] = [];
  let evaluator = want;
  for (const depth of new Set(forest.depth)) {
    if (depth < 0) continue;
    const key = `${accumulator}:${depth}`;
    let kernel = evaluator === 'branchless' ? generated.get(key) : undefined;
    if (evaluator === 'branchless' && !kernel) {
      try {
        kernel = new Function(...PARAMETERS, kernelSource(depth, accumulator)) as Kernel;
        generated.set(key, kernel);
      } catch (error) {
        if (!(error instanceof EvalError)) throw error; // EvalError: code generation from strings is disallowed
        evaluator = 'branchless-loop';
      }
    }
    kernels[depth] = kernel ?? loopKernel(depth);
  }
  if (evaluator === 'branchless-loop') kernels.forEach((_, depth) => (kernels[depth] = loopKernel(depth)));
  return { kernels, evaluator };
}

/**
 * Adds every tree to acc in tree order: padded trees through their depth's kernel over the
 * encoded rows X, the others through `walk(tree)` (the runtime's node-array walk).
 */
export function addForest(forest: PaddedForest, kernels: readonly Kernel[], X: Float64Array, nRows: number, acc: Accumulator,
  walk: (tree: number) => void): void {
  const { depth, trees } = forest;
  const width = forest.encodings.length * forest.nFeatures;
  for (let t = 0; t < depth.length; t++) {
    const D = depth[t];
    if (D < 0) walk(t);
    else kernels[D](X, width, nRows, trees[t].column, trees[t].threshold, trees[t].leaf, acc);
  }
}
