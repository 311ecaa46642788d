/**
 * Schemas of the TRAINING -> engine contract files (SPEC 6.1, 6.2): `model_meta.json` and the
 * run's `manifest.json`. Objects are loose (unknown keys pass through): TRAINING may add fields
 * and an engine that rejected them would break on every new training release. Every problem
 * names the file and the field, e.g. `.../model_meta.json: metrics.mean_IC: expected number, got string`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ModelLoadError } from '../core/errors.ts';

export const VIEWS = ['CROSS_SECTIONAL', 'SYMBOL_SPECIFIC'] as const;
export type ModelView = (typeof VIEWS)[number];

const name = z.string().min(1, 'must be a non-empty string');
const positiveInt = z.number().int('must be an integer').positive('must be positive');
// Python's json writes NaN for an undefined metric; readJsonFile turns it into null.
const metric = z.number().nullable();

// Optional fields accept null: Python writes None for an unset field.
export const ModelMetaSchema = z.looseObject({
  family: name,
  target: name,
  /** Sorted feature names (TRAINING's contract); the column order comes from `features` or the file. */
  feature_list: z.array(name),
  n_features: positiveInt,
  metrics: z.looseObject({ mean_IC: metric, mean_RankIC: metric, IC_IR: metric }),
  /** SHA-256 hex of the model file; null = not recorded (a warning, never a silent pass). */
  model_checksum: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 hex digest (64 hex characters) or null')
    .nullable(),
  /** Bar interval of the training data in minutes; 1440 for daily. */
  interval_minutes: positiveInt,
  features: z.array(name).nullish(),
  input_mode: z.enum(['features', 'raw_sequence']).nullish(),
  sequence_length: positiveInt.nullish(),
  /** Bar fields of a raw_sequence model's channels, in input order (open, high, low, close, volume). */
  sequence_channels: z.array(name).nullish(),
  sequence_normalization: z.enum(['returns', 'log_returns', 'minmax', 'none']).nullish(),
  cross_sectional_ranking: z.looseObject({ enabled: z.boolean() }).nullish(),
  symbol: name.nullish(),
  view: z.enum(VIEWS).nullish(),
});
export type ModelMeta = z.output<typeof ModelMetaSchema>;

export const TargetIndexEntrySchema = z.looseObject({
  status: name,
  families_trained: z.array(name),
  view: name,
});

export const RunManifestSchema = z.looseObject({
  run_id: name,
  timestamp: z.union([name, z.number()]),
  target_index: z.record(z.string(), TargetIndexEntrySchema),
});
export type RunManifest = z.output<typeof RunManifestSchema>;

/** JSON type name of a value as a user reads it: string, number, null, array, object... */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// Per-parse error map: the wording users see, with the offending value's type.
const issueMessage: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? 'required field is missing' : `expected ${issue.expected}, got ${typeName(issue.input)}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${JSON.stringify(issue.input)}`;
  }
  return undefined;
};

/** `field.path: problem` lines of a failed parse, e.g. `metrics.mean_IC: expected number, got string`. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '<root>'}: ${issue.message}`);
}

/**
 * Replaces the bare NaN / Infinity / -Infinity tokens Python's json module writes (outside
 * strings) with null, so a run with an undefined metric still parses. Hand-written: 20 lines
 * against a JSON5 dependency that would also accept comments and other non-JSON.
 */
export function pythonJsonToJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    const token = inString ? null : /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (token) {
      out += 'null';
      i += token[1].length - 1;
      continue;
    }
    out += ch;
  }
  return out;
}

/** Parsed JSON of a contract file; ModelLoadError naming the file when missing or malformed. */
export function readJsonFile(file: string, code: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ModelLoadError(code, `${file}: cannot read: ${(cause as Error).message}`, { input: file, cause });
  }
  try {
    return JSON.parse(pythonJsonToJson(text));
  } catch (cause) {
    throw new ModelLoadError(code, `${file}: not valid JSON: ${(cause as Error).message}`, { input: file, cause });
  }
}

/** Validates `value` against `schema`; one ModelLoadError listing every field problem, each prefixed by the file. */
export function parseContract<S extends z.ZodType>(schema: S, value: unknown, file: string, code: string): z.output<S> {
  const result = schema.safeParse(value, { error: issueMessage });
  if (result.success) return result.data;
  const lines = issueLines(result.error).map((line) => `${file}: ${line}`);
  return throwLines(code, lines, file);
}

function throwLines(code: string, lines: string[], file: string): never {
  throw new ModelLoadError(code, lines.join('\n'), { input: file, hint: 'the file must follow the TRAINING contract (SPEC 6.2)' });
}

/** Reads and validates a model_meta.json, including its internal consistency. */
export function readModelMeta(file: string): ModelMeta {
  const meta = parseContract(ModelMetaSchema, readJsonFile(file, 'META_INVALID'), file, 'META_INVALID');
  const problems = metaConsistencyProblems(meta);
  if (problems.length > 0) throwLines('META_INVALID', problems.map((p) => `${file}: ${p}`), file);
  return meta;
}

/** Reads and validates a run's manifest.json. */
export function readManifest(file: string): RunManifest {
  return parseContract(RunManifestSchema, readJsonFile(file, 'MANIFEST_INVALID'), file, 'MANIFEST_INVALID');
}

/** Names listed twice, in first-seen order. */
export function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const n of names) (seen.has(n) ? twice : seen).add(n);
  return [...twice];
}

/** Same names, ignoring order (both lists are free of duplicates when this is called). */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((n) => set.has(n));
}

/** Problems inside one meta: duplicate names, feature_list vs features vs n_features (tabular models). */
export function metaConsistencyProblems(meta: ModelMeta): string[] {
  const problems: string[] = [];
  for (const [field, list] of [['feature_list', meta.feature_list], ['features', meta.features ?? []]] as const) {
    const twice = duplicates(list);
    if (twice.length > 0) problems.push(`${field}: names listed twice: ${twice.join(', ')}`);
  }
  if (meta.input_mode === 'raw_sequence') return problems;
  if (meta.features && !sameNames(meta.features, meta.feature_list)) {
    problems.push(`features (${meta.features.length} names) and feature_list (${meta.feature_list.length} names) differ: ${describeDifference(meta.features, meta.feature_list)}`);
  }
  if (meta.feature_list.length !== meta.n_features) {
    problems.push(`n_features is ${meta.n_features} but feature_list has ${meta.feature_list.length} names`);
  }
  return problems;
}

/** "only in A: x, y; only in B: z" for two name lists. */
export function describeDifference(a: readonly string[], b: readonly string[]): string {
  const onlyA = a.filter((n) => !b.includes(n));
  const onlyB = b.filter((n) => !a.includes(n));
  const parts = [];
  if (onlyA.length > 0) parts.push(`only in the first: ${onlyA.join(', ')}`);
  if (onlyB.length > 0) parts.push(`only in the second: ${onlyB.join(', ')}`);
  return parts.join('; ') || 'same names';
}
