/**
 * Actor behaviour of the engine (SPEC 3, 4.2, 4.8, 9): the symbol actors' stage walk, orders
 * through the paper broker, fault isolation, pause/resume and the spread gate, driven on a
 * VirtualClock with hand-built market slices and a scripted predictor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PredictionScript } from '../../src/engine/scriptedPredictor.ts';
import type { TradeDecision } from '../../src/core/types.ts';
import type { CycleReport } from '../../src/engine/TradingEngine.ts';
import { actorId, createHarness, directionScript, expectClose, MINUTE_MS, testConfig, zigzag, type Harness } from './helpers.ts';

const STAGES = ['gatingSpread', 'predicting', 'blending', 'arbitrating', 'gatingBarrier', 'sizing', 'proposed'];
const price = (_symbol: string, step: number) => zigzag(100, step);
const alwaysLong = directionScript(() => 1);

let h: Harness | null = null;
afterEach(async () => {
  await h?.engine.stop();
  h = null;
});

function decision(report: CycleReport, symbol: string): TradeDecision {
  const d = report.result.decisions.find((x) => x.symbol === symbol);
  if (!d) throw new Error(`no decision for ${symbol} in cycle ${report.result.cycle}`);
  return d;
}

/** Warm up (6 hold cycles: 3 bars for sigma, then 5 raw values for the standardizer). */
async function warm(harness: Harness): Promise<void> {
  const reports = await harness.run(6);
  for (const r of reports) expect(r!.result.trades).toBe(0);
}

describe('a cycle on 3 symbols', () => {
  it('walks every symbol actor through gatingSpread -> ... -> proposed (seen in inspection microsteps)', async () => {
    h = await createHarness({ price, script: alwaysLong });
    await warm(h);
    const since = h.inspections.length;
    const report = (await h.step())!;
    expect(report.result.cycle).toBe(7);
    for (const symbol of h.symbols) {
      expect(h.stageWalk(symbol, since)).toEqual(['checkingBar', 'idle', ...STAGES]);
      const snapshots = h.inspections.slice(since).filter((e) => e.type === '@xstate.snapshot' && actorId(e) === `symbol:${symbol}`);
      const last = snapshots.at(-1)!;
      expect(last.type === '@xstate.snapshot' && String((last.snapshot as unknown as { value: unknown }).value)).toBe('proposed');
      expect(h.engine.symbolState(symbol).value).toBe('proposed');
    }
  });

  it('sends one buy per symbol with deterministic client order ids, and reports every fill', async () => {
    h = await createHarness({ price, script: alwaysLong });
    await warm(h);
    const report = (await h.step())!;
    expect(report.result.trades).toBe(3);
    expect(report.orders.map((o) => o.clientOrderId).sort()).toEqual(['test-7-AAA-1', 'test-7-BBB-1', 'test-7-CCC-1']);
    for (const order of report.orders) {
      const d = decision(report, order.symbol);
      expect(d.action).toBe('TRADE');
      expect(order.side).toBe('buy');
      expect(order.qty).toBe(d.shares);
      expect(order.state).toBe('filled');
      const fill = report.fills.find((f) => f.clientOrderId === order.clientOrderId);
      expect(fill, `fill of ${order.clientOrderId} in the cycle report`).toBeDefined();
      // SPEC 9: BUY fills at ask*(1+slippage_bps/1e4), fee = notional*fee_bps/1e4.
      const quote = h.quotes.get(order.symbol)!;
      expectClose(fill!.price, quote.ask * (1 + 5 / 1e4));
      expectClose(fill!.fee, fill!.qty * fill!.price * 1e-4);
    }
  });

  it('books fills so that the supervisor book equals the paper broker (positions and cash) every cycle', async () => {
    h = await createHarness({ price, script: directionScript((_s, cycle) => (cycle < 12 ? 1 : -1)) });
    let traded = 0;
    for (let i = 0; i < 16; i++) {
      const report = (await h.step())!;
      traded += report.result.trades;
      expect(h.bookPositions()).toEqual(await h.brokerPositions());
      expectClose(h.engine.supervisorContext().book.cash, h.broker.toJSON().cash, 1e-9);
    }
    expect(traded).toBeGreaterThan(6);
    const allFills = h.reports.flatMap((r) => r.fills.map((f) => f.executionId)).sort();
    const brokerFills = (await h.broker.getFills()).map((f) => f.executionId).sort();
    expect(allFills).toEqual(brokerFills);
  });
});

