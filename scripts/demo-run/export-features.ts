/**
 * Exports the training table of the bundled demo run (see README.md in this folder).
 *
 * Features come from the engine's own incremental FeatureState (src/features), the same code
 * the symbol actors run live, so training and live features are identical by construction.
 * One state per symbol, fed every regular-session minute bar of the training days in order
 * (continuous across days, as the live engine's warm-up history is).
 *
 * Writes into --out (default scripts/demo-run/.work):
 * - train.csv: symbol, ts, ny_date, ny_minute, split, the configured features, close, targets
 * - parity.csv: feature rows at a few replay-day instants (for the committed parity check)
 * - train.meta.json: row counts and the holdout start
 *
 * Usage: node --import tsx scripts/demo-run/export-features.ts [--out DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bar } from '../../src/core/types.ts';
import { createFeatureState, featureRow, pushBar, type FeatureState } from '../../src/features/index.ts';
import { ReplaySource } from '../../src/market/replay.ts';
import { NyTime, parseYmd, SESSION_CLOSE_MS, SESSION_OPEN_MS } from '../../src/market/nytime.ts';

const MINUTE_MS = 60_000;
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

interface DemoConfig {
  data_dir: string;
  symbols: string[];
  train_start: string;
  train_end: string;
  replay_start: string;
  replay_end: string;
  holdout_fraction_of_last_day: number;
  features: string[];
  return_horizons_minutes: Record<string, number>;
  barrier: { horizons_minutes: number[]; k: number; sigma_feature: string };
  parity_times_ny: string[];
}

/** One bar with its feature values (null = not ready). */
interface Row {
  bar: Bar;
  ymd: number;
  minute: number;
  values: (number | null)[];
}

/** Every bar of [start, end] per symbol with the FeatureState row at that bar. */
function featureRows(cfg: DemoConfig, start: string, end: string, ny: NyTime): Map<string, Row[]> {
  const source = new ReplaySource({ dataDir: join(ROOT, cfg.data_dir), symbols: cfg.symbols, start, end });
  const states = new Map<string, FeatureState>();
  const rows = new Map<string, Row[]>(cfg.symbols.map((s) => [s, []]));
  // The replay stream is cold and synchronous: subscribe returns after the last slice.
  source.stream().subscribe((slice) => {
    for (const bar of slice.bars) {
      let state = states.get(bar.symbol);
      if (state === undefined) states.set(bar.symbol, (state = createFeatureState(cfg.features)));
      pushBar(state, bar);
      const { ymd, msOfDay } = ny.toNy(bar.ts - MINUTE_MS); // bar.ts is the bar END
      rows.get(bar.symbol)!.push({ bar, ymd, minute: (msOfDay - SESSION_OPEN_MS) / MINUTE_MS, values: featureRow(state, cfg.features).values });
    }
  });
  return rows;
}

/** close(last bar ending at or before ts_i + h) / close_i - 1 within the day; NaN past the day's last bar. */
function forwardReturn(day: Row[], i: number, h: number): number {
  const target = day[i].bar.ts + h * MINUTE_MS;
  if (target > day[day.length - 1].bar.ts) return Number.NaN;
  let j = i;
  while (j + 1 < day.length && day[j + 1].bar.ts <= target) j++;
  return day[j].bar.close / day[i].bar.close - 1;
}

/**
 * First-touch barrier labels over the bars ending in (ts_i, ts_i + h], b = k * sigma * sqrt(h):
 * peak = 1 when low <= C(1-b) comes first (C_i was a local top), valley = 1 when high >= C(1+b)
 * comes first; neither or both in the same bar -> 0/0. NaN past the day's last bar.
 */
function barrierLabels(day: Row[], i: number, h: number, k: number, sigma: number): [number, number] {
  const end = day[i].bar.ts + h * MINUTE_MS;
  if (end > day[day.length - 1].bar.ts || !(sigma > 0)) return [Number.NaN, Number.NaN];
  const b = k * sigma * Math.sqrt(h);
  const up = day[i].bar.close * (1 + b);
  const down = day[i].bar.close * (1 - b);
  for (let j = i + 1; j < day.length && day[j].bar.ts <= end; j++) {
    const hitUp = day[j].bar.high >= up;
    const hitDown = day[j].bar.low <= down;
    if (hitUp || hitDown) return [hitDown && !hitUp ? 1 : 0, hitUp && !hitDown ? 1 : 0];
  }
  return [0, 0];
}

/** Rows grouped by NY date, in time order. */
function byDay(rows: Row[]): Row[][] {
  const days = new Map<number, Row[]>();
  for (const row of rows) {
    if (!days.has(row.ymd)) days.set(row.ymd, []);
    days.get(row.ymd)!.push(row);
  }
  return [...days.values()];
}

