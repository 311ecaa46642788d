/**
 * One model directory (`family=<Family>/`): checksum, runtime, and the input the model expects
 * (feature columns in order, or a raw bar window), checked against its model_meta.json (SPEC 6.2).
 * `checkModel` collects problems for run loading; `loadModel` is the public one-directory entry.
 */
import { join } from 'node:path';
import { ModelLoadError } from '../core/errors.ts';
import { sequenceWindow, type SequenceNormalization } from '../features/sequence.ts';
import { META_FILE, ModelLoadErrors, asError, findModelFile, sha256File } from './artifacts.ts';
import { describeDifference, duplicates, readModelMeta, sameNames, type ModelMeta } from './meta.ts';
import { openRuntime, type ModelFormat, type ModelRuntime } from './runtime.ts';

/** ok: matches; mismatch: differs (refused unless verify_checksums is false); null: meta has none. */
export type ChecksumStatus = 'ok' | 'mismatch' | 'null';
export type InputMode = 'features' | 'raw_sequence';

export interface SequenceSpec {
  length: number;
  /** Bar fields, in the model's channel order. */
  channels: string[];
  normalization: SequenceNormalization;
}

export interface ModelCheck {
  checksum: ChecksumStatus;
  actualChecksum: string;
  /** Null when the model was refused (checksum) or could not be opened. */
  runtime: ModelRuntime | null;
  inputMode: InputMode;
  /** Feature columns in the order the model takes them; [] for raw_sequence models. */
  featureNames: string[];
  sequence: SequenceSpec | null;
  problems: ModelLoadError[];
  warnings: string[];
}

// Names libraries invent when trained without names: they carry no information about the columns.
const GENERIC_NAME = [/^Column_(\d+)$/, /^f(\d+)$/];

/** The model file's own names, or null when it has none or only positional placeholders. */
export function fileFeatureNames(runtime: ModelRuntime): string[] | null {
  const names = runtime.featureNames;
  if (!names || names.length === 0) return null;
  const positional = GENERIC_NAME.some((re) => names.every((n, i) => re.exec(n)?.[1] === String(i)));
  return positional ? null : [...names];
}

/** Feature order (file names, else meta.features, else meta.feature_list) and every disagreement. */
export function resolveFeatureOrder(meta: ModelMeta, runtime: ModelRuntime): { names: string[]; problems: string[] } {
  const problems: string[] = [];
  const fromFile = fileFeatureNames(runtime);
  const names = fromFile ?? meta.features ?? meta.feature_list;
  if (fromFile) {
    const twice = duplicates(fromFile);
    if (twice.length > 0) problems.push(`the model file lists feature names twice: ${twice.join(', ')}`);
    for (const [field, list] of [['features', meta.features], ['feature_list', meta.feature_list]] as const) {
      if (list && !sameNames(fromFile, list)) {
        problems.push(`the model file's ${fromFile.length} feature names differ from ${field} (${list.length} names): ${describeDifference(fromFile, list)} (first: the file)`);
      }
    }
  }
  if (names.length !== runtime.nFeatures) problems.push(`the model takes ${runtime.nFeatures} features but the feature order has ${names.length} names`);
  if (meta.n_features !== runtime.nFeatures) problems.push(`n_features is ${meta.n_features} but the model takes ${runtime.nFeatures} features`);
  return { names: [...names], problems };
}

/** Window spec of a raw_sequence model: meta and file must agree on T and C. */
export function resolveSequence(meta: ModelMeta, runtime: ModelRuntime): { sequence: SequenceSpec | null; problems: string[] } {
  const problems: string[] = [];
  const channels = meta.sequence_channels ?? null;
  if (!channels) problems.push('sequence_channels is required for a raw_sequence model (the bar fields, e.g. ["open","high","low","close","volume"])');
  else {
    try {
      sequenceWindow([], 1, channels, 'none'); // validates the channel names only
    } catch (error) {
      problems.push((error as Error).message);
    }
    if (channels.length !== runtime.nFeatures) problems.push(`sequence_channels has ${channels.length} names but the model takes ${runtime.nFeatures} channels`);
  }
  const fileLength = runtime.sequenceLength;
  const length = meta.sequence_length ?? fileLength;
  if (length == null) problems.push('sequence_length is required: the model file does not fix its window length');
  else if (fileLength !== null && meta.sequence_length != null && fileLength !== meta.sequence_length) {
    problems.push(`sequence_length is ${meta.sequence_length} but the model takes windows of ${fileLength} bars`);
  }
  const normalization = meta.sequence_normalization ?? null;
  if (!normalization) problems.push('sequence_normalization is required for a raw_sequence model (returns, log_returns, minmax or none)');
  // n_features of a sequence model: TRAINING may count channels (C) or window values (T * C).
  if (length != null && meta.n_features !== runtime.nFeatures && meta.n_features !== length * runtime.nFeatures) {
    problems.push(`n_features is ${meta.n_features}; the model takes ${length} x ${runtime.nFeatures} windows`);
  }
  if (problems.length > 0 || !channels || length == null || !normalization) return { sequence: null, problems };
  return { sequence: { length, channels: [...channels], normalization }, problems };
}