describe('fault isolation', () => {
  it('a predictor that throws for one symbol faults only that actor; the fault is escalated and the next cycle retries', async () => {
    const script: PredictionScript = (ctx) => {
      if (ctx.symbol === 'BBB' && ctx.cycle === 7) throw new Error('model exploded');
      return alwaysLong(ctx);
    };
    h = await createHarness({ price, script });
    await warm(h);
    const report = (await h.step())!;
    expect(h.engine.symbolState('BBB').value).toBe('faulted');
    expect(h.engine.symbolState('AAA').value).toBe('proposed');
    expect(h.engine.symbolState('CCC').value).toBe('proposed');
    expect(decision(report, 'BBB').action).toBe('BLOCKED');
    expect(decision(report, 'BBB').reason).toMatch(/^faulted: .*model exploded/);
    expect(decision(report, 'AAA').action).toBe('TRADE');
    expect(decision(report, 'CCC').action).toBe('TRADE');
    expect(report.orders.map((o) => o.symbol).sort()).toEqual(['AAA', 'CCC']);
    const faults = h.events.filter((e) => e.event_type === 'symbol_faulted');
    expect(faults).toHaveLength(1);
    expect(faults[0].data).toMatchObject({ symbol: 'BBB', cycle: 7 });
    expect(h.engine.getStateSummary().faults).toBe(1);

    const next = (await h.step())!;
    expect(h.engine.symbolState('BBB').value).toBe('proposed');
    expect(decision(next, 'BBB').action).toBe('TRADE');
    expect(next.orders.some((o) => o.symbol === 'BBB' && o.side === 'buy')).toBe(true);
  });

  it('a bad bar faults only its symbol, is escalated and is not ingested', async () => {
    const bad = (symbol: string, step: number) => (symbol === 'CCC' && step === 6 ? Number.NaN : zigzag(100, step));
    h = await createHarness({ price: bad, script: alwaysLong, quote: (_s, _i, mid) => (Number.isNaN(mid) ? { bid: 99.99, ask: 100.01 } : {}) });
    await warm(h);
    const barsBefore = h.engine.symbolState('CCC').state.barCount;
    const report = (await h.step())!;
    expect(h.engine.symbolState('CCC').state.barCount).toBe(barsBefore);
    expect(h.events.filter((e) => e.event_type === 'symbol_faulted').map((e) => e.data.symbol)).toEqual(['CCC']);
    expect(decision(report, 'AAA').action).toBe('TRADE');
    expect(decision(report, 'BBB').action).toBe('TRADE');
    expect(h.engine.getStateSummary().status).toBe(JSON.stringify({ running: 'idle' }));
  });
});

describe('operator pause', () => {
  it('pause() makes cycle() return null while ingest still updates bars and quotes; resume() resumes', async () => {
    h = await createHarness({ price, script: alwaysLong });
    await h.run(3);
    h.engine.pause();
    expect(h.engine.getStateSummary().status).toBe('paused');
    const before = h.engine.symbolState('AAA').state.barCount;
    const paused = await h.step();
    expect(paused).toBeNull();
    const state = h.engine.symbolState('AAA').state;
    expect(state.barCount).toBe(before + 1);
    expect(state.quote).toEqual(h.quotes.get('AAA'));
    expect(h.engine.getStateSummary().cycle).toBe(3);
    h.engine.resume();
    const resumed = await h.step();
    expect(resumed).not.toBeNull();
    expect(resumed!.result.cycle).toBe(4);
  });
});

