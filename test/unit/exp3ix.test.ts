import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataError, StateError } from '../../src/core/errors.ts';
import { banditMultiplier, effectiveBlend, Exp3IX } from '../../src/learning/exp3ix.ts';

const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(1e-6);
const spec6 = (actual: number, printed: number) => expect(Number(actual.toPrecision(6))).toBe(printed);
const spec6All = (actual: number[], printed: number[]) => {
  expect(actual).toHaveLength(printed.length);
  actual.forEach((a, i) => spec6(a, printed[i]));
};

const opts = { arms: 3, eta: 0.1, gamma: 0.05, rewardScaleBps: 50 };

describe('Exp3-IX (SPEC 7 worked example, K 3, eta 0.1, gamma 0.05)', () => {
  it('starts uniform', () => {
    const b = new Exp3IX(opts);
    b.probabilities().forEach((p) => close(p, 1 / 3));
    expect(b.samples).toBe(0);
  });

  it('+20 bps on arm 0 -> l 0.3, l_hat 0.782609, p (0.316175, 0.341913, 0.341913)', () => {
    const b = new Exp3IX(opts);
    const u = b.update(0, 20);
    close(u.loss, 0.3);
    spec6(u.lossEstimate, 0.782609);
    close(u.lossEstimate, 0.3 / (1 / 3 + 0.05));
    spec6All(b.probabilities(), [0.316175, 0.341913, 0.341913]);
    expect(b.samples).toBe(1);
  });

  it('then -30 bps on arm 1 -> l 0.8, l_hat 2.04127 (p before the update), p (0.337480, 0.297567, 0.364953)', () => {
    const b = new Exp3IX(opts);
    b.update(0, 20);
    const pBefore = b.probabilities()[1];
    const u = b.update(1, -30);
    close(u.loss, 0.8);
    spec6(u.lossEstimate, 2.04127);
    close(u.lossEstimate, 0.8 / (pBefore + 0.05));
    spec6All(b.probabilities(), [0.33748, 0.297567, 0.364953]);
  });

  it('addresses arms by name and round-trips through plain JSON', () => {
    const b = new Exp3IX({ ...opts, arms: ['5m', '15m', '60m'] });
    b.update('5m', 20);
    b.update('15m', -30);
    const saved = JSON.parse(JSON.stringify(b.toJSON()));
    expect(saved.arms).toEqual(['5m', '15m', '60m']);
    expect(saved.samples).toBe(2);
    const restored = new Exp3IX({ ...opts, arms: ['5m', '15m', '60m'], state: saved });
    expect(restored.probabilities()).toEqual(b.probabilities());
    expect(restored.samples).toBe(2);
    spec6All(restored.probabilities(), [0.33748, 0.297567, 0.364953]);
  });

  it('clips the loss to [0, 1]', () => {
    expect(new Exp3IX(opts).update(0, 1e6).loss).toBe(0);
    expect(new Exp3IX(opts).update(0, -1e6).loss).toBe(1);
    expect(new Exp3IX(opts).update(0, 0).loss).toBe(0.5);
  });

  it('rejects a non-finite reward and an unknown arm with typed errors, leaving the state unchanged', () => {
    const b = new Exp3IX(opts);
    expect(() => b.update(0, Number.NaN)).toThrow(DataError);
    expect(() => b.update(0, Number.POSITIVE_INFINITY)).toThrow(DataError);
    expect(() => b.update(3, 10)).toThrow(StateError);
    expect(() => b.update('7m', 10)).toThrow(StateError);
    expect(b.samples).toBe(0);
    b.probabilities().forEach((p) => close(p, 1 / 3));
  });

  it('refuses a saved state whose arms differ from the configured ones', () => {
    const saved = new Exp3IX({ ...opts, arms: ['5m', '15m'] }).toJSON();
    expect(() => new Exp3IX({ ...opts, arms: ['5m', '60m'], state: saved })).toThrow(StateError);
    expect(() => new Exp3IX({ ...opts, arms: ['5m', '15m'], state: { ...saved, logWeights: [0, Number.NaN] } })).toThrow(StateError);
  });

  it('rejects bad parameters', () => {
    expect(() => new Exp3IX({ ...opts, arms: 0 })).toThrow(DataError);
    expect(() => new Exp3IX({ ...opts, arms: ['a', 'a'] })).toThrow(DataError);
    expect(() => new Exp3IX({ ...opts, eta: 0 })).toThrow(DataError);
    expect(() => new Exp3IX({ ...opts, rewardScaleBps: Number.NaN })).toThrow(DataError);
  });

  it('stays a finite distribution after 1e5 updates with extreme rewards on random arms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer(), fc.constantFrom(0, 0.05, 1), (k, seed, gamma) => {
        const b = new Exp3IX({ arms: k, eta: 0.1, gamma, rewardScaleBps: 50 });
        let x = seed >>> 0 || 1;
        for (let i = 0; i < 100_000; i += 1) {
          x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; // xorshift32
          b.update(x % k, (x & 1024) === 0 ? 1e6 : -1e6);
        }
        const p = b.probabilities();
        expect(b.samples).toBe(100_000);
        expect(p.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
        expect(Math.abs(p.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-9);
        expect(b.toJSON().logWeights.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 6 },
    );
  });
});

describe('effectiveBlend', () => {
  const params = { blend_ratio: 0.3, min_samples: 100, ramp_up_samples: 100 };
  it('is 0 until min_samples updates, then ramps linearly to blend_ratio', () => {
    expect(effectiveBlend(0, params)).toBe(0);
    expect(effectiveBlend(99, params)).toBe(0);
    expect(effectiveBlend(100, params)).toBe(0);
    close(effectiveBlend(150, params), 0.15);
    close(effectiveBlend(200, params), 0.3);
    close(effectiveBlend(10_000, params), 0.3);
  });
});

describe('banditMultiplier', () => {
  it('is (1-e) + e*K*p: 1 with e = 0 or a uniform p, tilted otherwise', () => {
    expect(banditMultiplier(0.2, 3, 0)).toBe(1);
    close(banditMultiplier(1 / 3, 3, 0.3), 1);
    close(banditMultiplier(0.5, 3, 0.3), 0.7 + 0.3 * 1.5);
  });
});
