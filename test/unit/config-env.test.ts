import { describe, expect, it } from 'vitest';
import { parseEnvOverrides } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/loader.ts';
import { defaultConfig } from '../../src/config/schema.ts';
import { configErrorLines, tempConfig } from './config-helpers.ts';

describe('environment overrides LT_<SECTION>__<KEY>', () => {
  it('overrides a number, a boolean and an enum, values parsed as YAML scalars', () => {
    const { config, overrides } = loadConfig({
      env: { LT_RISK__MAX_DAILY_LOSS_PCT: '3', LT_BARRIER_GATE__ENABLED: 'false', LT_RISK__KILL_ACTION: 'flatten' },
    });
    expect(config.risk.max_daily_loss_pct).toBe(3);
    expect(config.barrier_gate.enabled).toBe(false);
    expect(config.risk.kill_action).toBe('flatten');
    expect(overrides.map((o) => o.name)).toEqual(['LT_BARRIER_GATE__ENABLED', 'LT_RISK__KILL_ACTION', 'LT_RISK__MAX_DAILY_LOSS_PCT']);
  });

  it('overrides one nested temperature and keeps the others', () => {
    const { config } = loadConfig({ env: { LT_BLENDING__TEMPERATURE__5M: '0.8' } });
    expect(config.blending.temperature).toStrictEqual({ '5m': 0.8, '10m': 0.85, '15m': 0.9, '30m': 1, '60m': 1, '1d': 1 });
  });

  it('fills a section the file leaves out from the defaults before overriding one key', () => {
    const path = tempConfig('live_trading:\n  risk: {max_drawdown_pct: 5}\n');
    const { config } = loadConfig({ configPath: path, env: { LT_BLENDING__TEMPERATURE__1D: '2', LT_MODELS__TARGETS__5M: 'fwd_ret_5m' } });
    expect(config.blending.temperature).toStrictEqual({ ...defaultConfig().blending.temperature, '1d': 2 });
    expect(config.models.targets).toStrictEqual({ '5m': 'fwd_ret_5m' });
    expect(config.risk.max_drawdown_pct).toBe(5);
  });

  it('wins over the value in the file', () => {
    const path = tempConfig('live_trading:\n  sizing: {max_weight: 0.1}\n');
    expect(loadConfig({ configPath: path, env: { LT_SIZING__MAX_WEIGHT: '0.02' } }).config.sizing.max_weight).toBe(0.02);
  });

  it('ignores variables without the LT_ prefix or without a double underscore', () => {
    expect(parseEnvOverrides({ LT_LOG_LEVEL: 'debug', RISK__MAX_DAILY_LOSS_PCT: '9', ALPACA_API_KEY: 'x', LT_RISK__FEE: undefined })).toEqual([]);
    expect(loadConfig({ env: { LT_LOG_LEVEL: 'debug', ALPACA_API_KEY: 'secret' } }).config).toStrictEqual(defaultConfig());
  });

  it('is an error naming the variable when the key does not exist', () => {
    const lines = configErrorLines(() => loadConfig({ env: { LT_RISK__BOGUS: '1' } }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^CONFIG_INVALID: environment variable LT_RISK__BOGUS: live_trading\.risk\.bogus: unknown key 'bogus' \(hint: known keys here: max_daily_loss_pct, .*overrides apply to .*live_trading\.yaml/);
    expect(configErrorLines(() => loadConfig({ env: { LT_NOSECTION__X: '1' } }))[0]).toContain("LT_NOSECTION__X: live_trading.nosection: unknown key 'nosection'");
    expect(configErrorLines(() => loadConfig({ env: { LT_BLENDING__TEMPERATURE__7M: '1' } }))[0]).toContain("LT_BLENDING__TEMPERATURE__7M: live_trading.blending.temperature.7m: unknown horizon '7m'");
  });

  it('reports an invalid overridden value at its key and names the variable', () => {
    const lines = configErrorLines(() => loadConfig({ env: { LT_RISK__MAX_DAILY_LOSS_PCT: 'lots', LT_BLENDING__TEMPERATURE__5M: '0' } }));
    expect(lines.some((l) => l.includes("live_trading.risk.max_daily_loss_pct: expected number, got string 'lots' (set by environment variable LT_RISK__MAX_DAILY_LOSS_PCT)"))).toBe(true);
    expect(lines.some((l) => l.includes('live_trading.blending.temperature.5m: must be > 0, got 0 (set by environment variable LT_BLENDING__TEMPERATURE__5M)'))).toBe(true);
  });
});
