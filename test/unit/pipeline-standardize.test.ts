import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataError } from '../../src/core/errors.ts';
import { standardize } from '../../src/pipeline/standardize.ts';
import { expectRel } from './pipeline-expect.ts';


describe('standardize (SPEC 4.3)', () => {
  it('z-scores the last raw against the population std of the window including it', () => {
    const r = standardize([1, 2, 3, 4, 5], 5);
    expect(r.status).toBe('ok');
    expect(r.n).toBe(5);
    expectRel(r.mean, 3);
    expectRel(r.std, Math.sqrt(2));
    expectRel(r.z, Math.SQRT2);
  });

  it('is warming_up with z null while fewer than min_samples values', () => {
    const r = standardize([1, 2, 3, 4], 5);
    expect(r).toMatchObject({ status: 'warming_up', z: null, n: 4 });
    expect(standardize([], 1)).toMatchObject({ status: 'warming_up', z: null, n: 0 });
  });

  it('clips z to [-3, 3]', () => {
    expect(standardize([...new Array(19).fill(0), 100], 20).z).toBe(3);
    expect(standardize([...new Array(19).fill(0), -100], 20).z).toBe(-3);
  });

  it('gives z = 0 for a constant window (std < 1e-12)', () => {
    expect(standardize(new Array(20).fill(0.0012), 20).z).toBe(0);
    expect(standardize(new Array(20).fill(0), 20).z).toBe(0);
  });

  it('throws DataError BAD_PREDICTION for a non-finite raw', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      try {
        standardize([1, 2, bad], 2);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(DataError);
        expect((error as DataError).code).toBe('BAD_PREDICTION');
      }
    }
  });

  it('never returns |z| > 3 or NaN for any finite window', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 30 }), (window, minSamples) => {
        const r = standardize(window, minSamples);
        if (r.status === 'ok') {
          expect(Number.isFinite(r.z)).toBe(true);
          expect(Math.abs(r.z as number)).toBeLessThanOrEqual(3);
        } else {
          expect(r.z).toBeNull();
        }
      }),
    );
  });
});
