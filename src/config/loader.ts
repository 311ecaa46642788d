/**
 * Loading the configuration (SPEC section 2): `config/live_trading.yaml` (or `--config PATH`),
 * environment overrides, then the zod schema; symbols.yaml from beside the config file.
 * Every problem found is reported at once, one line each, as ConfigErrors.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ConfigErrors } from '../core/errors.ts';
import { applyEnvOverrides, parseEnvOverrides, type EnvOverride } from './env.ts';
import { issuesToErrors } from './issues.ts';
import { ConfigFileSchema, SymbolsFileSchema, defaultConfig, type LiveTradingConfig, type SymbolsConfig } from './schema.ts';
import { readSymbolsFile } from './symbols.ts';
import { describeValue, isPlainObject, readYamlFile } from './yaml-file.ts';

export { resolveSymbols, readSymbolsFile, allSymbolsOf, type ResolveSymbolsOptions } from './symbols.ts';
export type { EnvOverride } from './env.ts';

/** The package root (two levels above this file), independent of the working directory. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_CONFIG_PATH = join(PACKAGE_ROOT, 'config', 'live_trading.yaml');
export const DEFAULT_SYMBOLS_PATH = join(PACKAGE_ROOT, 'config', 'symbols.yaml');

export interface LoadConfigOptions {
  /** Config file; relative paths are taken from `cwd`. Default: the package's config/live_trading.yaml. */
  configPath?: string;
  /** Source of `LT_*__*` overrides. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Default: process.cwd(). */
  cwd?: string;
}

export interface LoadedConfig {
  config: LiveTradingConfig;
  symbols: SymbolsConfig;
  configPath: string;
  /** null when neither the config's directory nor the package has a symbols.yaml (schema defaults). */
  symbolsPath: string | null;
  /** sha256 hex of the canonical JSON of `config`; stored in snapshots to notice config changes. */
  hash: string;
  /** The environment overrides that were applied, sorted by variable name. */
  overrides: EnvOverride[];
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const configPath = options.configPath === undefined ? DEFAULT_CONFIG_PATH : resolve(cwd, options.configPath);
  const overrides = parseEnvOverrides(options.env ?? process.env);
  const errors: ConfigError[] = [];

  let config: LiveTradingConfig | undefined;
  try {
    config = parseConfigFile(configPath, overrides);
  } catch (error) {
    errors.push(...configErrorsOf(error));
  }

  const besideConfig = join(dirname(configPath), 'symbols.yaml');
  const symbolsPath = existsSync(besideConfig) ? besideConfig : existsSync(DEFAULT_SYMBOLS_PATH) ? DEFAULT_SYMBOLS_PATH : null;
  let symbols: SymbolsConfig | undefined;
  try {
    symbols = symbolsPath === null ? SymbolsFileSchema.parse(undefined) : readSymbolsFile(symbolsPath).config;
  } catch (error) {
    errors.push(...configErrorsOf(error));
  }

  if (errors.length > 0 || config === undefined || symbols === undefined) throw new ConfigErrors(errors);
  return { config, symbols, configPath, symbolsPath, hash: configHash(config), overrides };
}

function parseConfigFile(path: string, overrides: readonly EnvOverride[]): LiveTradingConfig {
  const raw = readYamlFile(path, 'pass --config PATH, or copy config/live_trading.yaml from the package');
  if (raw !== undefined && !isPlainObject(raw)) {
    throw new ConfigErrors([new ConfigError(path, '', `top level must be a mapping with a 'live_trading:' key, got ${describeValue(raw)}`)]);
  }
  const defaults = { live_trading: defaultConfig() };
  const withoutEmpty = dropEmptySections(raw ?? {}, defaults);
  const { doc, errors } = applyEnvOverrides(withoutEmpty, overrides, ConfigFileSchema, defaults, path);
  const parsed = ConfigFileSchema.safeParse(doc, { reportInput: true });
  const sources = overrides.map((o) => ({ path: ['live_trading', ...o.path], name: o.name }));
  const all = [...errors, ...(parsed.success ? [] : issuesToErrors(path, ConfigFileSchema, parsed.error.issues, sources))];
  if (all.length > 0 || !parsed.success) throw new ConfigErrors(all);
  return parsed.data.live_trading;
}

/**
 * A section whose keys are all commented out reads as `null` in YAML; it means "use the
 * defaults", as an absent section does.
 */
function dropEmptySections(doc: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    const fallback = defaults[key];
    if (value === null && isPlainObject(fallback)) continue;
    out[key] = isPlainObject(value) && isPlainObject(fallback) ? dropEmptySections(value, fallback) : value;
  }
  return out;
}

function configErrorsOf(error: unknown): ConfigError[] {
  if (error instanceof ConfigErrors) return error.errors;
  if (error instanceof ConfigError) return [error];
  throw error;
}

/** JSON with object keys sorted at every level, so equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/** sha256(canonicalJson(config)) in hex. */
export function configHash(config: LiveTradingConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}
