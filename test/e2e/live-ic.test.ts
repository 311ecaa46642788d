/**
 * Live IC moves with realised returns (SPEC 4.3): symbol actors pair each prediction with the
 * return realised once its horizon has elapsed. On seeded simulated prices, a model that predicts
 * the future perfectly reaches IC near 1; a random one stays near 0. Read from the decision traces.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.ts';
import { VirtualClock } from '../../src/core/clock.ts';
import type { Quote } from '../../src/core/types.ts';
import { PaperBroker } from '../../src/brokers/paper.ts';
import { SimulatedSource } from '../../src/market/simulated.ts';
import { ScriptedPredictor } from '../../src/engine/scriptedPredictor.ts';
import { oracleScript, readSeries } from '../../src/engine/oracle.ts';
import { TradingEngine } from '../../src/engine/TradingEngine.ts';

describe('live IC from realised returns', () => {
  it('reaches ~1 for a perfect predictor and ~0 for a random one', async () => {
    const config = defaultConfig();
    config.horizons = ['5m', '15m'];
    config.spread_gate.quote_age_max_ms = 120_000;
    const symbols = ['AAA', 'BBB', 'CCC'];
    const clock = new VirtualClock(0);
    const quotes = new Map<string, Quote>();
    const broker = new PaperBroker({ initialCash: 100_000, slippageBps: 5, feeBps: 1, allowShort: true, quotes: (s) => quotes.get(s) ?? null, clock });
    const data = new SimulatedSource({ symbols, seed: 11, startMs: Date.UTC(2024, 0, 2, 14, 30), bars: 160, annualVol: 0.4 });
    const script = oracleScript(readSeries(data), { seed: 3, barMinutes: 1, noise: 0 });
    const predictor = new ScriptedPredictor({ horizons: config.horizons, families: ['scripted_momentum', 'scripted_noise'], barMinutes: 1, script, barrier: false });
    const engine = new TradingEngine({ config, broker, dataSource: data, predictor, symbols, runId: 'ic', clock });
    await engine.start();
    const ic: Record<string, number[]> = { scripted_momentum: [], scripted_noise: [] };
    for (;;) {
      const slice = await engine.nextSlice();
      if (!slice) break;
      for (const q of slice.quotes) quotes.set(q.symbol, q);
      engine.ingest(slice);
      const report = await engine.cycle();
      if (!report || report.result.cycle < 120) continue;
      for (const d of report.result.decisions) {
        for (const h of d.trace.horizons) {
          for (const f of h.families) if (f.confidence?.icLive !== null && f.confidence?.icLive !== undefined && f.confidence.icPairs >= 40) ic[f.family].push(f.confidence.icLive);
        }
      }
    }
    await engine.stop();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(ic.scripted_momentum.length).toBeGreaterThan(50);
    expect(ic.scripted_noise.length).toBeGreaterThan(50);
    expect(mean(ic.scripted_momentum)).toBeGreaterThan(0.98);
    expect(Math.abs(mean(ic.scripted_noise))).toBeLessThan(0.15);
  }, 60_000);
});
