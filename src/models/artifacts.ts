/**
 * Training-run discovery (SPEC 6.1): which run root, and which model directories it holds.
 *
 * Layout: `<results_root>/runs/<run_id>/<timestamp>/{manifest.json, targets/<target>/models/
 * view=<VIEW>/family=<Family>/{model_meta.json, model file}}`. SYMBOL_SPECIFIC models may also
 * sit one level deeper, under `view=SYMBOL_SPECIFIC/symbol=<SYM>/family=<Family>/`, so a run
 * can hold one per symbol. Discovery never stops at the first broken directory: it collects
 * every problem so the user fixes a run in one pass.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ModelLoadError, UsageError } from '../core/errors.ts';
import { formatOfFile, type ModelFormat } from './runtime.ts';
import { VIEWS, readManifest, readModelMeta, type ModelMeta, type ModelView, type RunManifest } from './meta.ts';

export const META_FILE = 'model_meta.json';
export const MANIFEST_FILE = 'manifest.json';
/** The model files the engine loads (SPEC 6.3), by exact name. */
export const MODEL_FILES = ['model.onnx', 'model.txt', 'model.json'] as const;
// Formats that are refused by name (pickle can run code on load); openRuntime's refusal explains why.
const REFUSED_EXTENSION = /\.(pkl|pickle|joblib|h5|keras|pt|pth|cbm)$/i;

export interface RunLocation {
  runId?: string;
  runRoot?: string;
  /** Default: env LT_RESULTS_ROOT, else `<cwd>/results`. */
  resultsRoot?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

export interface ModelArtifact {
  target: string;
  view: ModelView;
  /** Family as the directory names it (`family=<Family>`). */
  family: string;
  /** SYMBOL_SPECIFIC: the symbol it is scoped to (directory `symbol=` or meta.symbol); else null. */
  symbol: string | null;
  dir: string;
  metaFile: string;
  /** Null when the directory has no loadable model file (a problem says why). */
  modelFile: string | null;
  format: ModelFormat | null;
  /** Null when model_meta.json is missing or invalid (a problem says why). */
  meta: ModelMeta | null;
}

export interface RunArtifacts {
  runRoot: string;
  manifestFile: string;
  manifest: RunManifest | null;
  /** Sorted by target, view, symbol, family. */
  models: ModelArtifact[];
  problems: ModelLoadError[];
  warnings: string[];
}

/** Subdirectory names of `dir`, sorted; hidden entries skipped. */
function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/** The run root to load: `--run-root` as given, or the newest `<timestamp>` (by name) of `--run-id`. */
export function resolveRunRoot(location: RunLocation): string {
  const { runId, runRoot } = location;
  if ((runId === undefined) === (runRoot === undefined)) {
    throw new UsageError('RUN_ARGS', runId ? 'give either --run-id or --run-root, not both' : 'no training run given', {
      hint: '--run-id <id> (newest timestamp under <results_root>/runs/<id>) or --run-root <path to one run>',
    });
  }
  const cwd = location.cwd ?? process.cwd();
  if (runRoot !== undefined) return checkRunRoot(resolve(cwd, runRoot));
  if (!/^[A-Za-z0-9._=-]+$/.test(runId as string) || runId === '.' || runId === '..') {
    throw new UsageError('RUN_ARGS', `--run-id '${runId}' is not a run id`, { hint: 'a run id is one directory name, no path separators' });
  }
  const env = location.env ?? process.env;
  const resultsRoot = resolve(cwd, location.resultsRoot ?? env.LT_RESULTS_ROOT ?? 'results');
  const runsDir = join(resultsRoot, 'runs');
  const runDir = join(runsDir, runId as string);
  if (!isDir(runDir)) {
    const known = isDir(runsDir) ? subdirs(runsDir) : [];
    throw new ModelLoadError('RUN_NOT_FOUND', `run '${runId}' not found: ${runDir} does not exist`, {
      input: runDir,
      hint: known.length > 0
        ? `runs under ${runsDir}: ${known.slice(-10).join(', ')}`
        : `no runs under ${runsDir}; set LT_RESULTS_ROOT to the TRAINING results root or use --run-root`,
    });
  }
  const stamps = subdirs(runDir);
  if (stamps.length === 0) {
    throw new ModelLoadError('RUN_NOT_FOUND', `run '${runId}' has no <timestamp> directory under ${runDir}`, {
      input: runDir,
      hint: 'TRAINING writes <results_root>/runs/<run_id>/<timestamp>/; is the run still being written?',
    });
  }
  return checkRunRoot(join(runDir, stamps[stamps.length - 1]));
}

/** A run root must exist and look like one (manifest.json or targets/). */
function checkRunRoot(root: string): string {
  if (!isDir(root)) {
    throw new ModelLoadError('RUN_NOT_FOUND', `run root ${root} does not exist or is not a directory`, { input: root });
  }
  if (!existsSync(join(root, MANIFEST_FILE)) && !isDir(join(root, 'targets'))) {
    const inner = subdirs(root);
    throw new ModelLoadError('RUN_NOT_FOUND', `${root} is not a run root: it has neither ${MANIFEST_FILE} nor targets/`, {
      input: root,
      hint: inner.length > 0
        ? `if this is <results_root>/runs/<run_id>, pass one of its timestamp directories (newest: ${inner[inner.length - 1]}) or use --run-id`
        : 'a run root is <results_root>/runs/<run_id>/<timestamp>/',
    });
  }
  return root;
}

/** SHA-256 hex of a file's bytes. */
export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * The one model file of a family directory: exactly one of model.onnx / model.txt / model.json.
 * Refused formats (pickle, joblib, h5, pt, cbm) are errors when nothing loadable is present,
 * else ignored with a warning (TRAINING may keep its native file next to the ONNX export).
 */
export function findModelFile(dir: string): { file: string; format: ModelFormat; ignored: string[] } {
  const files = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name).sort();
  const loadable = files.filter((f) => (MODEL_FILES as readonly string[]).includes(f));
  const refused = files.filter((f) => REFUSED_EXTENSION.test(f));
  if (loadable.length > 1) {
    throw new ModelLoadError('MODEL_FILE_AMBIGUOUS', `${dir}: several model files (${loadable.join(', ')}); expected exactly one`, {
      input: dir,
      hint: 'keep the one model_meta.json.model_checksum describes',
    });
  }
  if (loadable.length === 0) {
    // Throws the runtime's refusal naming the file and asking for an ONNX export.
    for (const f of refused) formatOfFile(join(dir, f));
    const other = files.find((f) => /^model\./.test(f) && f !== META_FILE);
    if (other) formatOfFile(join(dir, other));
    throw new ModelLoadError('MODEL_FILE_MISSING', `${dir}: no model file (expected one of ${MODEL_FILES.join(', ')})`, { input: dir });
  }
  const file = join(dir, loadable[0]);
  return { file, format: formatOfFile(file), ignored: refused };
}

