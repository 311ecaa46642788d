/**
 * Replay throughput (SPEC 12 `replay.symbol_bars_per_sec`): the bundled Lean minute data of
 * SPY, AIG, BAC and IBM, all four days, extended session, streamed at speed `max`. The figure
 * is end to end (read, parse and validate the files, then stream every slice), because that is
 * what a replay costs; `replay.load_ms` and `replay.stream_symbol_bars_per_sec` split it.
 */
import { performance } from 'node:perf_hooks';
import { ReplaySource } from '../src/market/replay.ts';
import { paced } from '../src/market/paced.ts';
import { summarize, summarizeRate, type BenchResult } from './stats.ts';

export const REPLAY_DATA_DIR = '/work/shared/data/quantconnect-lean/equity/usa';
const SYMBOLS = ['SPY', 'AIG', 'BAC', 'IBM'];

/** Walks every slice synchronously; returns the symbol-bars delivered. */
function drain(source: ReplaySource): number {
  let bars = 0;
  let done = false;
  source
    .stream()
    .pipe(paced('max'))
    .subscribe({ next: (slice) => (bars += slice.bars.length), complete: () => (done = true) });
  if (!done) throw new Error('replay bench: the stream did not complete synchronously');
  return bars;
}

export async function benchReplay(runs = 10, warmup = 3): Promise<BenchResult[]> {
  const total: number[] = [];
  const load: number[] = [];
  const stream: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const source = new ReplaySource({ dataDir: REPLAY_DATA_DIR, symbols: SYMBOLS, session: 'extended' });
    const t1 = performance.now();
    const bars = drain(source);
    const t2 = performance.now();
    if (bars !== source.barCount || bars === 0) throw new Error(`replay bench: streamed ${bars} bars of ${source.barCount}`);
    if (i < warmup) continue;
    total.push(bars / ((t2 - t0) / 1000));
    load.push(t1 - t0);
    stream.push(bars / ((t2 - t1) / 1000));
  }
  return [
    summarizeRate('replay.symbol_bars_per_sec', 'bars/s', total),
    summarize('replay.load_ms', 'ms', load),
    summarizeRate('replay.stream_symbol_bars_per_sec', 'bars/s', stream),
  ];
}
