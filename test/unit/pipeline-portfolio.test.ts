import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultConfig } from '../../src/config/schema.ts';
import { DataError } from '../../src/core/errors.ts';
import {
  constructPortfolio,
  grossFactor,
  grossNormalize,
  noTradeBand,
  sharesToTrade,
  type PortfolioInput,
} from '../../src/pipeline/portfolio.ts';

const cfg = defaultConfig();
const sizing = cfg.sizing;
const risk = cfg.risk;
const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(1e-6);
const spec6 = (actual: number, printed: number) => expect(Number(actual.toPrecision(6))).toBe(printed);

const base: PortfolioInput = { pv: 100_000, positions: [], proposals: [], tradingMode: 'active', flatten: false };
const pos = (symbol: string, shares: number, price = 100) => ({ symbol, shares, price });
const prop = (symbol: string, targetWeight: number, isExit = false) => ({ symbol, targetWeight, isExit });
const line = (r: ReturnType<typeof constructPortfolio>, symbol: string) => r.lines.find((l) => l.symbol === symbol)!;

describe('gross normalisation (SPEC 4.8 step 2)', () => {
  it('scales (0.3, -0.25, 0.1) by 0.769231 to (0.230769, -0.192308, 0.0769231)', () => {
    spec6(grossFactor([0.3, -0.25, 0.1], 0.5), 0.769231);
    const w = grossNormalize([0.3, -0.25, 0.1], 0.5);
    [0.230769, -0.192308, 0.0769231].forEach((e, i) => spec6(w[i], e));
    close(w[0], 0.3 / 1.3);
  });

  it('returns an unchanged copy at or below the target', () => {
    const input = [0.2, -0.3];
    const out = grossNormalize(input, 0.5);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
    expect(grossFactor([], 0.5)).toBe(1);
  });

  it('never increases any |w| and hits the target exactly when above it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { maxLength: 30 }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        (weights, target) => {
          const out = grossNormalize(weights, target);
          out.forEach((w, i) => expect(Math.abs(w)).toBeLessThanOrEqual(Math.abs(weights[i])));
          const gross = weights.reduce((s, w) => s + Math.abs(w), 0);
          const after = out.reduce((s, w) => s + Math.abs(w), 0);
          if (gross > target) expect(Math.abs(after - target)).toBeLessThan(1e-9);
          else expect(out).toEqual(weights);
        },
      ),
    );
  });
});

describe('noTradeBand (SPEC 4.8 step 3)', () => {
  it('keeps the current weight when the move is smaller than the band', () => {
    expect(noTradeBand(0.055, 0.05, 0.008)).toEqual({ weight: 0.05, banded: true });
    expect(noTradeBand(0.06, 0.05, 0.008)).toEqual({ weight: 0.06, banded: false });
  });

  it('never bands a full exit to exactly 0', () => {
    expect(noTradeBand(0, 0.005, 0.008)).toEqual({ weight: 0, banded: false });
    expect(noTradeBand(0.001, 0.005, 0.008)).toEqual({ weight: 0.005, banded: true });
  });
});

