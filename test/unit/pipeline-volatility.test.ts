import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, DataError } from '../../src/core/errors.ts';
import { horizonSigma, sigma5m, sigmaBar, simpleReturns } from '../../src/pipeline/volatility.ts';
import { expectRel, expectSpecDigits } from './pipeline-expect.ts';


describe('volatility (SPEC 4.1)', () => {
  const closes = [100, 101, 100, 102, 101.5];

  it('computes simple close-to-close returns', () => {
    const r = simpleReturns(closes);
    expect(r).toHaveLength(4);
    expectRel(r[0], 0.01);
    expectRel(r[1], -1 / 101);
    expectRel(r[3], -0.5 / 102);
    expect(simpleReturns([100])).toEqual([]);
  });

  it('sigma_bar is the sample std (n-1) of the returns', () => {
    expectRel(sigmaBar(closes, 20), 0.01371521356022785);
  });

  it('sigma_bar uses only the last vol_window returns', () => {
    expectRel(sigmaBar(closes, 3), 0.016016487098683554);
  });

  it('sigma_bar is null (insufficient history) with fewer than 2 returns', () => {
    expect(sigmaBar([100, 101], 20)).toBeNull();
    expect(sigmaBar([100], 20)).toBeNull();
    expect(sigmaBar([], 20)).toBeNull();
  });

  it('scales to a horizon by sqrt(h / bar_minutes): 60m on 5-minute bars is sigma*sqrt(12)', () => {
    expectSpecDigits(horizonSigma(0.001, 60, 5), 0.0034641);
  });

  it('sigma_5m is sigma_bar*sqrt(5/bar_minutes) for 1-minute and daily bars (no annualising)', () => {
    expectRel(sigma5m(0.001, 1), 0.001 * Math.sqrt(5));
    expectRel(sigma5m(0.01, 390), 0.01 * Math.sqrt(5 / 390));
    expectRel(horizonSigma(0.01, 390, 390), 0.01);
  });

  it('rejects a bad price with a DataError BAD_PRICE naming its index and value', () => {
    try {
      simpleReturns([100, 101, 0, 102]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).code).toBe('BAD_PRICE');
      expect((error as DataError).message).toContain('close[2]');
      expect((error as DataError).message).toContain('0');
    }
  });

  it('rejects invalid parameters with a ConfigError', () => {
    expect(() => sigmaBar(closes, 1)).toThrow(ConfigError);
    expect(() => horizonSigma(0.001, 60, 0)).toThrow(ConfigError);
    expect(() => horizonSigma(NaN, 60, 5)).toThrow(DataError);
  });

  it('throws a typed DataError for any NaN, Infinity, zero or negative price anywhere', () => {
    const good = fc.double({ min: 0.01, max: 1e6, noNaN: true });
    const bad = fc.oneof(fc.constant(NaN), fc.constant(Infinity), fc.constant(-Infinity), fc.constant(0), fc.double({ max: -1e-9, noNaN: true }));
    fc.assert(
      fc.property(fc.array(good, { maxLength: 30 }), bad, fc.nat(), fc.integer({ min: 2, max: 40 }), (prices, badPrice, at, window) => {
        const series = [...prices];
        series.splice(at % (series.length + 1), 0, badPrice);
        expect(() => simpleReturns(series)).toThrow(DataError);
        expect(() => sigmaBar(series, window)).toThrow(DataError);
      }),
    );
  });
});
