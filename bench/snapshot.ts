/**
 * snapshot.write.500 / snapshot.restore.500 (ms) and snapshot.bytes.500: the engine's snapshot
 * document at 500 symbols with full windows (the bench rig: scripted predictor, 6 horizons x 3
 * families), written durably through the real SnapshotStore and restored into a new engine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { TradingEngine } from '../src/engine/TradingEngine.ts';
import { engineDocument, loadState, openStateStore } from '../src/engine/stateStore.ts';
import { createRig } from './rig.ts';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RESULT_MARKER } from './cycle.ts';
import { single, summarize, type BenchResult } from './stats.ts';

export async function benchSnapshot(options: { symbols?: number; cycles?: number; runs?: number } = {}): Promise<BenchResult[]> {
  const n = options.symbols ?? 500;
  // 130 cycles: every window (standardizer 100, IC 50, blend 50, pending) is full.
  const cycles = options.cycles ?? 130;
  const rig = await createRig({ symbols: n, bars: cycles + 1 });
  for (let i = 0; i < cycles; i++) await rig.step();
  const { engine, broker, clock } = rig;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-bench-snapshot-'));
  const logger = pino({ level: 'silent' });
  const store = openStateStore(dir, logger);
  const runs = options.runs ?? 15;
  // SPEC 12: warm up first. The first writes of a process size the reused lane buffer (~13 MB)
  // and fault its pages in; an engine pays that once, not per cycle.
  const warmup = 2;
  const writes: number[] = [];
  let bytes = 0;
  const cycle = engine.getStateSummary().cycle;
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const report = await store.write({ runId: 'bench', cycle: cycle + i, writtenAtMs: clock.now(), configHash: 'bench', ...engineDocument(engine, broker, 0) });
    if (i >= warmup) writes.push(performance.now() - t0);
    bytes = report.bytes;
  }
  const restores: number[] = [];
  for (let i = 0; i < 1 + Math.max(3, Math.floor(runs / 2)); i++) {
    const t0 = performance.now();
    const restored = (await loadState(store, { fresh: false, logger }))!;
    const again = new TradingEngine({ config: engine.config, broker, dataSource: engine.dataSource, predictor: engine.predictor, symbols: rig.symbols, runId: 'bench', clock, restore: { engine: restored.engine as never, symbols: restored.symbols } });
    again.engineActor.start();
    if (i > 0) restores.push(performance.now() - t0); // the first restore warms up the decoder
    again.engineActor.stop();
  }
  await rig.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return [summarize(`snapshot.write.${n}`, 'ms', writes), summarize(`snapshot.restore.${n}`, 'ms', restores), single(`snapshot.bytes.${n}`, 'bytes', bytes)];
}

// Run by bench/run.ts in a child process of its own (a clean heap, as the cycle sizes), or
// standalone: `node --import tsx bench/snapshot.ts [--runs 15]`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' } } });
  const results = await benchSnapshot(values.runs === undefined ? {} : { runs: Number(values.runs) });
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(results)}\n`);
}
