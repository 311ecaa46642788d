import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../../src/core/errors.ts';
import { FRESHNESS_TAU_SECONDS } from '../../src/core/horizons.ts';
import { adv, capacity, confidence, effectiveIC, freshness, spearman, stability } from '../../src/pipeline/confidence.ts';
import { expectRel, expectSpecDigits } from './pipeline-expect.ts';


const base = {
  icWindow: 50,
  icPrior: 0.05,
  priorWeight: 20,
  ageMs: 30_000,
  tauSeconds: FRESHNESS_TAU_SECONDS['5m'],
  kappa: 0.1,
  adv: null,
  plannedNotional: 5000,
  errors: [],
  sigmaH: 0.001,
};

describe('confidence (SPEC 4.3)', () => {
  it('reproduces the worked example: IC_eff 0.11, freshness 0.818731, c 0.0450302, s 0.0900604, alpha 9.00604e-5', () => {
    const icEff = effectiveIC({ icLive: 0.15, pairs: 30, icPrior: 0.05, priorWeight: 20 });
    expectSpecDigits(icEff, 0.11);
    const fresh = freshness(30_000, FRESHNESS_TAU_SECONDS['5m']);
    expectSpecDigits(fresh, 0.818731);
    const cap = capacity({ kappa: 0.1, adv: null, plannedNotional: 5000 });
    expect(cap).toBe(1);
    const stab = stability([], 0.001);
    expect(stab).toBe(0.5);
    const c = icEff * fresh * cap * stab;
    expectSpecDigits(c, 0.0450302);
    const s = 2 * c;
    expectSpecDigits(s, 0.0900604);
    expectSpecDigits(s * 0.001, 9.00604e-5);
  });

  it('fills every trace field and multiplies the four factors', () => {
    // 30 perfectly monotone pairs: IC_live 1 -> IC_eff (30*1 + 20*0.05)/50 = 0.62
    const predictions = Array.from({ length: 30 }, (_, i) => i * 1e-4);
    const realised = predictions.map((p) => p * p * 3 + 1e-5);
    const t = confidence({ ...base, predictions, realised });
    expect(t.icPairs).toBe(30);
    expect(t.icLive).toBeCloseTo(1, 12);
    expectRel(t.icEff, 0.62);
    expect(t.icPrior).toBe(0.05);
    expectRel(t.freshness, Math.exp(-0.2));
    expect(t.capacity).toBe(1);
    expect(t.stability).toBe(0.5);
    expectRel(t.confidence, 0.62 * Math.exp(-0.2) * 0.5);
  });

  it('uses only the last ic_window pairs for IC_live', () => {
    const predictions = [...Array.from({ length: 20 }, (_, i) => -i), ...Array.from({ length: 10 }, (_, i) => i)];
    const realised = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => i)];
    const t = confidence({ ...base, predictions, realised, icWindow: 10 });
    expect(t.icPairs).toBe(10);
    expect(t.icLive).toBeCloseTo(1, 12);
  });

  it('ignores IC_live with fewer than 5 pairs and falls back to the prior', () => {
    const t = confidence({ ...base, predictions: [1, 2, 3, 4], realised: [1, 2, 3, 4] });
    expect(t.icLive).toBeNull();
    expect(t.icPairs).toBe(4);
    expectRel(t.icEff, 0.05);
    expect(effectiveIC({ icLive: 0.9, pairs: 4, icPrior: 0.05, priorWeight: 20 })).toBeCloseTo(0.05, 12);
    expect(effectiveIC({ icLive: null, pairs: 30, icPrior: 0.05, priorWeight: 20 })).toBeCloseTo(0.05, 12);
  });

  it('floors IC_eff at 0 and handles n + n0 = 0', () => {
    expect(effectiveIC({ icLive: -0.5, pairs: 30, icPrior: 0.05, priorWeight: 20 })).toBe(0);
    expect(effectiveIC({ icLive: null, pairs: 0, icPrior: 0.03, priorWeight: 0 })).toBe(0.03);
    expect(effectiveIC({ icLive: null, pairs: 0, icPrior: -0.03, priorWeight: 0 })).toBe(0);
  });

  it('freshness is 1 for a bar from the future and decays with tau', () => {
    expect(freshness(-5000, 150)).toBe(1);
    expectRel(freshness(1_800_000, 1800), Math.exp(-1));
    expect(freshness(Infinity, 150)).toBe(0);
    expect(() => freshness(NaN, 150)).toThrow(DataError);
    expect(() => freshness(1000, 0)).toThrow(ConfigError);
  });

  it('capacity = min(1, kappa*ADV/planned), 1 when it cannot be computed', () => {
    expectRel(capacity({ kappa: 0.1, adv: 1_000_000, plannedNotional: 500_000 }), 0.2);
    expect(capacity({ kappa: 0.1, adv: 1e9, plannedNotional: 5000 })).toBe(1);
    expect(capacity({ kappa: 0.1, adv: 0, plannedNotional: 5000 })).toBe(1);
    expect(capacity({ kappa: 0.1, adv: NaN, plannedNotional: 5000 })).toBe(1);
    expect(capacity({ kappa: 0.1, adv: 1e6, plannedNotional: 0 })).toBe(1);
  });

  it('stability = 1/(1 + RMSE/sigma_h) over the last 10 errors; 0.5 with < 3 errors or no sigma', () => {
    expectRel(stability([0.002, -0.001, 0.003, 0.0005], 0.002), 0.5144749311191432);
    expectRel(stability([0.001, -0.001, 0.001], 0.001), 0.5);
    // Two huge old errors fall out of the last-10 window.
    expectRel(stability([1, 1, ...new Array(10).fill(0.001)], 0.001), 0.5);
    expect(stability([0.001, 0.002], 0.001)).toBe(0.5);
    expect(stability([0.001, 0.002, 0.003], 0)).toBe(0.5);
    expect(() => stability([0.001, NaN, 0.003], 0.001)).toThrow(DataError);
  });

  it('ADV is the mean dollar volume of the last 20 daily bars', () => {
    expect(adv([10, 20], [100, 200])).toBe(2500);
    const closes = [...new Array(5).fill(1000), ...new Array(20).fill(10)];
    const volumes = new Array(25).fill(100);
    expect(adv(closes, volumes)).toBe(1000);
    expect(adv([], [])).toBeNull();
    expect(() => adv([10, NaN], [1, 1])).toThrow(DataError);
    expect(() => adv([10], [1, 1])).toThrow(DataError);
  });

  it('re-exports Spearman with average ranks for ties', () => {
    expectRel(spearman([1, 2, 2, 3, 4], [2, 1, 3, 3, 5]), 0.7631578947368421);
  });
});
