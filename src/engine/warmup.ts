/**
 * Warm-up (SPEC 4.3 / issue "Real models"): before the first live cycle of a fresh start, the
 * last `engine.warmup_bars` bars of history run through features and models, so standardizer
 * windows, IC pairs (realised returns pair up as the history advances) and blend history are
 * ready at the first live cycle. Each historical bar goes through exactly the window-updating
 * stages of a live cycle (ingest, one batched prediction, predict and blend); arbitration, sizing
 * and orders do not run. A restored engine skips it: its windows are in the snapshot.
 */
import type { Bar } from '../core/types.ts';
import { isPositivePrice } from '../core/types.ts';
import { blendStage, gateSpreadStage, predictStage, startWork, type CycleInput } from './stages.ts';
import { ingestBar } from './symbolState.ts';
import type { TradingEngine } from './TradingEngine.ts';

export interface WarmUpReport {
  bars: number;
  steps: number;
  faults: { symbol: string; ts: number; error: string }[];
}

function usable(bar: Bar): boolean {
  return isPositivePrice(bar.open) && isPositivePrice(bar.high) && isPositivePrice(bar.low) && isPositivePrice(bar.close) && Number.isFinite(bar.volume) && bar.volume >= 0;
}

export async function warmUpEngine(engine: TradingEngine, history: ReadonlyMap<string, readonly Bar[]>): Promise<WarmUpReport> {
  const byTs = new Map<number, Bar[]>();
  for (const symbol of engine.symbols) {
    for (const bar of history.get(symbol) ?? []) {
      if (!usable(bar)) continue;
      (byTs.get(bar.ts) ?? byTs.set(bar.ts, []).get(bar.ts)!).push(bar);
    }
  }
  const order = new Map(engine.symbols.map((s, i) => [s, i]));
  const report: WarmUpReport = { bars: 0, steps: 0, faults: [] };
  const bandit = Object.fromEntries(engine.config.horizons.map((h) => [h, 1]));
  const pv = engine.supervisorContext().book.cash;
  for (const ts of [...byTs.keys()].sort((a, b) => a - b)) {
    const bars = byTs.get(ts)!.sort((a, b) => order.get(a.symbol)! - order.get(b.symbol)!);
    for (const bar of bars) {
      const state = engine.store.get(bar.symbol);
      const last = state.bars.ts[state.bars.ts.length - 1];
      if (last !== undefined && bar.ts <= last) continue;
      ingestBar(state, bar, engine.limits);
      report.bars += 1;
    }
    const predictions = await engine.predictor.predict({
      cycle: 0,
      ts,
      symbols: bars.map((b) => {
        const state = engine.store.get(b.symbol);
        return { symbol: b.symbol, bars: state.bars, barCount: state.barCount };
      }),
    });
    for (const bar of bars) {
      const prediction = predictions.get(bar.symbol);
      if (!prediction) continue;
      if (!prediction.ok) {
        report.faults.push({ symbol: bar.symbol, ts, error: prediction.error });
        continue;
      }
      const state = engine.store.get(bar.symbol);
      const input: CycleInput = { cycle: 0, ts, pv, position: null, prediction, bandit, crossSectional: prediction.crossSectional };
      const work = startWork(state, input, engine.stageParams);
      gateSpreadStage(state, work, engine.stageParams);
      if (work.sigmaBar === null) continue;
      try {
        predictStage(state, work, engine.stageParams);
        blendStage(state, work, engine.stageParams);
      } catch (error) {
        report.faults.push({ symbol: bar.symbol, ts, error: error instanceof Error ? error.message : String(error) });
      }
    }
    report.steps += 1;
  }
  return report;
}
