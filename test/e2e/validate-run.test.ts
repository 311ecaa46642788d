import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './config-cli-helpers.ts';
import { familyDir, goodRunSpec, writeRun } from '../fixtures/runs/make-runs.ts';

const freshRun = (): { results: string; root: string } => {
  const results = mkdtempSync(join(tmpdir(), 'lt-validate-'));
  return { results, root: writeRun(results, goodRunSpec()) };
};

describe('live-trading validate-run', () => {
  it('lists every family of a good run and exits 0 with OK', async () => {
    const { root } = freshRun();
    const result = await runCli(['validate-run', '--run-root', root]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('OK');
    const rows = lines.filter((l) => /^(fwd_ret|will_)/.test(l));
    expect(rows.map((r) => r.split(/\s{2,}/).slice(0, 5).join(' '))).toEqual([
      'fwd_ret_15m 15m alpha CROSS_SECTIONAL LightGBM',
      'fwd_ret_15m 15m alpha SYMBOL_SPECIFIC:AAPL LightGBM',
      'fwd_ret_5m 5m alpha CROSS_SECTIONAL LightGBM',
      'fwd_ret_5m 5m alpha CROSS_SECTIONAL Ridge',
      'fwd_ret_5m 5m alpha CROSS_SECTIONAL XGBoost',
      'fwd_ret_60m 60m alpha CROSS_SECTIONAL LSTM',
      'will_peak_5m 5m peak CROSS_SECTIONAL LightGBM',
      'will_valley_5m 5m valley CROSS_SECTIONAL XGBoost',
    ]);
    for (const row of rows) expect(row).toMatch(/ok\s+ok \(1m\)\s+ok$/);
  });

  it('exits 1 naming the tampered file', async () => {
    const { root } = freshRun();
    const spec = goodRunSpec().models[1];
    appendFileSync(join(familyDir(root, spec), 'model.json'), '\n');
    const result = await runCli(['validate-run', '--run-root', root]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('targets/fwd_ret_5m/models/view=CROSS_SECTIONAL/family=XGBoost/model.json: SHA-256');
    expect(result.stdout).toMatch(/XGBoost\s+xgboost\s+-\s+MISMATCH\s+ok \(1m\)\s+PROBLEM/);
    expect(result.stdout.trimEnd().split('\n').pop()).toBe('1 problem');
  });

  it('finds the newest run by --run-id and reports an interval mismatch as JSON', async () => {
    const { results } = freshRun();
    const result = await runCli(['validate-run', '--run-id', 'fixture_run', '--data-interval', '5', '--json'], { env: { LT_RESULTS_ROOT: results } });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; problems: string[]; models: { status: string }[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(8);
    expect(report.problems[0]).toContain('trained on 1-minute bars (interval_minutes 1) but the data is 5-minute bars');
    expect(report.models.every((m) => m.status === 'PROBLEM')).toBe(true);
  });

  it('exits 2 when neither or both of --run-id and --run-root are given', async () => {
    const neither = await runCli(['validate-run']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('RUN_ARGS: no training run given');
    const both = await runCli(['validate-run', '--run-id', 'x', '--run-root', '/tmp']);
    expect(both.code).toBe(2);
    expect((await runCli(['validate-run', '--run-root', '/tmp', '--data-interval', 'daily'])).code).toBe(2);
  });
});
