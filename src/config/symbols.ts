/**
 * Which symbols to trade (SPEC section 2): `--symbols` > `--symbols-file` (its `default` list,
 * else universe + sectors + stocks) > the `default` list of symbols.yaml. The result is
 * upper-cased, trimmed and de-duplicated in order; an empty list or a bad ticker is a ConfigError.
 */
import { resolve } from 'node:path';
import { ConfigError, ConfigErrors } from '../core/errors.ts';
import { issuesToErrors } from './issues.ts';
import { SymbolsFileSchema, type SymbolsConfig } from './schema.ts';
import { isPlainObject, readYamlFile } from './yaml-file.ts';

export interface SymbolsFile {
  config: SymbolsConfig;
  /** Top-level keys the file itself sets (the schema fills the others with defaults). */
  present: ReadonlySet<string>;
}

/** Read and validate a symbols file; errors name the file and the key. */
export function readSymbolsFile(path: string): SymbolsFile {
  const raw = readYamlFile(path, 'give a YAML file with `default: [SPY, QQQ]` or universe/sectors/stocks lists');
  if (raw !== undefined && !isPlainObject(raw)) {
    throw new ConfigErrors([new ConfigError(path, '', 'top level must be a mapping with universe/default/sectors/stocks keys')]);
  }
  const parsed = SymbolsFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigErrors(issuesToErrors(path, SymbolsFileSchema, parsed.error.issues));
  return { config: parsed.data, present: new Set(Object.keys(raw ?? {})) };
}

/** Every symbol a file names: universe, then sectors (in order), then stocks. */
export function allSymbolsOf(config: SymbolsConfig, present: ReadonlySet<string> = new Set(['universe'])): string[] {
  const sectors = config.sectors === undefined ? [] : Array.isArray(config.sectors) ? config.sectors : Object.values(config.sectors).flat();
  return [...(present.has('universe') ? config.universe : []), ...sectors, ...(config.stocks ?? [])];
}

export interface ResolveSymbolsOptions {
  /** Comma-separated list from `--symbols`. */
  symbols?: string;
  /** Path from `--symbols-file`. */
  symbolsFile?: string;
  /** The loaded symbols.yaml. */
  symbolsConfig: SymbolsConfig;
  /** Where `symbolsConfig` came from, for messages. */
  symbolsConfigPath?: string | null;
  /** Base for a relative `symbolsFile`. */
  cwd?: string;
}

export function resolveSymbols(opts: ResolveSymbolsOptions): string[] {
  if (opts.symbols !== undefined) {
    return normalise(opts.symbols.split(','), 'command line', '--symbols', 'pass a comma-separated list, e.g. --symbols SPY,QQQ');
  }
  if (opts.symbolsFile !== undefined) {
    const path = resolve(opts.cwd ?? process.cwd(), opts.symbolsFile);
    const file = readSymbolsFile(path);
    if (file.present.has('default')) return normalise(file.config.default, path, 'default', 'list at least one ticker under default');
    return normalise(allSymbolsOf(file.config, file.present), path, 'universe', 'list tickers under default, universe, sectors or stocks');
  }
  const source = opts.symbolsConfigPath ?? 'symbols.yaml';
  return normalise(opts.symbolsConfig.default, source, 'default', 'list at least one ticker under default, or pass --symbols');
}

function normalise(list: readonly string[], source: string, key: string, emptyHint: string): string[] {
  const out: string[] = [];
  const errors: ConfigError[] = [];
  for (const entry of list) {
    const symbol = entry.trim().toUpperCase();
    if (symbol === '') continue;
    // The schema's ticker rule is the one source of what a ticker is.
    if (!SymbolsFileSchema.safeParse({ stocks: [symbol] }).success) {
      errors.push(new ConfigError(source, key, `invalid ticker '${entry.trim()}'`, 'tickers are letters, digits, "." or "-", starting with a letter, e.g. SPY or BRK.B'));
    } else if (!out.includes(symbol)) {
      out.push(symbol);
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  if (out.length === 0) throw new ConfigErrors([new ConfigError(source, key, 'no symbols to trade: the list is empty', emptyHint)]);
  return out;
}
