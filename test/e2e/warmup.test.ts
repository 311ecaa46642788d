/**
 * Warm-up (issue "Real models"): on a fresh start the last engine.warmup_bars bars before the first
 * live slice run through features and models, so the first live cycle already has full
 * standardizer windows and live IC pairs; with warm-up off the models are still warming up.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, runLive, tempDir } from './run-helpers.ts';

interface Decision { cycle: number; trace: { horizons: { families: { status: string; confidence: { icPairs: number } | null }[] }[] } }

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
const args = (logDir: string) => ['run', '--run-id', 'demo', '--results-root', path.join(EXAMPLES, 'run'), '--data', 'replay', '--data-dir', path.join(EXAMPLES, 'data', 'equity', 'usa'), '--symbols', 'SPY,IBM', '--start', '2013-10-08', '--end', '2013-10-08', '--max-cycles', '3', '--log-dir', logDir, '--no-state', '--log-level', 'info'];

describe('warm-up before the first live cycle', () => {
  it('makes the models ready at cycle 1 with IC pairs from the history; without it they warm up live', async () => {
    const warm = tempDir('warm');
    const r = await runLive(args(warm));
    expect(r.code, r.stderr).toBe(0);
    const first = readJsonl<Decision>(path.join(warm, 'decisions.jsonl')).filter((d) => d.cycle === 1);
    const families = first.flatMap((d) => d.trace.horizons.flatMap((h) => h.families));
    expect(families.length).toBeGreaterThan(0);
    expect(families.every((f) => f.status === 'ok')).toBe(true);
    expect(Math.min(...families.map((f) => f.confidence!.icPairs))).toBeGreaterThan(20);
  }, 120_000);

  it('is off when engine.warmup_bars is 0: the first cycle is still warming up', async () => {
    const cold = tempDir('cold0');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { BIN, cleanEnv } = await import('./config-cli-helpers.ts');
    await promisify(execFile)(process.execPath, [BIN, ...args(cold)], { env: cleanEnv({ LT_ENGINE__WARMUP_BARS: '0' }) });
    const first = readJsonl<Decision>(path.join(cold, 'decisions.jsonl')).filter((d) => d.cycle === 1);
    const families = first.flatMap((d) => d.trace.horizons.flatMap((h) => h.families));
    expect(families.some((f) => f.status === 'ok')).toBe(false);
  }, 60_000);
});
