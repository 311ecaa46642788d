/**
 * Turning zod issues into one-line ConfigErrors a user can act on: the dotted key, then the
 * problem in plain words ("must be > 0", "unknown key 'bogus'", "expected number, got string").
 * Also a small walker over the schema, shared with the environment overrides, to tell which
 * keys exist at a path.
 */
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { HORIZONS } from '../core/horizons.ts';
import { describeValue } from './yaml-file.ts';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;
// zod 4 exposes a schema's definition as `_zod.def`; only the fields read below are typed.
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  entries?: Record<string, string>;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

function defOf(schema: z.ZodType): Def {
  let def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  while (WRAPPERS.has(def.type) || def.type === 'pipe') {
    const inner = def.type === 'pipe' ? def.in : def.innerType;
    if (!inner) break;
    def = (inner as unknown as { _zod: { def: Def } })._zod.def;
  }
  return def;
}

/** Keys a mapping at this schema may hold, or null when it takes any key (or is no mapping). */
export function allowedKeys(schema: z.ZodType): string[] | null {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def.type === 'record' && def.keyType) {
    const keyDef = defOf(def.keyType);
    if (keyDef.type === 'enum' && keyDef.entries) return Object.values(keyDef.entries);
  }
  return null;
}

/** True when the mapping at this schema is keyed by horizon names. */
export function keyedByHorizon(schema: z.ZodType): boolean {
  const keys = allowedKeys(schema);
  return keys !== null && defOf(schema).type === 'record' && sameSet(keys, HORIZONS);
}

/** The schema one key further down, or undefined if the key does not exist there. */
export function childSchema(schema: z.ZodType, key: PathKey): z.ZodType | undefined {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape) return Object.hasOwn(def.shape, key) ? def.shape[String(key)] : undefined;
  if (def.type === 'record') {
    const keys = allowedKeys(schema);
    return keys === null || keys.includes(String(key)) ? def.valueType : undefined;
  }
  if (def.type === 'array' && typeof key === 'number') return def.element;
  return undefined;
}

export function schemaAt(schema: z.ZodType, path: readonly PathKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    if (!current) return undefined;
    current = childSchema(current, key);
  }
  return current;
}

/** `live_trading.horizons[2]`, `live_trading.blending.temperature.5m`. */
export function dottedKey(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** A problem message for an unknown key at `parentPath`, with the hint listing what is allowed. */
export function unknownKeyProblem(root: z.ZodType, parentPath: readonly PathKey[], key: string): { problem: string; hint?: string } {
  const parent = schemaAt(root, parentPath);
  if (parent && keyedByHorizon(parent)) return { problem: `unknown horizon '${key}'; expected one of ${HORIZONS.join(', ')}` };
  const known = parent ? allowedKeys(parent) : null;
  return { problem: `unknown key '${key}'`, hint: known ? `known keys here: ${known.join(', ')}` : undefined };
}

export interface IssueSource {
  /** Path (without the file's own prefix) that an environment variable set. */
  path: readonly PathKey[];
  name: string;
}

/**
 * One ConfigError per problem, in the order of the schema's keys (which is the order of the
 * shipped file); `sources` tags values that came from environment variables.
 */
export function issuesToErrors(file: string, root: z.ZodType, issues: readonly Issue[], sources: readonly IssueSource[] = []): ConfigError[] {
  const located: Array<{ path: PathKey[]; error: ConfigError }> = [];
  for (const issue of flattenUnions(issues)) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const { problem, hint } = unknownKeyProblem(root, issue.path, key);
        const path = [...issue.path, key];
        located.push({ path, error: new ConfigError(file, dottedKey(path), problem, hint) });
      }
      continue;
    }
    const source = sources.find((s) => startsWith(issue.path, s.path));
    const suffix = source ? ` (set by environment variable ${source.name})` : '';
    located.push({ path: [...issue.path], error: new ConfigError(file, dottedKey(issue.path), problemOf(issue) + suffix) });
  }
  const rank = (path: PathKey[]) => schemaOrder(root, path);
  return located
    .map((entry, index) => ({ ...entry, index, rank: rank(entry.path) }))
    .sort((a, b) => compareRanks(a.rank, b.rank) || a.index - b.index)
    .map((entry) => entry.error);
}

// Position of each path segment among its siblings in the schema; unknown keys sort last.
function schemaOrder(root: z.ZodType, path: readonly PathKey[]): number[] {
  const ranks: number[] = [];
  let schema: z.ZodType | undefined = root;
  for (const key of path) {
    const keys = schema ? allowedKeys(schema) : null;
    const position = typeof key === 'number' ? key : (keys?.indexOf(String(key)) ?? -1);
    ranks.push(position < 0 ? Number.MAX_SAFE_INTEGER : position);
    schema = schema ? childSchema(schema, key) : undefined;
  }
  return ranks;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  }
  return a.length - b.length;
}

function problemOf(issue: Issue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      const received = (issue as { received?: string }).received ?? describeValue(input);
      const expected = issue.expected === 'int' ? 'an integer' : issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : issue.expected;
      return `expected ${expected}, got ${issue.expected === 'int' ? `number ${String(input)}` : received}`;
    }
    case 'too_small':
    case 'too_big': {
      if (!/^Too (small|big)/.test(issue.message)) return issue.message;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'string') return issue.code === 'too_small' && bound === 1 ? 'must not be empty' : `length must be ${op} ${String(bound)}`;
      if (issue.origin === 'array') return `must have ${op} ${String(bound)} items`;
      return `must be ${op} ${String(bound)}, got ${String(input)}`;
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const what = sameSet(values, HORIZONS) ? 'horizon' : 'value';
      return `unknown ${what} '${String(input)}'; expected one of ${values.join(', ')}`;
    }
    case 'invalid_format':
      return `${issue.message}, got '${String(input)}'`;
    case 'custom': {
      const repeated = Array.isArray(input) ? input.filter((v, i) => input.indexOf(v) !== i) : [];
      return repeated.length > 0 ? `${issue.message} (repeated: ${[...new Set(repeated)].join(', ')})` : issue.message;
    }
    case 'invalid_union':
      return `expected one of the allowed shapes, got ${describeValue(input)}`;
    default:
      return issue.message;
  }
}

/**
 * A union's issue lists every branch's failure; report the branch that got furthest into the
 * value (e.g. for `sectors: {tech: [A, 3]}` the map branch, at `sectors.tech[1]`).
 */
function flattenUnions(issues: readonly Issue[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      out.push(issue);
      continue;
    }
    const depth = (branch: readonly Issue[]) => Math.max(...branch.map((i) => i.path.length));
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (depth(best) === 0) {
      out.push(issue);
      continue;
    }
    out.push(...flattenUnions(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue)));
  }
  return out;
}

function startsWith(path: readonly PathKey[], prefix: readonly PathKey[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => path[i] === k);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
