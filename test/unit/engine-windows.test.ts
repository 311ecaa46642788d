import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RollingWindow } from '../../src/engine/rollingWindow.ts';
import { RankedPairs } from '../../src/engine/rankedPairs.ts';
import { StandardizerWindow } from '../../src/engine/standardizerWindow.ts';
import { spearman } from '../../src/pipeline/stats.ts';
import { standardize } from '../../src/pipeline/standardize.ts';

/** What the windows replaced: push then drop the oldest beyond cap. */
function pushBounded(list: number[], value: number, cap: number): void {
  list.push(value);
  if (list.length > cap) list.splice(0, list.length - cap);
}

/** float32 values with many ties (the windows hold float32-rounded outputs and returns). */
const value = fc.oneof(fc.integer({ min: -4, max: 4 }).map((v) => v / 4), fc.double({ min: -1e3, max: 1e3, noNaN: true }).map(Math.fround));

describe('RollingWindow', () => {
  it('holds exactly the last cap values, oldest first, across many compactions and a changed cap', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.integer({ min: 1, max: 40 })), { maxLength: 400 }), (pushes) => {
        const window = new RollingWindow();
        const reference: number[] = [];
        for (const [v, cap] of pushes) {
          window.push(v, cap);
          pushBounded(reference, v, cap);
          expect(window.toArray()).toEqual(reference);
        }
        expect(window.length).toBe(reference.length);
      }),
    );
  });

  it('starts from persisted values and keeps the newest first-to-last order', () => {
    const window = new RollingWindow([1, 2, 3]);
    window.push(4, 3);
    expect(window.toArray()).toEqual([2, 3, 4]);
    expect(window.at(0)).toBe(2);
    expect(window.at(window.length - 1)).toBe(4);
  });
});

describe('RollingWindow lanes', () => {
  it('widens a float32 lane instead of rounding a value that is not float32-exact', () => {
    const window = new RollingWindow([0.5], [Float32Array]);
    window.push(0.1, 4);
    expect(window.toArray()).toEqual([0.5, 0.1]);
    expect(new RollingWindow([0.1, 0.5], [Float32Array]).toArray()).toEqual([0.1, 0.5]);
  });
});

describe('StandardizerWindow', () => {
  it('gives the bit-identical z of standardize over the same window at every push', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 30 }), (values, cap, minSamples) => {
        const window = new StandardizerWindow();
        const reference: number[] = [];
        for (const v of values) {
          window.push(v, cap);
          pushBounded(reference, v, cap);
          expect(Object.is(window.z(minSamples), standardize(reference, minSamples).z)).toBe(true);
        }
      }),
    );
  });

  it('handles an all-zero window (z = 0) and a new largest value that rescales the window', () => {
    const window = new StandardizerWindow([0, 0, 0]);
    expect(window.z(3)).toBe(0);
    window.push(Math.fround(0.5), 4);
    expect(window.z(3)).toBe(standardize([0, 0, 0, Math.fround(0.5)], 3).z);
  });

  it('reports a non-finite raw with the typed error of standardize while it is in the window, and recovers after', () => {
    const window = new StandardizerWindow([0.1, 0.2, 0.3].map(Math.fround));
    window.push(Infinity, 3);
    expect(() => window.z(1)).toThrow(/prediction window\[2\] is Infinity/);
    window.push(Math.fround(0.4), 3);
    window.push(Math.fround(0.5), 3);
    window.push(Math.fround(0.6), 3);
    expect(window.z(1)).toBe(standardize([0.4, 0.5, 0.6].map(Math.fround), 1).z);
  });
});

describe('RankedPairs', () => {
  it('gives the bit-identical spearman of the same pairs at every push, ties included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value), { maxLength: 250 }), fc.integer({ min: 2, max: 60 }), (pairs, cap) => {
        const ranked = new RankedPairs();
        const xs: number[] = [];
        const ys: number[] = [];
        for (const [x, y] of pairs) {
          ranked.push(x, y, cap);
          pushBounded(xs, x, cap);
          pushBounded(ys, y, cap);
          expect(ranked.predictions()).toEqual(xs);
          expect(ranked.realised()).toEqual(ys);
          if (xs.length >= 2) expect(Object.is(ranked.spearman(), spearman(xs, ys))).toBe(true);
        }
      }),
    );
  });

  it('ranks restored pairs from scratch, then keeps them up to date', () => {
    const xs = [0.5, 0.25, 0.25, 1, -1].map(Math.fround);
    const ys = [1, 2, 3, 3, 0].map(Math.fround);
    const ranked = new RankedPairs(xs, ys);
    expect(ranked.spearman()).toBe(spearman(xs, ys));
    ranked.push(0.25, 3, 5);
    expect(ranked.spearman()).toBe(spearman([...xs.slice(1), 0.25], [...ys.slice(1), 3]));
  });

  it('is undefined (the caller asks spearman for its typed error) while a non-finite pair is in the window', () => {
    const ranked = new RankedPairs([0.1, 0.2, 0.3], [0.3, 0.1, 0.2]);
    ranked.push(NaN, 0.5, 3);
    expect(ranked.spearman()).toBeUndefined();
    ranked.push(0.4, 0.2, 3);
    ranked.push(0.5, 0.6, 3);
    ranked.push(0.7, 0.1, 3);
    expect(ranked.spearman()).toBe(spearman([0.4, 0.5, 0.7], [0.2, 0.6, 0.1]));
  });
});
