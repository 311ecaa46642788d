/**
 * Bad configurations run through the real CLI: each must exit 2 with, on stderr, one line that
 * names the file, the key and the problem (and no stack trace).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './config-cli-helpers.ts';

interface BadCase {
  name: string;
  config?: string;
  symbols?: string;
  env?: Record<string, string>;
  /** Use a config path that does not exist. */
  missing?: boolean;
  /** The file the error line must name: 'config', 'symbols' or a literal text. */
  file: 'config' | 'symbols' | string;
  key: string;
  problem: string;
}

const CASES: BadCase[] = [
  { name: 'unknown key', config: 'live_trading:\n  risk: {bogus: 1}\n', file: 'config', key: 'live_trading.risk.bogus', problem: "unknown key 'bogus'" },
  { name: 'string for a number', config: 'live_trading:\n  sizing: {z_max: three}\n', file: 'config', key: 'live_trading.sizing.z_max', problem: "expected number, got string 'three'" },
  { name: 'negative limit', config: 'live_trading:\n  risk: {max_daily_loss_pct: -2}\n', file: 'config', key: 'live_trading.risk.max_daily_loss_pct', problem: 'must be > 0, got -2' },
  { name: 'threshold out of range', config: 'live_trading:\n  barrier_gate: {peak_threshold: 1.5}\n', file: 'config', key: 'live_trading.barrier_gate.peak_threshold', problem: 'must be <= 1, got 1.5' },
  { name: 'missing file', missing: true, file: 'config', key: '<root>', problem: 'file not found (hint: pass --config PATH' },
  { name: 'invalid YAML', config: 'live_trading:\n  risk:\n    max_daily_loss_pct: [1, 2\n  sizing: {}\n', file: 'config', key: '<root>', problem: 'invalid YAML at line 4:' },
  { name: 'empty symbol list', config: '', symbols: 'default: []\n', file: 'symbols', key: 'default', problem: 'no symbols to trade: the list is empty' },
  { name: 'unknown horizon', config: 'live_trading:\n  horizons: [5m, 7m]\n', file: 'config', key: 'live_trading.horizons[1]', problem: "unknown horizon '7m'; expected one of 5m, 10m, 15m, 30m, 60m, 1d" },
  { name: 'temperature <= 0', config: 'live_trading:\n  blending:\n    temperature: {"5m": 0}\n', file: 'config', key: 'live_trading.blending.temperature.5m', problem: 'must be > 0, got 0' },
  { name: 'min_samples > window', config: 'live_trading:\n  standardization: {window: 30, min_samples: 40}\n', file: 'config', key: 'live_trading.standardization.min_samples', problem: 'min_samples must be <= window' },
  { name: 'kill_action not in enum', config: 'live_trading:\n  risk: {kill_action: panic}\n', file: 'config', key: 'live_trading.risk.kill_action', problem: "unknown value 'panic'; expected one of reduce_only, flatten, block" },
  { name: 'unknown section in live_trading', config: 'live_trading:\n  riskk: {max_daily_loss_pct: 1}\n', file: 'config', key: 'live_trading.riskk', problem: "unknown key 'riskk'" },
  { name: 'unknown top-level section', config: 'live_trading: {}\ntrading:\n  risk: {}\n', file: 'config', key: 'trading', problem: "unknown key 'trading'" },
  { name: 'unknown env override key', config: '', env: { LT_RISK__MAX_LOSS: '3' }, file: 'environment variable LT_RISK__MAX_LOSS', key: 'live_trading.risk.max_loss', problem: "unknown key 'max_loss'" },
  { name: 'reconciliation.mode invalid', config: 'live_trading:\n  reconciliation: {mode: lenient}\n', file: 'config', key: 'live_trading.reconciliation.mode', problem: "unknown value 'lenient'; expected one of strict, warn, sync" },
  { name: 'horizons repeated', config: 'live_trading:\n  horizons: [5m, 15m, 15m]\n', file: 'config', key: 'live_trading.horizons', problem: 'horizons must not repeat (repeated: 15m)' },
  { name: 'integer given as a fraction', config: 'live_trading:\n  engine: {warmup_bars: 10.5}\n', file: 'config', key: 'live_trading.engine.warmup_bars', problem: 'expected an integer, got number 10.5' },
  { name: 'non-mapping top level', config: '- live_trading\n', file: 'config', key: '<root>', problem: "top level must be a mapping with a 'live_trading:' key, got a list" },
  { name: 'invalid ticker in symbols.yaml', config: '', symbols: 'default: [SPY, qqq]\n', file: 'symbols', key: 'default[1]', problem: "symbols are upper-case tickers like SPY or BRK.B, got 'qqq'" },
  { name: 'invalid env override value', config: '', env: { LT_PAPER__FEE_BPS: 'cheap' }, file: 'config', key: 'live_trading.paper.fee_bps', problem: "expected number, got string 'cheap' (set by environment variable LT_PAPER__FEE_BPS)" },
];

function prepare(c: BadCase): { configPath: string; symbolsPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lt-bad-'));
  const configPath = join(dir, 'live_trading.yaml');
  const symbolsPath = join(dir, 'symbols.yaml');
  if (!c.missing) writeFileSync(configPath, c.config ?? '');
  if (c.symbols !== undefined) writeFileSync(symbolsPath, c.symbols);
  return { configPath, symbolsPath };
}

async function check(c: BadCase): Promise<string[]> {
  const { configPath, symbolsPath } = prepare(c);
  const result = await runCli(['config', 'check', '--config', configPath], { env: c.env });
  const file = c.file === 'config' ? configPath : c.file === 'symbols' ? symbolsPath : c.file;
  const expected = `CONFIG_INVALID: ${file}: ${c.key}: ${c.problem}`;
  const lines = result.stderr.trimEnd().split('\n');
  const failures: string[] = [];
  if (result.code !== 2) failures.push(`exit code ${result.code}, expected 2`);
  if (result.stdout !== '') failures.push(`stdout not empty: ${result.stdout.slice(0, 80)}`);
  if (!lines.some((line) => line.startsWith(expected))) failures.push(`no stderr line starting with: ${expected}\n    got: ${lines.join('\n         ')}`);
  if (!lines.every((line) => line.startsWith('CONFIG_INVALID: '))) failures.push('a stderr line is not a one-line config error (stack trace?)');
  return failures.map((f) => `${c.name}: ${f}`);
}

// Two subprocesses at a time: the whole set runs in a few seconds on two cores.
async function checkAll(cases: BadCase[]): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < cases.length; i += 2) {
    const results = await Promise.all(cases.slice(i, i + 2).map(check));
    failures.push(...results.flat());
  }
  return failures;
}

describe('config check rejects bad configurations with exit 2 and a line naming file, key and problem', () => {
  it(`covers ${CASES.length} distinct bad configurations`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(14);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it('rejects the first half of the bad configurations', async () => {
    expect(await checkAll(CASES.slice(0, 10))).toEqual([]);
  });

  it('rejects the second half of the bad configurations', async () => {
    expect(await checkAll(CASES.slice(10))).toEqual([]);
  });
});
