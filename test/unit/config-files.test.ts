import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_PATH, DEFAULT_SYMBOLS_PATH, PACKAGE_ROOT, loadConfig } from '../../src/config/loader.ts';
import { ConfigFileSchema, SymbolsFileSchema, defaultConfig } from '../../src/config/schema.ts';

const fileText = (path: string) => readFileSync(path, 'utf8');

// Every leaf key below live_trading, as `section.key` (temperature keys included).
function leafKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

describe('config/live_trading.yaml and config/symbols.yaml hold exactly the schema defaults', () => {
  it('live_trading.yaml parsed as plain YAML deep-equals defaultConfig()', () => {
    expect(parse(fileText(DEFAULT_CONFIG_PATH))).toStrictEqual({ live_trading: defaultConfig() });
  });

  it('live_trading.yaml parsed through the schema deep-equals defaultConfig()', () => {
    expect(ConfigFileSchema.parse(parse(fileText(DEFAULT_CONFIG_PATH))).live_trading).toStrictEqual(defaultConfig());
  });

  it('symbols.yaml holds the schema default universe and default list', () => {
    const raw = parse(fileText(DEFAULT_SYMBOLS_PATH));
    expect(raw).toStrictEqual(SymbolsFileSchema.parse(undefined));
    expect(raw).toStrictEqual({ universe: ['SPY', 'QQQ', 'IWM', 'DIA'], default: ['SPY', 'QQQ', 'AAPL', 'MSFT'] });
  });

  it('the default files load without errors through loadConfig', () => {
    const loaded = loadConfig({ env: {} });
    expect(loaded.configPath).toBe(DEFAULT_CONFIG_PATH);
    expect(loaded.symbolsPath).toBe(DEFAULT_SYMBOLS_PATH);
    expect(loaded.config).toStrictEqual(defaultConfig());
  });

  it('docs/configuration.md documents every key of the schema', () => {
    const docs = fileText(join(PACKAGE_ROOT, 'docs', 'configuration.md'));
    const keys = leafKeys(defaultConfig()).map((k) => k.replace(/\.temperature\..*$/, '.temperature'));
    expect(keys.length).toBeGreaterThan(60);
    const missing = [...new Set(keys)].filter((k) => !docs.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
});
