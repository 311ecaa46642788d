import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_PATH, PACKAGE_ROOT } from '../../src/config/loader.ts';
import { defaultConfig } from '../../src/config/schema.ts';
import { runCli, runCommand } from './config-cli-helpers.ts';

describe('live-trading config check (subprocess)', () => {
  it('npx --no-install live-trading config check works in the checkout: exit 0, the defaults as YAML', async () => {
    const result = await runCommand('npx', ['--no-install', 'live-trading', 'config', 'check'], { cwd: PACKAGE_ROOT });
    expect(result.code).toBe(0);
    expect(parse(result.stdout)).toStrictEqual({ live_trading: defaultConfig() });
    expect(result.stdout).toContain(`# config file: ${DEFAULT_CONFIG_PATH}`);
    expect(result.stdout).toContain('# symbols: SPY, QQQ, AAPL, MSFT');
    expect(result.stdout).toMatch(/# config hash \(sha256\): [0-9a-f]{64}\n/);
  });

  it('finds the package config from any working directory and applies environment overrides (--json)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lt-cwd-'));
    const result = await runCli(['config', 'check', '--json', '--symbols', 'spy,iwm'], {
      cwd,
      env: { LT_RISK__MAX_DAILY_LOSS_PCT: '3', LT_BLENDING__TEMPERATURE__5M: '0.8', LT_LOG_LEVEL: 'debug' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.config_path).toBe(DEFAULT_CONFIG_PATH);
    expect(report.symbols).toEqual(['SPY', 'IWM']);
    expect(report.overrides).toEqual(['LT_BLENDING__TEMPERATURE__5M', 'LT_RISK__MAX_DAILY_LOSS_PCT']);
    expect(report.live_trading.risk.max_daily_loss_pct).toBe(3);
    expect(report.live_trading.blending.temperature['5m']).toBe(0.8);
    expect(report.live_trading.blending.temperature['10m']).toBe(0.85);
  });

  it('prints help and the version with exit 0, and exits 2 on an unknown command', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('config');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe('0.1.0');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
  });

  it('prints the resolved symbols of a --symbols-file without a default list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-sym-'));
    writeFileSync(join(dir, 'mine.yaml'), 'universe: [SPY]\nsectors: {tech: [AAPL, SPY]}\nstocks: [JPM]\n');
    const result = await runCli(['config', 'check', '--symbols-file', join(dir, 'mine.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# symbols: SPY, AAPL, JPM\n');
  });
});
