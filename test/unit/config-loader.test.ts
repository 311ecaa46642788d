import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYMBOLS_PATH, canonicalJson, configHash, loadConfig } from '../../src/config/loader.ts';
import { defaultConfig } from '../../src/config/schema.ts';
import { configErrorLines, tempConfig, tempDir } from './config-helpers.ts';

describe('loadConfig', () => {
  it('reads values from the file and fills every other key from the defaults', () => {
    const path = tempConfig('live_trading:\n  risk:\n    max_daily_loss_pct: 3.5\n  horizons: [5m, 1d]\n');
    const { config } = loadConfig({ configPath: path, env: {} });
    expect(config.risk.max_daily_loss_pct).toBe(3.5);
    expect(config.risk.max_drawdown_pct).toBe(10);
    expect(config.horizons).toEqual(['5m', '1d']);
    expect(config.sizing).toStrictEqual(defaultConfig().sizing);
  });

  it('resolves a relative --config path against cwd', () => {
    const path = tempConfig('live_trading:\n  engine: {warmup_bars: 7}\n');
    const loaded = loadConfig({ configPath: 'live_trading.yaml', cwd: join(path, '..'), env: {} });
    expect(loaded.configPath).toBe(path);
    expect(loaded.config.engine.warmup_bars).toBe(7);
  });

  it('treats an empty file, and sections left empty, as defaults', () => {
    expect(loadConfig({ configPath: tempConfig(''), env: {} }).config).toStrictEqual(defaultConfig());
    expect(loadConfig({ configPath: tempConfig('# only a comment\n'), env: {} }).config).toStrictEqual(defaultConfig());
    expect(loadConfig({ configPath: tempConfig('live_trading:\n  risk:\n'), env: {} }).config).toStrictEqual(defaultConfig());
  });

  it('reads symbols.yaml beside the config file, else the package one', () => {
    const beside = tempConfig('', 'default: [NVDA]\n');
    const loaded = loadConfig({ configPath: beside, env: {} });
    expect(loaded.symbolsPath).toBe(join(beside, '..', 'symbols.yaml'));
    expect(loaded.symbols.default).toEqual(['NVDA']);
    const alone = loadConfig({ configPath: tempConfig(''), env: {} });
    expect(alone.symbolsPath).toBe(DEFAULT_SYMBOLS_PATH);
    expect(alone.symbols.default).toEqual(['SPY', 'QQQ', 'AAPL', 'MSFT']);
  });

  it('gives a hash that depends on the values, not on key order', () => {
    const a = loadConfig({ configPath: tempConfig('live_trading:\n  risk: {max_drawdown_pct: 5, max_daily_loss_pct: 1}\n'), env: {} });
    const b = loadConfig({ configPath: tempConfig('live_trading:\n  risk: {max_daily_loss_pct: 1, max_drawdown_pct: 5}\n'), env: {} });
    const c = loadConfig({ configPath: tempConfig('live_trading:\n  risk: {max_daily_loss_pct: 1, max_drawdown_pct: 6}\n'), env: {} });
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
    expect(configHash(defaultConfig())).toBe(loadConfig({ env: {} }).hash);
  });

  it('writes canonical JSON with keys sorted at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('reports every problem of a file at once, one line each naming file, key and problem', () => {
    const path = tempConfig('live_trading:\n  risk: {max_daily_loss_pct: -1, bogus: 2}\n  sizing: {z_max: "3"}\n');
    const lines = configErrorLines(() => loadConfig({ configPath: path, env: {} }));
    // In the schema's (and the shipped file's) key order: sizing comes before risk.
    expect(lines).toEqual([
      `CONFIG_INVALID: ${path}: live_trading.sizing.z_max: expected number, got string '3'`,
      `CONFIG_INVALID: ${path}: live_trading.risk.max_daily_loss_pct: must be > 0, got -1`,
      `CONFIG_INVALID: ${path}: live_trading.risk.bogus: unknown key 'bogus' (hint: known keys here: max_daily_loss_pct, max_drawdown_pct, max_position_pct, max_gross_exposure, kill_action, daily_loss_resets_next_day)`,
    ]);
  });

  it('names the duplicated horizon and the unknown horizon', () => {
    const lines = configErrorLines(() => loadConfig({ configPath: tempConfig('live_trading:\n  horizons: [5m, 5m, 7m]\n'), env: {} }));
    expect(lines.join('\n')).toContain("live_trading.horizons[2]: unknown horizon '7m'; expected one of 5m, 10m, 15m, 30m, 60m, 1d");
    const dup = configErrorLines(() => loadConfig({ configPath: tempConfig('live_trading:\n  horizons: [5m, 1d, 5m]\n'), env: {} }));
    expect(dup).toHaveLength(1);
    expect(dup[0]).toContain('live_trading.horizons: horizons must not repeat (repeated: 5m)');
  });

  it('rejects integers given as fractions and infinite numbers', () => {
    const lines = configErrorLines(() => loadConfig({ configPath: tempConfig('live_trading:\n  blending: {window: 2.5}\n  engine: {cycle_interval_seconds: .inf}\n'), env: {} }));
    expect(lines[0]).toContain('live_trading.blending.window: expected an integer, got number 2.5');
    expect(lines[1]).toContain('live_trading.engine.cycle_interval_seconds: expected number, got Infinity');
  });

  it('reports a file that is missing, not YAML, or not a mapping', () => {
    const missing = join(tempDir({}), 'absent.yaml');
    expect(configErrorLines(() => loadConfig({ configPath: missing, env: {} }))[0]).toMatch(new RegExp(`^CONFIG_INVALID: ${missing}: <root>: file not found \\(hint: .*--config`));
    const badYaml = tempConfig('live_trading:\n  risk: {max_daily_loss_pct: 2\n  sizing: {}\n');
    expect(configErrorLines(() => loadConfig({ configPath: badYaml, env: {} }))[0]).toMatch(new RegExp(`^CONFIG_INVALID: ${badYaml}: <root>: invalid YAML at line \\d+:\\d+: `));
    const list = tempConfig('- 1\n- 2\n');
    expect(configErrorLines(() => loadConfig({ configPath: list, env: {} }))[0]).toContain("top level must be a mapping with a 'live_trading:' key, got a list");
  });

  it('reports errors of the config file and of symbols.yaml together', () => {
    const path = tempConfig('live_trading:\n  paper: {fee_bps: -1}\n', 'default: [spy]\nsectors: {tech: [AAPL, 3]}\n');
    const lines = configErrorLines(() => loadConfig({ configPath: path, env: {} }));
    const symbolsPath = join(path, '..', 'symbols.yaml');
    expect(lines).toEqual([
      `CONFIG_INVALID: ${path}: live_trading.paper.fee_bps: must be >= 0, got -1`,
      `CONFIG_INVALID: ${symbolsPath}: default[0]: symbols are upper-case tickers like SPY or BRK.B, got 'spy'`,
      `CONFIG_INVALID: ${symbolsPath}: sectors.tech[1]: expected string, got number 3`,
    ]);
  });
});