describe('sharesToTrade', () => {
  it('truncates toward zero in whole-share mode, both directions', () => {
    expect(sharesToTrade(0.05, 0, 100_000, 300, false)).toBe(16);
    expect(sharesToTrade(-0.05, 0, 100_000, 300, false)).toBe(-16);
    expect(Object.is(sharesToTrade(0.001, 0, 100_000, 300, false), 0)).toBe(true);
    expect(Object.is(sharesToTrade(-0.001, 0, 100_000, 300, false), 0)).toBe(true);
  });

  it('keeps fractions in fractional mode', () => {
    close(sharesToTrade(0.05, 0, 100_000, 300, true), 5000 / 300);
  });

  it('does not lose a share to float noise', () => {
    // 0.29 * 100000 / 29 is 999.9999999999999 in binary floating point.
    expect((0.29 * 100_000) / 29).toBeLessThan(1000);
    expect(sharesToTrade(0.29, 0, 100_000, 29, false)).toBe(1000);
    expect(sharesToTrade(-0.29, 0, 100_000, 29, false)).toBe(-1000);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('throws DataError BAD_PRICE for price or PV %s', (bad) => {
    expect(() => sharesToTrade(0.05, 0, 100_000, bad, false)).toThrow(DataError);
    expect(() => sharesToTrade(0.05, 0, bad, 100, false)).toThrow(expect.objectContaining({ code: 'BAD_PRICE' }));
  });
});

describe('constructPortfolio', () => {
  it('re-marks current weights and sizes an entry in whole shares', () => {
    const r = constructPortfolio({ ...base, positions: [pos('SPY', 0, 500), pos('QQQ', 20, 400)], proposals: [prop('SPY', 0.05), prop('QQQ', 0.08)] }, sizing, risk);
    expect(line(r, 'QQQ').currentWeight).toBe(0.08);
    expect(line(r, 'QQQ')).toMatchObject({ action: 'HOLD', reason: 'no_trade_band', banded: true, shares: 0 });
    expect(line(r, 'SPY')).toMatchObject({ action: 'TRADE', reason: 'entry', shares: 10, riskAdjustedWeight: 0.05 });
    expect(r.orders).toEqual([{ symbol: 'SPY', shares: 10, reason: 'entry', riskReducing: false }]);
  });

  it('applies the gross normalisation of the worked example before sizing', () => {
    const r = constructPortfolio(
      { ...base, positions: [pos('A', 0), pos('B', 0), pos('C', 0)], proposals: [prop('A', 0.3), prop('B', -0.25), prop('C', 0.1)] },
      sizing,
      { ...risk, max_position_pct: 50 },
    );
    spec6(line(r, 'A').grossFactor, 0.769231);
    spec6(line(r, 'B').normalizedWeight, -0.192308);
    expect(r.orders.map((o) => o.shares)).toEqual([230, -192, 76]);
  });

  it('never bands a full exit and closes exactly the held shares', () => {
    const r = constructPortfolio({ ...base, positions: [pos('SPY', 1, 500), pos('IWM', 10.5, 200)], proposals: [prop('SPY', 0, true), prop('IWM', 0, true)] }, sizing, risk);
    expect(r.orders).toEqual([
      { symbol: 'SPY', shares: -1, reason: 'exit', riskReducing: true },
      { symbol: 'IWM', shares: -10.5, reason: 'exit', riskReducing: true },
    ]);
  });

  it('holds below_one_share when the order rounds to zero shares', () => {
    const r = constructPortfolio({ ...base, positions: [pos('NVR', 0, 5000)], proposals: [prop('NVR', 0.009)] }, sizing, risk);
    expect(line(r, 'NVR')).toMatchObject({ action: 'HOLD', reason: 'below_one_share', banded: false, shares: 0 });
    expect(r.orders).toEqual([]);
  });

  it('sends risk-reducing orders first, then in proposal order', () => {
    const r = constructPortfolio(
      { ...base, positions: [pos('A', 0), pos('B', 0), pos('C', 300), pos('D', -200)], proposals: [prop('A', 0.05), prop('B', -0.05), prop('C', 0.1), prop('D', 0, true)] },
      sizing,
      risk,
    );
    expect(r.orders.map((o) => [o.symbol, o.shares, o.riskReducing])).toEqual([
      ['C', -200, true],
      ['D', 200, true],
      ['A', 50, false],
      ['B', -50, false],
    ]);
  });

  it('caps a target beyond max_position_pct (position_capped)', () => {
    const r = constructPortfolio({ ...base, positions: [pos('A', 0)], proposals: [prop('A', 0.3)] }, sizing, risk);
    expect(line(r, 'A')).toMatchObject({ riskAdjustedWeight: 0.2, riskReason: 'position_capped', shares: 200, reason: 'position_capped' });
  });

  it('scales risk-increasing orders in proposal order after counting reductions (gross_capped)', () => {
    // Held gross 0.85 (X 0.65 without proposal, B 0.2). B's reduction frees 0.1 for A; C gets the last 0.05.
    const r = constructPortfolio(
      { ...base, positions: [pos('X', 650), pos('A', 0), pos('B', 200), pos('C', 0)], proposals: [prop('A', 0.2), prop('B', 0.1), prop('C', 0.15)] },
      sizing,
      risk,
    );
    expect(line(r, 'A')).toMatchObject({ shares: 200, riskReason: null });
    expect(line(r, 'C')).toMatchObject({ shares: 50, riskReason: 'gross_capped', reason: 'gross_capped' });
    close(line(r, 'C').riskAdjustedWeight, 0.05);
    expect(line(r, 'X')).toMatchObject({ action: 'HOLD', reason: 'no_proposal', currentWeight: 0.65 });
    expect(r.orders.map((o) => [o.symbol, o.shares])).toEqual([['B', -100], ['A', 200], ['C', 50]]);
  });

  it('holds gross_capped when no gross room is left at all', () => {
    const r = constructPortfolio({ ...base, positions: [pos('X', 1000), pos('A', 0)], proposals: [prop('A', 0.05)] }, sizing, risk);
    expect(line(r, 'A')).toMatchObject({ action: 'HOLD', reason: 'gross_capped', shares: 0 });
  });

  it('reduce_only: a long 100 with target -0.05 sells exactly 100, never flips', () => {
    const r = constructPortfolio({ ...base, positions: [pos('SPY', 100)], proposals: [prop('SPY', -0.05)], tradingMode: 'reducing' }, sizing, risk);
    expect(r.orders).toEqual([{ symbol: 'SPY', shares: -100, reason: 'reduce_only_capped', riskReducing: true }]);
    expect(line(r, 'SPY').riskAdjustedWeight).toBe(0);
  });

  it('reduce_only: blocks entries and increases, sends partial reductions', () => {
    const r = constructPortfolio(
      { ...base, positions: [pos('A', 0), pos('B', 100), pos('C', 100), pos('D', -100)], proposals: [prop('A', 0.05), prop('B', 0.15), prop('C', 0.05), prop('D', -0.03)], tradingMode: 'reducing' },
      sizing,
      risk,
    );
    expect(line(r, 'A')).toMatchObject({ action: 'BLOCKED', reason: 'kill_switch_reduce_only', shares: 0 });
    expect(line(r, 'B')).toMatchObject({ action: 'BLOCKED', reason: 'kill_switch_reduce_only' });
    expect(r.orders).toEqual([
      { symbol: 'C', shares: -50, reason: 'rebalance', riskReducing: true },
      { symbol: 'D', shares: 70, reason: 'rebalance', riskReducing: true },
    ]);
  });

  it('flatten: every open position gets an order to exactly 0, nothing else', () => {
    const r = constructPortfolio(
      { ...base, positions: [pos('A', 100), pos('B', -50), pos('C', 0), pos('D', 10.25)], proposals: [prop('A', 0.2), prop('B', -0.05), prop('C', 0.05)], tradingMode: 'reducing', flatten: true },
      sizing,
      risk,
    );
    expect(r.orders).toEqual([
      { symbol: 'A', shares: -100, reason: 'kill_switch_flatten', riskReducing: true },
      { symbol: 'B', shares: 50, reason: 'kill_switch_flatten', riskReducing: true },
      { symbol: 'D', shares: -10.25, reason: 'kill_switch_flatten', riskReducing: true },
    ]);
    expect(line(r, 'C')).toMatchObject({ action: 'BLOCKED', reason: 'kill_switch_flatten' });
  });

  it('block (halted): no orders at all, every line BLOCKED kill_switch_block', () => {
    const r = constructPortfolio(
      { ...base, positions: [pos('A', 100), pos('B', 0)], proposals: [prop('A', 0, true), prop('B', 0.05)], tradingMode: 'halted', flatten: true },
      sizing,
      risk,
    );
    expect(r.orders).toEqual([]);
    expect(r.lines.map((l) => [l.action, l.reason])).toEqual([
      ['BLOCKED', 'kill_switch_block'],
      ['BLOCKED', 'kill_switch_block'],
    ]);
  });

  it('blocks a proposal without a price and rejects bad marks', () => {
    const r = constructPortfolio({ ...base, proposals: [prop('ZZZ', 0.05)] }, sizing, risk);
    expect(line(r, 'ZZZ')).toMatchObject({ action: 'BLOCKED', reason: 'no_price' });
    expect(() => constructPortfolio({ ...base, positions: [pos('A', 10, Number.NaN)] }, sizing, risk)).toThrow(DataError);
    expect(() => constructPortfolio({ ...base, positions: [pos('A', 10, 0)] }, sizing, risk)).toThrow(DataError);
    expect(() => constructPortfolio({ ...base, pv: 0 }, sizing, risk)).toThrow(expect.objectContaining({ code: 'BAD_PRICE' }));
    expect(() => constructPortfolio({ ...base, positions: [pos('A', 0)], proposals: [prop('A', Number.NaN)] }, sizing, risk)).toThrow(DataError);
  });
});

describe('constructPortfolio properties', () => {
  const symbols = ['A', 'B', 'C', 'D', 'E'];
  const scenario = fc.record({
    pv: fc.double({ min: 10_000, max: 10_000_000, noNaN: true }),
    shares: fc.array(fc.integer({ min: -2000, max: 2000 }), { minLength: 5, maxLength: 5 }),
    prices: fc.array(fc.double({ min: 1, max: 2000, noNaN: true }), { minLength: 5, maxLength: 5 }),
    targets: fc.array(fc.option(fc.double({ min: -0.5, max: 0.5, noNaN: true })), { minLength: 5, maxLength: 5 }),
    fractional: fc.boolean(),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const toInput = (s: Scenario, mode: PortfolioInput['tradingMode']): PortfolioInput => ({
    pv: s.pv,
    positions: symbols.map((sym, i) => pos(sym, s.shares[i], s.prices[i])),
    proposals: symbols.flatMap((sym, i) => {
      const t = s.targets[i];
      return t === null ? [] : [prop(sym, t, t === 0)];
    }),
    tradingMode: mode,
    flatten: false,
  });

  it('reduce_only orders never flip and never increase |position|', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const r = constructPortfolio(toInput(s, 'reducing'), { ...sizing, fractional_shares: s.fractional }, risk);
        for (const o of r.orders) {
          const held = s.shares[symbols.indexOf(o.symbol)];
          expect(held).not.toBe(0);
          expect(Math.abs(held + o.shares)).toBeLessThan(Math.abs(held));
          expect((held + o.shares) * held).toBeGreaterThanOrEqual(0);
          expect(o.riskReducing).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('active orders keep each position within the cap and gross within max(limit, current gross)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const input = toInput(s, 'active');
        const r = constructPortfolio(input, { ...sizing, fractional_shares: s.fractional }, risk);
        const after = symbols.map((_, i) => s.shares[i] + (r.orders.find((o) => o.symbol === symbols[i])?.shares ?? 0));
        const w = after.map((n, i) => (n * s.prices[i]) / s.pv);
        const w0 = s.shares.map((n, i) => (n * s.prices[i]) / s.pv);
        const gross0 = w0.reduce((a, x) => a + Math.abs(x), 0);
        const gross = w.reduce((a, x) => a + Math.abs(x), 0);
        expect(gross).toBeLessThanOrEqual(Math.max(risk.max_gross_exposure, gross0) + 1e-9);
        for (const o of r.orders) {
          const i = symbols.indexOf(o.symbol);
          expect(Math.abs(w[i])).toBeLessThanOrEqual(Math.max(risk.max_position_pct / 100, Math.abs(w0[i])) + 1e-9);
        }
      }),
      { numRuns: 500 },
    );
  });
});