/** Shortest round-trip decimal (Python's float() reads it back bit for bit); NaN -> empty. */
const num = (x: number): string => (Number.isFinite(x) ? String(x) : '');

function main(): void {
  const outFlag = process.argv.indexOf('--out');
  const outDir = resolve(outFlag >= 0 ? process.argv[outFlag + 1] : join(HERE, '.work'));
  const cfg = JSON.parse(readFileSync(join(HERE, 'demo-config.json'), 'utf8')) as DemoConfig;
  const ny = new NyTime();
  const horizons = Object.entries(cfg.return_horizons_minutes);
  const sigmaIndex = cfg.features.indexOf(cfg.barrier.sigma_feature);
  if (sigmaIndex < 0) throw new Error(`barrier sigma feature ${cfg.barrier.sigma_feature} is not among the features`);

  // Holdout: bars of the last training day starting in the last fraction of the session.
  const sessionMinutes = (SESSION_CLOSE_MS - SESSION_OPEN_MS) / MINUTE_MS;
  const holdoutMinute = Math.ceil(sessionMinutes * (1 - cfg.holdout_fraction_of_last_day));
  const lastDay = parseYmd(cfg.train_end);
  // END ts of the first holdout bar
  const holdoutStartTs = ny.toUtc(lastDay, SESSION_OPEN_MS + holdoutMinute * MINUTE_MS) + MINUTE_MS;

  const barrierHorizons = cfg.barrier.horizons_minutes;
  const header = ['symbol', 'ts', 'ny_date', 'ny_minute', 'split', ...cfg.features, 'close', ...horizons.map(([t]) => t),
    ...barrierHorizons.flatMap((h) => [`will_peak_${h}m`, `will_valley_${h}m`])];
  const lines = [header.join(',')];
  const counts = { bars: 0, not_ready: 0, rows: 0, train: 0, holdout: 0 };
  const rows = featureRows(cfg, cfg.train_start, cfg.train_end, ny);
  for (const symbol of cfg.symbols) {
    for (const day of byDay(rows.get(symbol)!)) {
      for (let i = 0; i < day.length; i++) {
        const row = day[i];
        counts.bars++;
        if (row.values.some((v) => v === null)) {
          counts.not_ready++;
          continue;
        }
        const split = row.ymd === lastDay && row.minute >= holdoutMinute ? 'holdout' : 'train';
        counts[split]++;
        counts.rows++;
        const fwd = horizons.map(([, h]) => forwardReturn(day, i, h));
        const labels = barrierHorizons.flatMap((h) => barrierLabels(day, i, h, cfg.barrier.k, row.values[sigmaIndex] as number));
        lines.push([symbol, row.bar.ts, row.ymd, row.minute, split, ...(row.values as number[]).map(num), num(row.bar.close),
          ...fwd.map(num), ...labels.map(num)].join(','));
      }
    }
  }

  // Parity rows: features at fixed replay-day instants, the state continuous from the first training day.
  const wanted = new Set(cfg.parity_times_ny.map((text) => {
    const [date, hm] = text.split(' ');
    const [hh, mm] = hm.split(':').map(Number);
    return ny.toUtc(parseYmd(date), (hh * 60 + mm) * MINUTE_MS) + MINUTE_MS; // bar starting then
  }));
  const parity = [['symbol', 'ts', ...cfg.features].join(',')];
  const replayRows = featureRows(cfg, cfg.train_start, cfg.replay_end, ny);
  for (const symbol of cfg.symbols) {
    for (const row of replayRows.get(symbol)!) {
      if (!wanted.has(row.bar.ts)) continue;
      if (row.values.some((v) => v === null)) throw new Error(`parity row ${symbol} ${row.bar.ts} is not ready`);
      parity.push([symbol, row.bar.ts, ...(row.values as number[]).map(num)].join(','));
    }
  }

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'train.csv'), lines.join('\n') + '\n');
  writeFileSync(join(outDir, 'parity.csv'), parity.join('\n') + '\n');
  const meta = { features: cfg.features, holdout_start_ts: holdoutStartTs, parity_rows: parity.length - 1, ...counts };
  writeFileSync(join(outDir, 'train.meta.json'), JSON.stringify(meta, null, 2) + '\n');
  process.stderr.write(`export-features: ${counts.rows} rows (${counts.train} train, ${counts.holdout} holdout, ` +
    `${counts.not_ready} bars not ready), ${parity.length - 1} parity rows -> ${outDir}\n`);
}

main();
