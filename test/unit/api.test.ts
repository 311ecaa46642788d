import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('public API (src/index.ts, documented in docs/api.md)', () => {
  it('exports every name the foundation issue fixes, as functions or classes', () => {
    for (const name of ['loadConfig', 'ridgeWeights', 'temperatureWeights', 'scoreHorizon', 'barrierGate', 'volScaledWeight', 'grossNormalize', 'buildFeatures', 'Exp3IX', 'TradingEngine']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('reproduces SPEC worked examples through the public names', () => {
    const w = api.ridgeWeights([0.05, 0.03, 0.02], [[1, 0.6, 0.3], [0.6, 1, 0.5], [0.3, 0.5, 1]], 0.15);
    expect(rel(w[0], 0.834857)).toBeLessThan(1e-5);
    const t = api.temperatureWeights([0.5, 0.3, 0.2], 0.75);
    expect(rel(t[0], 0.555314)).toBeLessThan(1e-5);
    const cfg = api.defaultConfig();
    const s = api.scoreHorizon({ alpha: 0.003, horizon: '60m', spreadBps: 2, sigma5m: 0.001 }, cfg.cost_model);
    expect(rel(s.score, 6.5829)).toBeLessThan(1e-5);
    expect(api.barrierGate({ side: 'long', pPeak: null, pValley: null }, cfg.barrier_gate)).toEqual({ allowed: true, gate: 1, reason: 'no_barrier_model' });
    expect(rel(api.volScaledWeight(0.003, 0.001 * Math.sqrt(12), 3, 0.05), 0.0144338)).toBeLessThan(1e-5);
    expect(api.grossNormalize([0.3, -0.25, 0.1], 0.5).map((x) => +x.toFixed(6))).toEqual([0.230769, -0.192308, 0.076923]);
    const bandit = new api.Exp3IX({ arms: 3, eta: 0.1, gamma: 0.05, rewardScaleBps: 50 });
    bandit.update(0, 20);
    expect(rel(bandit.probabilities()[0], 0.316175)).toBeLessThan(1e-5);
  });

  it('documents every exported value in docs/api.md or its engine section', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    for (const name of ['loadConfig', 'ridgeWeights', 'temperatureWeights', 'scoreHorizon', 'barrierGate', 'volScaledWeight', 'grossNormalize', 'buildFeatures', 'Exp3IX', 'TradingEngine', 'runCycle', 'getStateSummary']) {
      expect(doc, name).toContain(name);
    }
  });
});