describe('spread gate in the actor cycle (SPEC 4.2)', () => {
  it('a quote wider than max_spread_bps gives BLOCKED spread_too_wide and no order for that symbol', async () => {
    h = await createHarness({ price, script: alwaysLong, quote: (s, i, mid) => (s === 'AAA' && i === 6 ? { bid: mid * 0.999, ask: mid * 1.001 } : {}) });
    await warm(h);
    const report = (await h.step())!;
    const d = decision(report, 'AAA');
    expect(d.action).toBe('BLOCKED');
    expect(d.reason).toBe('spread_too_wide');
    expect(d.trace.spreadGate.passed).toBe(false);
    expectClose(d.trace.spreadGate.spreadBps, 20);
    expect(report.orders.filter((o) => o.symbol === 'AAA')).toEqual([]);
    expect(decision(report, 'BBB').action).toBe('TRADE');
  });

  it('a crossed quote gives BLOCKED bad_quote and no order for that symbol', async () => {
    h = await createHarness({ price, script: alwaysLong, quote: (s, i, mid) => (s === 'AAA' && i === 6 ? { bid: mid + 0.05, ask: mid - 0.05 } : {}) });
    await warm(h);
    const report = (await h.step())!;
    const d = decision(report, 'AAA');
    expect(d.action).toBe('BLOCKED');
    expect(d.reason).toBe('bad_quote');
    expect(report.orders.filter((o) => o.symbol === 'AAA')).toEqual([]);
  });

  it('a blocked symbol with a position past its holding time still exits when the spread is only too wide', async () => {
    // Entry at cycle 7 (5m horizon, hold_multiple 1): by cycle 13 the position is 6 minutes old.
    h = await createHarness({ price, script: alwaysLong, quote: (s, i, mid) => (s === 'AAA' && i === 12 ? { bid: mid * 0.999, ask: mid * 1.001 } : {}) });
    await h.run(12);
    const held = h.bookPositions().AAA;
    expect(held).toBeGreaterThan(0);
    const report = (await h.step())!;
    const d = decision(report, 'AAA');
    expect(d.trace.spreadGate.reason).toBe('spread_too_wide');
    expect(d.trace.sizing?.exitReason).toBe('max_holding_time');
    expect(d.action).toBe('TRADE');
    expect(d.shares).toBe(-held);
    expect(report.orders.filter((o) => o.symbol === 'AAA').map((o) => [o.side, o.qty, o.riskReducing])).toEqual([['sell', held, true]]);
    expect(h.bookPositions().AAA).toBeUndefined();
  });

  it('a bad quote on a symbol with a position past its holding time sends no order and reports BLOCKED bad_quote', async () => {
    h = await createHarness({ price, script: alwaysLong, quote: (s, i, mid) => (s === 'AAA' && i === 12 ? { bid: mid + 0.05, ask: mid - 0.05 } : {}) });
    await h.run(12);
    const held = h.bookPositions().AAA;
    expect(held).toBeGreaterThan(0);
    const report = (await h.step())!;
    const d = decision(report, 'AAA');
    expect(report.orders.filter((o) => o.symbol === 'AAA')).toEqual([]);
    expect(h.bookPositions().AAA).toBe(held);
    expect(d.shares).toBe(0);
    // The exit is due but cannot be priced: the decision must say why nothing was sent.
    expect(d.action).toBe('BLOCKED');
    expect(d.reason).toBe('bad_quote');
  });
});

