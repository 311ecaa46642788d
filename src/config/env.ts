/**
 * Environment overrides `LT_<SECTION>__<KEY>[__<SUBKEY>]=<value>` of single config values.
 * Only names starting with `LT_` and containing `__` are overrides (so `LT_LOG_LEVEL` is not);
 * path segments are lower-cased and values parsed as YAML scalars (`3` -> 3, `true` -> true).
 * They are applied to the raw file content before validation, so the schema checks them too.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { dottedKey, schemaAt, unknownKeyProblem } from './issues.ts';
import { isPlainObject } from './yaml-file.ts';

export interface EnvOverride {
  /** The environment variable, e.g. `LT_RISK__MAX_DAILY_LOSS_PCT`. */
  name: string;
  /** Path below `live_trading`, e.g. `['risk', 'max_daily_loss_pct']`. */
  path: string[];
  value: unknown;
}

const PREFIX = 'LT_';

/** The overrides present in `env`, sorted by name so the result never depends on env order. */
export function parseEnvOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverride[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && name.includes('__') && env[name] !== undefined)
    .sort()
    .map((name) => ({
      name,
      path: name.slice(PREFIX.length).split('__').map((s) => s.toLowerCase()),
      value: parseScalar(env[name] as string),
    }));
}

// YAML rules make `3` a number and `true` a boolean; text YAML cannot parse stays a string.
function parseScalar(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

/**
 * `doc` with every override written in (a copy; `doc` is not changed). A section or mapping the
 * file leaves out is first filled from `defaults`, so `LT_BLENDING__TEMPERATURE__5M=0.8` changes
 * one horizon and keeps the default temperatures of the others. An override naming a key the
 * schema does not have is an error naming the variable.
 */
export function applyEnvOverrides(
  doc: Record<string, unknown>,
  overrides: readonly EnvOverride[],
  root: z.ZodType,
  defaults: Record<string, unknown>,
  configFile: string,
): { doc: Record<string, unknown>; errors: ConfigError[] } {
  const out = structuredClone(doc);
  const errors: ConfigError[] = [];
  for (const override of overrides) {
    const fullPath = ['live_trading', ...override.path];
    const unknownAt = fullPath.findIndex((_, i) => schemaAt(root, fullPath.slice(0, i + 1)) === undefined);
    if (unknownAt >= 0) {
      const { problem, hint } = unknownKeyProblem(root, fullPath.slice(0, unknownAt), fullPath[unknownAt] as string);
      const where = `overrides apply to ${configFile}; use LT_<SECTION>__<KEY>`;
      errors.push(new ConfigError(`environment variable ${override.name}`, dottedKey(fullPath.slice(0, unknownAt + 1)), problem, hint ? `${hint}; ${where}` : where));
      continue;
    }
    setPath(out, fullPath, override.value, defaults);
  }
  return { doc: out, errors };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown, defaults: unknown): void {
  let node = target;
  let fallback = defaults;
  for (const key of path.slice(0, -1)) {
    fallback = isPlainObject(fallback) ? fallback[key] : undefined;
    if (node[key] === undefined || node[key] === null) node[key] = isPlainObject(fallback) ? structuredClone(fallback) : {};
    const next = node[key];
    // A section the file gives a wrong type is reported by the schema; leave it as written.
    if (!isPlainObject(next)) return;
    node = next;
  }
  node[path[path.length - 1] as string] = value;
}