/** Checksum, open, input checks of one model; problems collected (each naming the file), never thrown. */
export async function checkModel(
  model: { metaFile: string; modelFile: string; meta: ModelMeta },
  options: { verifyChecksums: boolean },
): Promise<ModelCheck> {
  const { metaFile, modelFile, meta } = model;
  const inputMode: InputMode = meta.input_mode ?? 'features';
  const check: ModelCheck = { checksum: 'ok', actualChecksum: '', runtime: null, inputMode, featureNames: [], sequence: null, problems: [], warnings: [] };
  const fail = (code: string, problem: string, hint?: string): void => void check.problems.push(new ModelLoadError(code, problem, { input: modelFile, hint }));
  try {
    check.actualChecksum = sha256File(modelFile);
  } catch (error) {
    fail('MODEL_UNREADABLE', `${modelFile}: cannot read: ${(error as Error).message}`);
    return check;
  }
  const expected = meta.model_checksum?.toLowerCase() ?? null;
  if (expected === null) {
    check.checksum = 'null';
    check.warnings.push(`${modelFile}: model_checksum is null in ${metaFile}; the file cannot be verified`);
  } else if (expected !== check.actualChecksum) {
    check.checksum = 'mismatch';
    const detail = `${modelFile}: SHA-256 ${check.actualChecksum} does not match model_checksum ${expected} in ${metaFile}`;
    if (options.verifyChecksums) {
      // Never parse a file that is not the one TRAINING wrote.
      fail('CHECKSUM_MISMATCH', detail, 'the file was changed or corrupted after training; copy the run again (models.verify_checksums: false skips this check)');
      return check;
    }
    check.warnings.push(`${detail} (loaded anyway: models.verify_checksums is false)`);
  }
  try {
    check.runtime = await openRuntime(modelFile);
  } catch (error) {
    check.problems.push(asError(error, modelFile));
    return check;
  }
  const runtime = check.runtime;
  const isSequence = runtime.inputKind === 'sequence';
  if (isSequence !== (inputMode === 'raw_sequence')) {
    const takes = isSequence ? 'raw bar windows [N, T, C]' : 'feature rows [N, F]';
    fail('INPUT_MODE_MISMATCH', `${metaFile}: input_mode is '${inputMode}' but ${modelFile} takes ${takes}`);
    return check;
  }
  const resolved = isSequence ? resolveSequence(meta, runtime) : resolveFeatureOrder(meta, runtime);
  if ('names' in resolved) check.featureNames = resolved.names;
  else check.sequence = resolved.sequence;
  for (const problem of resolved.problems) fail('FEATURE_MISMATCH', `${metaFile}: ${problem} (${modelFile})`);
  return check;
}

export interface LoadedModelDir {
  /** One output per row, in the order of `featureNames`. */
  predict(rows: readonly (readonly number[])[] | Float64Array): Promise<Float64Array>;
  featureNames: string[];
  meta: ModelMeta;
  format: ModelFormat;
  file: string;
  inputMode: InputMode;
  sequence: SequenceSpec | null;
  checksum: ChecksumStatus;
  warnings: string[];
  runtime: ModelRuntime;
  close(): Promise<void>;
}

/**
 * Loads one `family=<Family>` directory: model_meta.json, the one model file, checksum verified
 * (set verifyChecksum false to load a mismatching file, e.g. for forensics). Throws
 * ModelLoadErrors listing every problem.
 */
export async function loadModel(modelDir: string, options: { verifyChecksum?: boolean } = {}): Promise<LoadedModelDir> {
  const metaFile = join(modelDir, META_FILE);
  const problems: ModelLoadError[] = [];
  let modelFile: string | null = null;
  let meta: ModelMeta | null = null;
  try {
    modelFile = findModelFile(modelDir).file;
  } catch (error) {
    problems.push(asError(error, modelDir));
  }
  try {
    meta = readModelMeta(metaFile);
  } catch (error) {
    problems.push(asError(error, metaFile));
  }
  if (!modelFile || !meta) throw new ModelLoadErrors(problems, modelDir);
  const check = await checkModel({ metaFile, modelFile, meta }, { verifyChecksums: options.verifyChecksum ?? true });
  if (check.problems.length > 0 || !check.runtime) {
    await check.runtime?.close();
    throw new ModelLoadErrors(check.problems, modelDir);
  }
  const runtime = check.runtime;
  return {
    predict: (rows) => runtime.predict(rows),
    featureNames: check.featureNames,
    meta,
    format: runtime.format,
    file: modelFile,
    inputMode: check.inputMode,
    sequence: check.sequence,
    checksum: check.checksum,
    warnings: check.warnings,
    runtime,
    close: () => runtime.close(),
  };
}
