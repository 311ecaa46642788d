import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultConfig } from '../../src/config/schema.ts';
import { barrierExit, barrierG, barrierGate } from '../../src/pipeline/barrier.ts';

const params = defaultConfig().barrier_gate;
/** Exactly computed expectations: 1e-6 relative. */
const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(1e-6);
/** The SPEC prints 6 significant digits (up to 5e-6 relative rounding): match them digit for digit. */
const spec6 = (actual: number, printed: number) => expect(Number(actual.toPrecision(6))).toBe(printed);

describe('barrierG (SPEC 4.6 worked examples)', () => {
  it.each([
    [0.3, 0.3, 0.564358],
    [0.5, 0.5, 0.433013],
    [0.6, 0, 0.282843],
    [0.2, 0.5, 0.69282],
    [0.75, 0, 0.2],
  ])('G(%s, %s) = %s', (a, b, g) => spec6(barrierG(a, b, params), g));

  it('floors at g_min and never exceeds 1', () => {
    expect(barrierG(1, 0, params)).toBe(0.2);
    expect(barrierG(0, 1, params)).toBe(1);
  });

  it('stays in [g_min, 1] for any probabilities', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const g = barrierG(a, b, params);
        return g >= params.g_min && g <= 1;
      }),
    );
  });
});

describe('barrierGate', () => {
  it('blocks a long entry when p_peak > peak_threshold', () => {
    expect(barrierGate({ side: 'long', pPeak: 0.61, pValley: 0.1 }, params)).toEqual({ allowed: false, gate: 0, reason: 'peak_risk' });
  });

  it('allows a long entry with p_peak exactly at peak_threshold (strict comparison)', () => {
    const r = barrierGate({ side: 'long', pPeak: 0.6, pValley: 0 }, params);
    expect(r.allowed).toBe(true);
    spec6(r.gate, 0.282843);
  });

  it('gates a long with G(p_peak, p_valley), valley_bounce when p_valley > valley_threshold', () => {
    const r = barrierGate({ side: 'long', pPeak: 0.2, pValley: 0.6 }, params);
    expect(r.reason).toBe('valley_bounce');
    close(r.gate, 0.8 * Math.sqrt(0.8));
    const n = barrierGate({ side: 'long', pPeak: 0.3, pValley: 0.3 }, params);
    expect(n.reason).toBe('normal_entry');
    spec6(n.gate, 0.564358);
  });

  it('mirrors for a short: blocked on p_valley, gated by G(p_valley, p_peak), peak_rejection', () => {
    expect(barrierGate({ side: 'short', pPeak: 0.1, pValley: 0.7 }, params)).toEqual({ allowed: false, gate: 0, reason: 'valley_risk' });
    const r = barrierGate({ side: 'short', pPeak: 0.5, pValley: 0.5 }, params);
    expect(r.reason).toBe('normal_entry');
    spec6(r.gate, 0.433013);
    const p = barrierGate({ side: 'short', pPeak: 0.56, pValley: 0.2 }, params);
    expect(p.reason).toBe('peak_rejection');
    close(p.gate, 0.8 * Math.sqrt(0.78));
  });

  it('does not shrink a position without a barrier model (null or NaN probability)', () => {
    for (const [pPeak, pValley] of [[null, 0.2], [0.2, null], [Number.NaN, 0.2], [0.2, Number.NaN]] as const) {
      expect(barrierGate({ side: 'long', pPeak, pValley }, params)).toEqual({ allowed: true, gate: 1, reason: 'no_barrier_model' });
    }
  });

  it('passes everything at gate 1 when disabled', () => {
    expect(barrierGate({ side: 'long', pPeak: 0.99, pValley: 0 }, { ...params, enabled: false })).toEqual({
      allowed: true,
      gate: 1,
      reason: 'gate_disabled',
    });
  });

  it('clips probabilities to [0, 1]', () => {
    expect(barrierGate({ side: 'long', pPeak: -0.5, pValley: 2 }, params).gate).toBe(1);
    expect(barrierGate({ side: 'long', pPeak: 1.5, pValley: 0 }, params).allowed).toBe(false);
  });

  it('never returns a NaN gate for any input', () => {
    const prob = fc.oneof(fc.constant(null), fc.double());
    fc.assert(
      fc.property(fc.constantFrom('long' as const, 'short' as const), prob, prob, (side, pPeak, pValley) => {
        const r = barrierGate({ side, pPeak, pValley }, params);
        return Number.isFinite(r.gate) && r.gate >= 0 && r.gate <= 1;
      }),
    );
  });
});

describe('barrierExit', () => {
  it('fires for a long when p_peak > exit_threshold and for a short when p_valley > exit_threshold', () => {
    expect(barrierExit('long', 0.66, 0, params)).toBe(true);
    expect(barrierExit('long', 0.65, 0.99, params)).toBe(false);
    expect(barrierExit('short', 0.99, 0.65, params)).toBe(false);
    expect(barrierExit('short', 0, 0.66, params)).toBe(true);
  });

  it('never fires without a model or with the gate disabled', () => {
    expect(barrierExit('long', null, 0.9, params)).toBe(false);
    expect(barrierExit('short', 0.9, null, params)).toBe(false);
    expect(barrierExit('long', Number.NaN, 0, params)).toBe(false);
    expect(barrierExit('long', 0.9, 0, { ...params, enabled: false })).toBe(false);
  });
});