describe('decision trace', () => {
  /** Alpha from two families on 5m and 15m, barrier probabilities 0.3/0.3 (SPEC 4.6: G = 0.564358). */
  const script: PredictionScript = (ctx) => {
    if (ctx.slot.role !== 'alpha') return 0.3;
    const base = 0.001 + 0.0002 * ctx.input.barCount;
    return ctx.slot.family === 'f_a' ? base : 2 * base + 0.0001 * (ctx.input.barCount % 3);
  };

  it('records every stage of a TRADE decision: spread gate, volatility, horizons, blend, costs, arbitration, barrier, sizing, portfolio', async () => {
    const config = testConfig((c) => (c.horizons = ['5m', '15m']));
    h = await createHarness({ config, price, script, families: ['f_a', 'f_b'], barrier: true });
    await warm(h);
    const report = (await h.step())!;
    const d = decision(report, 'AAA');
    expect(d.action).toBe('TRADE');
    const t = d.trace;
    expect([t.symbol, t.cycle, t.ts, t.stage]).toEqual(['AAA', 7, report.result.ts, 'proposed']);

    expect(t.spreadGate).toMatchObject({ passed: true, reason: 'ok', quoteAgeMs: 0 });
    expectClose(t.spreadGate.spreadBps, 2, 1e-6);
    const sigmaBar = t.volatility.sigmaBar!;
    expect(sigmaBar).toBeGreaterThan(0);
    expect(t.volatility.barMinutes).toBe(1);
    expectClose(t.volatility.sigma5m, sigmaBar * Math.sqrt(5));

    expect(t.horizons.map((x) => x.horizon)).toEqual(['5m', '15m']);
    for (const hz of t.horizons) {
      const minutes = hz.horizon === '5m' ? 5 : 15;
      expectClose(hz.sigmaH, sigmaBar * Math.sqrt(minutes));
      expect(hz.temperature).toBe(hz.horizon === '5m' ? 0.75 : 0.9);
      expect(hz.families.map((f) => f.family)).toEqual(['f_a', 'f_b']);
      for (const f of hz.families) {
        expect(f.status).toBe('ok');
        const c = f.confidence!;
        for (const factor of [c.icEff, c.freshness, c.capacity, c.stability]) expect(Number.isFinite(factor)).toBe(true);
        expectClose(c.confidence, c.icEff * c.freshness * c.capacity * c.stability);
        expectClose(f.score, f.z! * c.confidence);
        expectClose(f.alpha, f.score! * hz.sigmaH);
        expect(Number.isFinite(f.raw!)).toBe(true);
      }
      const weights = hz.families.map((f) => hz.blendWeights[f.family]);
      expectClose(weights[0] + weights[1], 1);
      expect(Object.keys(hz.ridgeWeights).sort()).toEqual(['f_a', 'f_b']);
      expectClose(hz.alpha, hz.families.reduce((s, f) => s + hz.blendWeights[f.family] * f.alpha!, 0));
      const k = hz.costs!;
      expectClose(k.spreadCost, t.spreadGate.spreadBps!);
      expectClose(k.timingCost, 0.15 * t.volatility.sigma5m! * 1e4 * Math.sqrt(minutes / 5));
      expectClose(k.totalCost, k.spreadCost + k.timingCost + k.impactCost);
      expectClose(k.netBps, Math.abs(hz.alpha!) * 1e4 - k.totalCost);
      expectClose(k.score, k.netBps / Math.sqrt(minutes / 5));
    }

    const arb = t.arbitration!;
    expect(arb.edge).toBe(true);
    expect(arb.direction).toBe(1);
    expectClose(arb.threshold, 2 + 0.5 * t.spreadGate.spreadBps!);
    const best = t.horizons.find((x) => x.horizon === arb.bestHorizon)!;
    expectClose(arb.bestScore, Math.max(...t.horizons.map((x) => x.costs!.score)));
    expectClose(arb.bestScore, best.costs!.score);

    expect(t.barrier).toMatchObject({ side: 'long', pPeak: 0.3, pValley: 0.3, allowed: true, reason: 'normal_entry' });
    expectClose(t.barrier!.gate, 0.564358);

    const sz = t.sizing!;
    expectClose(sz.sigmaH, best.sigmaH);
    expectClose(sz.wRaw, Math.max(-3, Math.min(3, best.alpha! / best.sigmaH)) * 0.05 / 3);
    expectClose(sz.targetWeight, sz.wRaw * t.barrier!.gate);

    const pf = t.portfolio!;
    expect(pf.currentWeight).toBe(0);
    expectClose(pf.proposedWeight, sz.targetWeight);
    expect(pf.shares).toBe(d.shares);
    expectClose(pf.price, h.quotes.get('AAA')!.bid / 2 + h.quotes.get('AAA')!.ask / 2);
    // Flat book before this cycle: PV is the initial cash.
    expect(d.shares).toBe(Math.trunc((pf.riskAdjustedWeight * h.config.paper.initial_cash) / pf.price!));
  });

  it('a BLOCKED decision still carries its spread-gate and volatility trace', async () => {
    h = await createHarness({ price, script: alwaysLong, quote: (s, i, mid) => (s === 'BBB' && i === 6 ? { ts: 6 * MINUTE_MS } : { bid: mid - 0.01, ask: mid + 0.01 }) });
    await warm(h);
    const d = decision((await h.step())!, 'BBB');
    expect(d.action).toBe('BLOCKED');
    expect(d.reason).toBe('stale_quote');
    expect(d.trace.spreadGate.passed).toBe(false);
    expect(d.trace.spreadGate.quoteAgeMs).toBeGreaterThan(h.config.spread_gate.quote_age_max_ms);
    expect(d.trace.volatility.sigmaBar).toBeGreaterThan(0);
  });
});
