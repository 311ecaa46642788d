import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultConfig } from '../../src/config/schema.ts';
import { DataError } from '../../src/core/errors.ts';
import { exitRule, sizeTarget, volScaledWeight } from '../../src/pipeline/sizing.ts';

const cfg = defaultConfig();
/** Exactly computed expectations: 1e-6 relative. */
const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(1e-6);
/** The SPEC prints 6 significant digits (up to 5e-6 relative rounding): match them digit for digit. */
const spec6 = (actual: number, printed: number) => expect(Number(actual.toPrecision(6))).toBe(printed);

describe('volScaledWeight (SPEC 4.7)', () => {
  it('sizes the worked example: alpha 0.003, sigma_h 0.001*sqrt(12) -> z 0.866025 -> w_raw 0.0144338', () => {
    const sigmaH = 0.001 * Math.sqrt(12);
    spec6(sigmaH, 0.0034641);
    spec6(0.003 / sigmaH, 0.866025);
    spec6(volScaledWeight(0.003, sigmaH, 3, 0.05), 0.0144338);
    close(volScaledWeight(0.003, sigmaH, 3, 0.05), (0.003 / sigmaH) * (0.05 / 3));
  });

  it('is symmetric for shorts and clips at ±max_weight', () => {
    spec6(volScaledWeight(-0.003, 0.001 * Math.sqrt(12), 3, 0.05), -0.0144338);
    expect(volScaledWeight(1, 0.001, 3, 0.05)).toBe(0.05);
    expect(volScaledWeight(-1, 0.001, 3, 0.05)).toBe(-0.05);
  });

  it('returns 0 for sigma <= 0 or any non-finite input', () => {
    expect(volScaledWeight(0.003, 0, 3, 0.05)).toBe(0);
    expect(volScaledWeight(0.003, -0.001, 3, 0.05)).toBe(0);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(volScaledWeight(bad, 0.001, 3, 0.05)).toBe(0);
      expect(volScaledWeight(0.001, bad, 3, 0.05)).toBe(0);
      expect(volScaledWeight(0.001, 0.001, bad, 0.05)).toBe(0);
      expect(volScaledWeight(0.001, 0.001, 3, bad)).toBe(0);
    }
  });

  it('|w| <= maxWeight for any finite inputs', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (alpha, sigma, zMax, maxWeight) => {
          const w = volScaledWeight(alpha, sigma, zMax, maxWeight);
          return Number.isFinite(w) && Math.abs(w) <= maxWeight;
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('sizeTarget', () => {
  const sigmaH = 0.001 * Math.sqrt(12);

  it('multiplies w_raw by the barrier gate', () => {
    const r = sizeTarget({ alpha: 0.003, sigmaH, gate: 0.564358 }, cfg.sizing, cfg.risk);
    spec6(r.wRaw, 0.0144338);
    close(r.targetWeight, r.wRaw * 0.564358);
    expect(r.capped).toBe(false);
  });

  it('caps at ±max_position_pct/100', () => {
    const sizing = { ...cfg.sizing, max_weight: 0.5 };
    const risk = { ...cfg.risk, max_position_pct: 20 };
    expect(sizeTarget({ alpha: 1, sigmaH, gate: 1 }, sizing, risk)).toEqual({ wRaw: 0.5, targetWeight: 0.2, capped: true });
    expect(sizeTarget({ alpha: -1, sigmaH, gate: 1 }, sizing, risk)).toEqual({ wRaw: -0.5, targetWeight: -0.2, capped: true });
  });

  it('is 0 with a zero sigma and throws a DataError for a gate outside [0, 1]', () => {
    expect(sizeTarget({ alpha: 0.003, sigmaH: 0, gate: 1 }, cfg.sizing, cfg.risk).targetWeight).toBe(0);
    expect(() => sizeTarget({ alpha: 0.003, sigmaH, gate: Number.NaN }, cfg.sizing, cfg.risk)).toThrow(DataError);
    expect(() => sizeTarget({ alpha: 0.003, sigmaH, gate: 1.5 }, cfg.sizing, cfg.risk)).toThrow(DataError);
  });
});

describe('exitRule (SPEC 4.7 exits)', () => {
  const opened = 1_000_000;
  const base = { nowMs: opened + 60_000, bestAlpha: null, barrierExitFired: false };
  const long = { weight: 0.02, openedAtMs: opened, horizon: '5m' };

  it('reports no_position without a position', () => {
    expect(exitRule({ ...base, position: null }, cfg.sizing)).toEqual({ exit: false, reason: 'no_position' });
  });

  it('exits after hold_multiple * h of calendar time (strictly more)', () => {
    expect(exitRule({ ...base, position: long, nowMs: opened + 5 * 60_000 }, cfg.sizing).reason).toBe('hold');
    expect(exitRule({ ...base, position: long, nowMs: opened + 5 * 60_000 + 1 }, cfg.sizing)).toEqual({ exit: true, reason: 'max_holding_time' });
    const sizing = { ...cfg.sizing, hold_multiple: 2 };
    expect(exitRule({ ...base, position: long, nowMs: opened + 9 * 60_000 }, sizing).exit).toBe(false);
  });

  it('counts 1d as 24 calendar hours, not one 390-minute session', () => {
    const daily = { weight: 0.02, openedAtMs: opened, horizon: '1d' };
    expect(exitRule({ ...base, position: daily, nowMs: opened + 390 * 60_000 + 1 }, cfg.sizing).exit).toBe(false);
    expect(exitRule({ ...base, position: daily, nowMs: opened + 24 * 3_600_000 + 1 }, cfg.sizing).reason).toBe('max_holding_time');
  });

  it('exits when the best alpha points against the position (long and short)', () => {
    expect(exitRule({ ...base, position: long, bestAlpha: -0.001 }, cfg.sizing).reason).toBe('alpha_reversed');
    expect(exitRule({ ...base, position: long, bestAlpha: 0.001 }, cfg.sizing).reason).toBe('hold');
    const short = { ...long, weight: -0.02 };
    expect(exitRule({ ...base, position: short, bestAlpha: 0.001 }, cfg.sizing).reason).toBe('alpha_reversed');
    expect(exitRule({ ...base, position: short, bestAlpha: 0 }, cfg.sizing).reason).toBe('hold');
  });

  it('exits when the barrier exit fired', () => {
    expect(exitRule({ ...base, position: long, barrierExitFired: true }, cfg.sizing)).toEqual({ exit: true, reason: 'barrier_exit' });
  });

  it('checks holding time, then alpha reversal, then barrier', () => {
    const all = { position: long, nowMs: opened + 3_600_000, bestAlpha: -0.01, barrierExitFired: true };
    expect(exitRule(all, cfg.sizing).reason).toBe('max_holding_time');
    expect(exitRule({ ...all, nowMs: opened + 1 }, cfg.sizing).reason).toBe('alpha_reversed');
  });
});