/**
 * Every problem found loading a run or a model, one ModelLoadError: the message lists each
 * problem on its own line, each naming its file, so nothing is fixed one error at a time.
 */
export class ModelLoadErrors extends ModelLoadError {
  readonly problems: readonly ModelLoadError[];
  constructor(problems: readonly ModelLoadError[], where: string) {
    const lines = problems.flatMap((p) => p.message.split('\n'));
    super('MODELS_INVALID', `${lines.length} problem${lines.length === 1 ? '' : 's'} loading ${where}:\n${lines.map((l) => `- ${l}`).join('\n')}`, {
      input: where,
      hint: 'fix the files named above or re-export the run; `live-trading validate-run` lists every check',
    });
    this.problems = problems;
  }

  /** One line per problem (a problem with several field errors gives several lines). */
  lines(): string[] {
    return this.problems.flatMap((p) => p.message.split('\n'));
  }
}

export const asError = (error: unknown, file: string): ModelLoadError =>
  error instanceof ModelLoadError ? error : new ModelLoadError('MODEL_LOAD', `${file}: ${(error as Error).message}`, { input: file, cause: error });

/** Every model directory of a run, with its parsed meta; problems and warnings collected, not thrown. */
export function discoverRun(runRoot: string): RunArtifacts {
  const root = checkRunRoot(resolve(runRoot));
  const manifestFile = join(root, MANIFEST_FILE);
  const run: RunArtifacts = { runRoot: root, manifestFile, manifest: null, models: [], problems: [], warnings: [] };
  try {
    run.manifest = readManifest(manifestFile);
  } catch (error) {
    run.problems.push(asError(error, manifestFile));
  }
  const targetsDir = join(root, 'targets');
  if (!isDir(targetsDir)) {
    run.problems.push(new ModelLoadError('NO_TARGETS', `${targetsDir}: missing; the run has no models`, { input: targetsDir }));
    return run;
  }
  for (const target of subdirs(targetsDir)) {
    const modelsDir = join(targetsDir, target, 'models');
    if (!isDir(modelsDir)) {
      run.warnings.push(`${modelsDir}: missing; target ${target} has no models`);
      continue;
    }
    for (const entry of subdirs(modelsDir)) discoverView(run, target, modelsDir, entry);
  }
  crossCheckManifest(run);
  return run;
}

