/**
 * Crash recovery (SPEC 8): the CLI on replayed real data is killed with SIGKILL at random points
 * (and at the worst moments: between journal and snapshot, while the snapshot is being written),
 * restarted, and must end with exactly the journals of an uninterrupted run: identical decisions
 * and fills after the restart point, no duplicated and no missing order.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv } from './config-cli-helpers.ts';
import { runLive, SHARED_LEAN, tempDir } from './run-helpers.ts';

const SYMBOLS = ['SPY', 'AIG', 'BAC', 'IBM'];
const JOURNALS = ['decisions.jsonl', 'orders.jsonl', 'fills.jsonl'];
const END_MS = 12.5 * 3600_000; // keep bars starting before 12:30 New York: ~180 cycles

/** A copy of one real day cut at 12:30 so each trial is short. */
function shortDay(): string {
  const dir = tempDir('crashdata');
  for (const symbol of SYMBOLS) {
    const s = symbol.toLowerCase();
    fs.mkdirSync(path.join(dir, 'minute', s), { recursive: true });
    for (const kind of ['trade', 'quote']) {
      const name = `20131008_${s}_minute_${kind}.csv`;
      const rows = fs.readFileSync(path.join(SHARED_LEAN, 'minute', s, name), 'utf8').split('\n').filter((l) => l !== '' && Number(l.split(',')[0]) < END_MS);
      fs.writeFileSync(path.join(dir, 'minute', s, name), `${rows.join('\n')}\n`);
    }
  }
  return dir;
}

const argsFor = (data: string, dir: string) => ['run', '--dry-run', '--data', 'replay', '--data-dir', data, '--symbols', SYMBOLS.join(','), '--log-dir', path.join(dir, 'logs'), '--state-dir', path.join(dir, 'state'), '--log-level', 'error'];

/** Start the CLI, SIGKILL it after `killAfterMs` or at its crash point; resolves when it is gone. */
function crashRun(args: string[], options: { killAfterMs?: number; crashPoint?: string }): Promise<number | null> {
  return new Promise((resolve) => {
    const env = cleanEnv(options.crashPoint ? { LIVE_TRADING_CRASH_POINT: options.crashPoint } : {});
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'ignore' });
    const timer = options.killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? null : code);
    });
  });
}

/**
 * Seeded fractions in [0.05, 0.95): each random kill lands at that fraction of an uninterrupted
 * run's wall time, so the kills fall mid-run on a fast machine and a slow one alike.
 */
function killFractions(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 0.05 + 0.9 * (x / 2 ** 31);
  });
}

describe('crash recovery: SIGKILL at random points, restart, compare with an uninterrupted run', () => {
  const data = shortDay();
  const reference = tempDir('crashref');
  let referenceJournals: Record<string, string> = {};
  let referenceMs = 0;

  beforeAll(async () => {
    const started = Date.now();
    const r = await runLive(argsFor(data, reference));
    referenceMs = Date.now() - started;
    expect(r.code).toBe(0);
    referenceJournals = Object.fromEntries(JOURNALS.map((j) => [j, fs.readFileSync(path.join(reference, 'logs', j), 'utf8')]));
    expect(referenceJournals['fills.jsonl'].trim().split('\n').length).toBeGreaterThanOrEqual(4);
  }, 60_000);

  const trials = [
    ...killFractions(14, 20131008).map((fraction) => ({ name: `SIGKILL at ${(fraction * 100).toFixed(0)} % of a run`, fraction, crashPoint: undefined as string | undefined })),
    ...[1, 40, 90, 140].map((cycle) => ({ name: `SIGKILL between journal and snapshot of cycle ${cycle}`, fraction: undefined, crashPoint: `after-journal:${cycle}` })),
    ...[60, 110, 160].map((cycle) => ({ name: `SIGKILL during the snapshot write of cycle ${cycle}`, fraction: undefined, crashPoint: `during-snapshot:${cycle}` })),
  ];

  it(`recovers from ${trials.length} crashes with journals identical to the uninterrupted run`, async () => {
    expect(trials.length).toBeGreaterThanOrEqual(20);
    const outcomes: string[] = [];
    // Two trials at a time: the machine has two cores.
    for (let i = 0; i < trials.length; i += 2) {
      await Promise.all(
        trials.slice(i, i + 2).map(async (trial) => {
          const dir = tempDir('crash');
          const args = argsFor(data, dir);
          const first = await crashRun(args, { crashPoint: trial.crashPoint, killAfterMs: trial.fraction === undefined ? undefined : Math.round(trial.fraction * referenceMs) });
          const restart = await runLive(args, 60_000);
          expect(restart.code, `${trial.name}: ${restart.stderr}`).toBe(0);
          for (const journal of JOURNALS) {
            const text = fs.readFileSync(path.join(dir, 'logs', journal), 'utf8');
            expect(text, `${trial.name}: ${journal}`).toBe(referenceJournals[journal]);
          }
          const orders = fs.readFileSync(path.join(dir, 'logs', 'orders.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).client_order_id);
          expect(new Set(orders).size, `${trial.name}: duplicated order`).toBe(orders.length);
          outcomes.push(`${trial.name}: ${first === null ? 'killed' : `exited ${first}`}`);
        }),
      );
    }
    // At least most random kills must really have landed mid-run (not after completion).
    expect(outcomes.filter((o) => o.endsWith('killed')).length).toBeGreaterThanOrEqual(16);
  }, 420_000);
});
