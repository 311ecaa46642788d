/**
 * snapshot.write.500 / snapshot.restore.500 (ms) and snapshot.bytes.500: the engine's snapshot
 * document at 500 symbols with full windows (scripted predictor, 6 horizons x 3 families), written
 * durably through the real SnapshotStore and restored into a new TradingEngine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../src/config/schema.ts';
import { VirtualClock } from '../src/core/clock.ts';
import type { Quote } from '../src/core/types.ts';
import { PaperBroker } from '../src/brokers/paper.ts';
import { SimulatedSource } from '../src/market/simulated.ts';
import { ScriptedPredictor } from '../src/engine/scriptedPredictor.ts';
import { TradingEngine } from '../src/engine/TradingEngine.ts';
import { engineDocument, loadState, openStateStore } from '../src/engine/stateStore.ts';
import { single, summarize, type BenchResult } from './stats.ts';

export async function benchSnapshot(options: { symbols?: number; cycles?: number; runs?: number } = {}): Promise<BenchResult[]> {
  const n = options.symbols ?? 500;
  const config = defaultConfig();
  config.spread_gate.quote_age_max_ms = 120_000;
  const symbols = Array.from({ length: n }, (_, i) => `S${i}`);
  const clock = new VirtualClock(0);
  const quotes = new Map<string, Quote>();
  const broker = new PaperBroker({ initialCash: 1e7, slippageBps: 5, feeBps: 1, allowShort: true, quotes: (s) => quotes.get(s) ?? null, clock });
  // 130 bars: every window (standardizer 100, IC 50, blend 50, pending) is full.
  const data = new SimulatedSource({ symbols, seed: 1, startMs: Date.UTC(2024, 0, 2, 14, 30), bars: options.cycles ?? 130, annualVol: 0.6 });
  const predictor = new ScriptedPredictor({ horizons: config.horizons, barMinutes: 1 });
  const engine = new TradingEngine({ config, broker, dataSource: data, predictor, symbols, runId: 'bench', clock, initialCash: 1e7 });
  await engine.start();
  for (;;) {
    const slice = await engine.nextSlice();
    if (!slice) break;
    for (const q of slice.quotes) quotes.set(q.symbol, q);
    engine.ingest(slice);
    await engine.cycle();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-bench-snapshot-'));
  const logger = pino({ level: 'silent' });
  const store = openStateStore(dir, logger);
  const runs = options.runs ?? 9;
  const writes: number[] = [];
  let bytes = 0;
  const cycle = engine.getStateSummary().cycle;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const report = await store.write({ runId: 'bench', cycle: cycle + i, writtenAtMs: clock.now(), configHash: 'bench', payload: engineDocument(engine, broker, 0) });
    writes.push(performance.now() - t0);
    bytes = report.bytes;
  }
  const restores: number[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(runs / 2)); i++) {
    const t0 = performance.now();
    const restored = (await loadState(store, { fresh: false, logger }))!;
    const again = new TradingEngine({ config, broker, dataSource: data, predictor, symbols, runId: 'bench', clock, initialCash: 1e7, restore: { engine: restored.engine as never, symbols: restored.symbols } });
    again.engineActor.start();
    restores.push(performance.now() - t0);
    again.engineActor.stop();
  }
  await engine.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return [summarize(`snapshot.write.${n}`, 'ms', writes), summarize(`snapshot.restore.${n}`, 'ms', restores), single(`snapshot.bytes.${n}`, 'bytes', bytes)];
}