function discoverView(run: RunArtifacts, target: string, modelsDir: string, entry: string): void {
  const viewDir = join(modelsDir, entry);
  const view = /^view=(.+)$/.exec(entry)?.[1];
  if (view === undefined) {
    run.warnings.push(`${viewDir}: ignored (not a view=<VIEW> directory)`);
    return;
  }
  if (!(VIEWS as readonly string[]).includes(view)) {
    run.problems.push(new ModelLoadError('VIEW_UNKNOWN', `${viewDir}: unknown view '${view}'; expected ${VIEWS.join(' or ')}`, { input: viewDir }));
    return;
  }
  for (const sub of subdirs(viewDir)) {
    const symbol = /^symbol=(.+)$/.exec(sub)?.[1];
    if (symbol !== undefined && view === 'SYMBOL_SPECIFIC') {
      for (const fam of subdirs(join(viewDir, sub))) discoverFamily(run, target, view, symbol, join(viewDir, sub), fam);
    } else {
      discoverFamily(run, target, view as ModelView, null, viewDir, sub);
    }
  }
}

function discoverFamily(run: RunArtifacts, target: string, view: ModelView, dirSymbol: string | null, parent: string, entry: string): void {
  const dir = join(parent, entry);
  const family = /^family=(.+)$/.exec(entry)?.[1];
  if (family === undefined) {
    run.warnings.push(`${dir}: ignored (not a family=<Family> directory)`);
    return;
  }
  const metaFile = join(dir, META_FILE);
  const artifact: ModelArtifact = { target, view, family, symbol: dirSymbol, dir, metaFile, modelFile: null, format: null, meta: null };
  run.models.push(artifact);
  try {
    const found = findModelFile(dir);
    artifact.modelFile = found.file;
    artifact.format = found.format;
    for (const f of found.ignored) run.warnings.push(`${join(dir, f)}: ignored (never loaded); the engine uses ${basename(found.file)}`);
  } catch (error) {
    run.problems.push(asError(error, dir));
  }
  try {
    artifact.meta = readModelMeta(metaFile);
  } catch (error) {
    run.problems.push(asError(error, metaFile));
    return;
  }
  for (const problem of layoutProblems(artifact, artifact.meta)) {
    run.problems.push(new ModelLoadError('META_LAYOUT_MISMATCH', `${metaFile}: ${problem}`, { input: metaFile }));
  }
  if (view === 'SYMBOL_SPECIFIC') artifact.symbol = dirSymbol ?? artifact.meta.symbol ?? null;
}

/** Meta fields that contradict the directory the file sits in. */
function layoutProblems(a: ModelArtifact, meta: ModelMeta): string[] {
  const problems: string[] = [];
  // Family case differs between TRAINING's directory names and metas (LightGBM vs lightgbm).
  if (meta.family.toLowerCase() !== a.family.toLowerCase()) problems.push(`family is '${meta.family}' but the directory is family=${a.family}`);
  if (meta.target !== a.target) problems.push(`target is '${meta.target}' but the directory is targets/${a.target}`);
  if (meta.view != null && meta.view !== a.view) problems.push(`view is '${meta.view}' but the directory is view=${a.view}`);
  if (a.view === 'SYMBOL_SPECIFIC') {
    if (a.symbol !== null && meta.symbol != null && meta.symbol !== a.symbol) {
      problems.push(`symbol is '${meta.symbol}' but the directory is symbol=${a.symbol}`);
    }
    if (a.symbol === null && meta.symbol == null) problems.push('a SYMBOL_SPECIFIC model needs symbol (which symbol it was trained for)');
  }
  return problems;
}

/** Families the manifest says were trained must exist; model directories it does not list are warned about. */
function crossCheckManifest(run: RunArtifacts): void {
  if (!run.manifest) return;
  const index = run.manifest.target_index;
  for (const [target, entry] of Object.entries(index).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const family of entry.families_trained) {
      const found = run.models.some((m) => m.target === target && m.view === entry.view && m.family.toLowerCase() === family.toLowerCase());
      if (!found) {
        const dir = join(run.runRoot, 'targets', target, 'models', `view=${entry.view}`, `family=${family}`);
        run.problems.push(new ModelLoadError('MODEL_MISSING', `${run.manifestFile}: target_index.${target} lists family ${family} (view ${entry.view}) but ${dir} does not exist`, {
          input: dir,
          hint: 'the run is incomplete: copy the whole run directory',
        }));
      }
    }
  }
  for (const target of new Set(run.models.map((m) => m.target))) {
    if (!(target in index)) run.warnings.push(`${run.manifestFile}: target ${target} has models but is not in target_index`);
  }
}
