import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultConfig } from '../../src/config/schema.ts';
import type { Quote } from '../../src/core/types.ts';
import { spreadGate } from '../../src/pipeline/spreadGate.ts';

const params = defaultConfig().spread_gate; // max 12 bps, age 200 ms, future tolerance 1000 ms
const now = 1_700_000_000_000;

function quote(bid: number, ask: number, ageMs = 0): Quote {
  return { symbol: 'SPY', ts: now - ageMs, bid, ask, bidSize: 100, askSize: 100 };
}

describe('spread gate (SPEC 4.2)', () => {
  it('passes a tight fresh quote and records spread and age', () => {
    const t = spreadGate(quote(99.99, 100.01, 50), now, params);
    expect(t).toMatchObject({ passed: true, reason: 'ok', bid: 99.99, ask: 100.01, quoteAgeMs: 50 });
    expect(Math.abs((t.spreadBps as number) - 2) / 2).toBeLessThan(1e-6);
  });

  it('blocks a missing quote with no_quote', () => {
    expect(spreadGate(null, now, params)).toMatchObject({ passed: false, reason: 'no_quote', spreadBps: null, quoteAgeMs: null });
  });

  it('blocks non-finite, non-positive and crossed quotes with bad_quote', () => {
    for (const [bid, ask] of [[NaN, 100], [100, Infinity], [0, 100], [-1, 100], [100.02, 100.01]]) {
      expect(spreadGate(quote(bid, ask), now, params)).toMatchObject({ passed: false, reason: 'bad_quote', spreadBps: null });
    }
  });

  it('blocks a quote without a finite timestamp as bad_quote', () => {
    expect(spreadGate({ ...quote(99.99, 100.01), ts: NaN }, now, params)).toMatchObject({ passed: false, reason: 'bad_quote' });
  });

  it('passes a spread exactly at max_spread_bps and blocks one above it', () => {
    expect(spreadGate(quote(99.94, 100.06), now, params)).toMatchObject({ passed: true, reason: 'ok' });
    expect(spreadGate(quote(99.9399, 100.0601), now, params)).toMatchObject({ passed: false, reason: 'spread_too_wide' });
  });

  it('blocks a quote older than quote_age_max_ms with stale_quote (exactly at the limit passes)', () => {
    expect(spreadGate(quote(99.99, 100.01, 200), now, params)).toMatchObject({ passed: true, reason: 'ok' });
    expect(spreadGate(quote(99.99, 100.01, 201), now, params)).toMatchObject({ passed: false, reason: 'stale_quote', quoteAgeMs: 201 });
  });

  it('blocks a quote from beyond future_tolerance_ms with future_quote', () => {
    expect(spreadGate(quote(99.99, 100.01, -1000), now, params)).toMatchObject({ passed: true, reason: 'ok' });
    expect(spreadGate(quote(99.99, 100.01, -1001), now, params)).toMatchObject({ passed: false, reason: 'future_quote' });
  });

  it('checks the spread before the age', () => {
    expect(spreadGate(quote(99, 101, 5000), now, params).reason).toBe('spread_too_wide');
  });

  it('when disabled, passes wide or stale quotes as gate_disabled but still blocks bad data', () => {
    const off = { ...params, enabled: false };
    expect(spreadGate(quote(99, 101, 5000), now, off)).toMatchObject({ passed: true, reason: 'gate_disabled' });
    expect(spreadGate(null, now, off)).toMatchObject({ passed: false, reason: 'no_quote' });
    expect(spreadGate(quote(101, 99), now, off)).toMatchObject({ passed: false, reason: 'bad_quote' });
  });

  it('never passes a NaN, non-positive or crossed quote, enabled or not', () => {
    const bad = fc.oneof(fc.constant(NaN), fc.constant(Infinity), fc.constant(-Infinity), fc.constant(0), fc.double({ max: -1e-9, noNaN: true }));
    const price = fc.double({ min: 0.01, max: 1e5, noNaN: true });
    const badQuote = fc.oneof(
      fc.tuple(bad, price).map(([b, a]) => [b, a]),
      fc.tuple(price, bad).map(([b, a]) => [b, a]),
      fc.tuple(price, fc.double({ min: 1e-6, max: 100, noNaN: true })).map(([a, gap]) => [a + gap, a]),
    );
    fc.assert(
      fc.property(badQuote, fc.boolean(), fc.integer({ min: -5000, max: 5000 }), ([bid, ask], enabled, age) => {
        const t = spreadGate(quote(bid, ask, age), now, { ...params, enabled });
        expect(t.passed).toBe(false);
        expect(t.reason).toBe('bad_quote');
      }),
    );
  });
});
