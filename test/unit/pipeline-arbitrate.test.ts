import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.ts';
import { DataError } from '../../src/core/errors.ts';
import { arbitrate, scoreHorizon } from '../../src/pipeline/arbitrate.ts';
import { expectSpecDigits } from './pipeline-expect.ts';


const costModel = defaultConfig().cost_model; // k1 1, k2 0.15, k3 1, 10 bps at 1% ADV
const params = defaultConfig().arbitration; // entry 2 bps, reserve 0.5 x spread
const market = { spreadBps: 2, sigma5m: 0.001, adv: null };

// SPEC 4.5 table: horizon, alpha, timing, total, net, score
const table: [string, number, number, number, number, number][] = [
  ['5m', 0.0006, 1.5, 3.5, 2.5, 2.5],
  ['15m', 0.0015, 2.59808, 4.59808, 10.4019, 6.00555],
  ['30m', -0.002, 3.67423, 5.67423, 14.3258, 5.84847],
  ['60m', 0.003, 5.19615, 7.19615, 22.8038, 6.5829],
  ['1d', 0.003, 13.2476, 15.2476, 14.7524, 1.67038],
];

describe('arbitration (SPEC 4.5)', () => {
  for (const [horizon, alpha, timing, total, net, score] of table) {
    it(`scores ${horizon} alpha ${alpha} as in the worked table`, () => {
      const c = scoreHorizon({ alpha, horizon, spreadBps: 2, sigma5m: 0.001 }, costModel);
      expectSpecDigits(c.spreadCost, 2);
      expectSpecDigits(c.timingCost, timing);
      expect(c.impactCost).toBe(0);
      expectSpecDigits(c.totalCost, total);
      expectSpecDigits(c.netBps, net);
      expectSpecDigits(c.score, score);
    });
  }

  it('picks 60m long with threshold 3.0 and records every horizon cost', () => {
    const r = arbitrate({ ...market, candidates: table.map(([horizon, alpha]) => ({ horizon, alpha })) }, costModel, params);
    expect(Object.keys(r.costs).sort()).toEqual(['15m', '1d', '30m', '5m', '60m']);
    expect(r.best?.horizon).toBe('60m');
    expect(r.best?.direction).toBe(1);
    expectSpecDigits(r.best?.score as number, 6.5829);
    expectSpecDigits(r.threshold, 3.0);
    expect(r.edge).toBe(true);
    expect(r.reason).toBe('edge');
  });

  it('adds square-root impact: q 50,000 on ADV 10,000,000 costs 7.07107 bps at 60m', () => {
    const c = scoreHorizon({ alpha: 0.003, horizon: '60m', spreadBps: 2, sigma5m: 0.001, orderNotional: 50_000, adv: 10_000_000 }, costModel);
    expectSpecDigits(c.impactCost, 7.07107);
    expectSpecDigits(c.totalCost, 14.2672);
    expectSpecDigits(c.netBps, 15.7328);
    expectSpecDigits(c.score, 4.54166);
  });

  it('leaves impact out when q <= 0 or ADV is missing or <= 0', () => {
    const args = { alpha: 0.003, horizon: '60m', spreadBps: 2, sigma5m: 0.001 };
    expect(scoreHorizon({ ...args, orderNotional: 0, adv: 1e7 }, costModel).impactCost).toBe(0);
    expect(scoreHorizon({ ...args, orderNotional: 5e4, adv: 0 }, costModel).impactCost).toBe(0);
    expect(scoreHorizon({ ...args, orderNotional: 5e4, adv: null }, costModel).impactCost).toBe(0);
    expect(scoreHorizon({ ...args, orderNotional: 5e4 }, costModel).impactCost).toBe(0);
  });

  it('treats shorts symmetrically: a negative best alpha is a short edge', () => {
    const r = arbitrate({ ...market, candidates: [{ horizon: '30m', alpha: -0.002 }, { horizon: '5m', alpha: 0.0006 }] }, costModel, params);
    expect(r.best).toMatchObject({ horizon: '30m', direction: -1 });
    expect(r.edge).toBe(true);
  });

  it('reports no_edge when the best score is below entry + reserve*spread', () => {
    const r = arbitrate({ ...market, candidates: [{ horizon: '5m', alpha: 0.0006 }] }, costModel, params);
    expect(r.best?.horizon).toBe('5m');
    expect(r).toMatchObject({ edge: false, reason: 'no_edge' });
  });

  it('passes a score exactly at the threshold and fails just below it', () => {
    // No timing cost: 5m net = 5 - 2 = 3.0 = threshold 2 + 0.5*2, all exact in binary.
    const noTiming = { ...costModel, k2: 0 };
    const at = arbitrate({ ...market, candidates: [{ horizon: '5m', alpha: 0.0005 }] }, noTiming, params);
    expect(at.best?.score).toBe(3);
    expect(at.threshold).toBe(3);
    expect(at).toMatchObject({ edge: true, reason: 'edge' });
    const below = arbitrate({ ...market, candidates: [{ horizon: '5m', alpha: 0.000499 }] }, noTiming, params);
    expect(below).toMatchObject({ edge: false, reason: 'no_edge' });
  });

  it('reports no_prediction without candidates', () => {
    expect(arbitrate({ ...market, candidates: [] }, costModel, params)).toMatchObject({ best: null, edge: false, reason: 'no_prediction' });
  });

  it('breaks score ties towards the shorter horizon', () => {
    const free = { k1: 0, k2: 0, k3: 0, impact_bps_at_1pct_adv: 0 };
    // 20m: 10 bps / sqrt(4) = 5 ties with 5m: 5 bps / 1
    const r = arbitrate({ ...market, candidates: [{ horizon: '20m', alpha: 0.001 }, { horizon: '5m', alpha: 0.0005 }] }, free, params);
    expect(r.costs['5m'].score).toBe(r.costs['20m'].score);
    expect(r.best?.horizon).toBe('5m');
  });

  it('multiplies scores by the bandit multiplier, which can change the winner', () => {
    const r = arbitrate({ ...market, candidates: table.map(([horizon, alpha]) => ({ horizon, alpha })), bandit: { '60m': 0.5 } }, costModel, params);
    expectSpecDigits(r.costs['60m'].score, 3.29145);
    expect(r.best?.horizon).toBe('15m');
  });

  it('never calls a zero alpha an edge, even with zero costs and threshold; its direction is +1', () => {
    const free = { k1: 0, k2: 0, k3: 0, impact_bps_at_1pct_adv: 0 };
    const r = arbitrate({ ...market, candidates: [{ horizon: '5m', alpha: 0 }] }, free, { entry_threshold_bps: 0, reserve_spread_mult: 0 });
    expect(r.best).toMatchObject({ direction: 1, score: 0 });
    expect(r).toMatchObject({ edge: false, reason: 'no_edge' });
  });

  it('rejects non-finite alpha or sigma with a DataError', () => {
    expect(() => scoreHorizon({ alpha: NaN, horizon: '5m', spreadBps: 2, sigma5m: 0.001 }, costModel)).toThrow(DataError);
    expect(() => arbitrate({ ...market, sigma5m: Infinity, candidates: [{ horizon: '5m', alpha: 0.001 }] }, costModel, params)).toThrow(DataError);
  });
});
