/**
 * Loading a whole training run for the engine (SPEC 6): every model checked (checksum, interval,
 * feature order and names), targets mapped to horizons and roles, SYMBOL_SPECIFIC models scoped
 * to their symbol. Nothing broken is skipped: `loadRun` throws one ModelLoadErrors listing every
 * problem, so the engine never trades with a model silently missing.
 *
 * Slots: a slot is (horizon, family, role). A slot can hold one CROSS_SECTIONAL model (all
 * symbols) and SYMBOL_SPECIFIC models (one symbol each): for a symbol with its own model the
 * SYMBOL_SPECIFIC one is used, the CROSS_SECTIONAL one for every other symbol. The slot's target,
 * icPrior and crossSectional flag come from its CROSS_SECTIONAL model when it has one.
 */
import { ModelLoadError } from '../core/errors.ts';
import { HORIZONS, horizonMinutes } from '../core/horizons.ts';
import type { LiveTradingConfig } from '../config/schema.ts';
import { slotKey, type ModelRole, type ModelSlot } from '../engine/predictor.ts';
import { FEATURE_NAMES, resolveFeatures } from '../features/index.ts';
import { ModelLoadErrors, discoverRun, type ModelArtifact } from './artifacts.ts';
import { checkModel, type ChecksumStatus, type InputMode, type SequenceSpec } from './loadModel.ts';
import type { ModelMeta, ModelView, RunManifest } from './meta.ts';
import type { ModelRuntime } from './runtime.ts';

export interface LoadRunOptions {
  config: Pick<LiveTradingConfig, 'horizons' | 'models' | 'confidence'>;
  /** Data interval in trading minutes (1-minute bars 1; daily bars 390, compared as 1440). */
  barMinutes: number;
  /** Traded symbols; SYMBOL_SPECIFIC models of other symbols are not loaded. Null/absent: all. */
  symbols?: readonly string[] | null;
}

export interface LoadedModel {
  slot: ModelSlot;
  family: string;
  target: string;
  horizon: string;
  role: ModelRole;
  view: ModelView;
  /** SYMBOL_SPECIFIC: the only symbol this model predicts for; CROSS_SECTIONAL: null. */
  symbol: string | null;
  runtime: ModelRuntime;
  /** Feature columns in the order the model takes them ([] for raw_sequence models). */
  featureNames: string[];
  inputMode: InputMode;
  sequence?: SequenceSpec;
  crossSectional: boolean;
  icPrior: number;
  meta: ModelMeta;
  file: string;
}

export interface LoadedRun {
  runRoot: string;
  manifest: RunManifest | null;
  /** Sorted by horizon minutes, family, role, then CROSS_SECTIONAL before symbols by name. */
  models: LoadedModel[];
  slots: ModelSlot[];
  /** Every feature some model needs, in FEATURE_NAMES order. */
  featureNames: string[];
  warnings: string[];
}

/** What validate-run prints for one model directory. */
export interface ModelReport {
  target: string;
  view: ModelView;
  family: string;
  symbol: string | null;
  dir: string;
  modelFile: string | null;
  format: string | null;
  /** Null when the target serves no configured horizon. */
  horizon: string | null;
  role: ModelRole | null;
  nFeatures: number | null;
  inputMode: InputMode | null;
  unknownFeatures: string[];
  checksum: ChecksumStatus | 'unchecked';
  interval: { model: number | null; data: number; ok: boolean };
  /** Loaded for trading (false: broken, unused target, or a symbol not traded). */
  used: boolean;
}

export interface RunInspection extends LoadedRun {
  reports: ModelReport[];
  problems: ModelLoadError[];
}

export interface TargetAssignment {
  horizon: string;
  role: ModelRole;
}

const ROLE_ORDER: Record<ModelRole, number> = { alpha: 0, peak: 1, valley: 2 };
const BARRIER = /^will_(peak|valley)_(.+)$/;

/** Minutes of a target name's `_<n>m|h|d` suffix, else null. */
function suffixMinutes(suffix: string): number | null {
  try {
    return /^\d+[mhd]$/.test(suffix) ? horizonMinutes(suffix) : null;
  } catch {
    return null;
  }
}

/**
 * Horizon and role of each target: models.targets maps a horizon to an alpha target explicitly;
 * otherwise the one target whose name ends in `_<horizon>` (compared in minutes, so `_1h` is
 * 60m); `will_peak_<h>` / `will_valley_<h>` are the barrier roles. Pure.
 */
export function mapTargets(
  targets: readonly string[],
  horizons: readonly string[],
  explicit: Readonly<Partial<Record<string, string>>>,
): { assignments: Map<string, TargetAssignment[]>; problems: string[]; warnings: string[] } {
  const assignments = new Map<string, TargetAssignment[]>();
  const problems: string[] = [];
  const assign = (target: string, a: TargetAssignment): void => void assignments.set(target, [...(assignments.get(target) ?? []), a]);
  const byMinutes = (suffix: string) => horizons.find((h) => horizonMinutes(h) === suffixMinutes(suffix));
  const alphaTargets = targets.filter((t) => !BARRIER.test(t));
  for (const horizon of horizons) {
    const named = explicit[horizon];
    if (named !== undefined) {
      if (targets.includes(named)) assign(named, { horizon, role: 'alpha' });
      else problems.push(`models.targets.${horizon} is '${named}' but the run has no such target (targets: ${targets.join(', ') || 'none'})`);
      continue;
    }
    const matches = alphaTargets.filter((t) => byMinutes(/_([^_]+)$/.exec(t)?.[1] ?? '') === horizon);
    if (matches.length > 1) problems.push(`horizon ${horizon}: several targets match (${matches.join(', ')}); choose one with models.targets.${horizon}`);
    else if (matches.length === 1) assign(matches[0], { horizon, role: 'alpha' });
  }
  for (const target of targets) {
    const barrier = BARRIER.exec(target);
    const horizon = barrier ? byMinutes(barrier[2]) : undefined;
    if (barrier && horizon) assign(target, { horizon, role: barrier[1] as ModelRole });
  }
  const warnings = targets.filter((t) => !assignments.has(t)).map((t) => `target ${t} serves no configured horizon (${horizons.join(', ')}); its models are checked but not used`);
  return { assignments, problems, warnings };
}

/** Daily data is 390 trading minutes in the engine and 1440 in TRAINING's metas: compare as 1440. */
export function normalizeInterval(minutes: number): number {
  return minutes === 390 ? 1440 : minutes;
}

/** Names `resolveFeatures` rejects (it throws UNKNOWN_FEATURE listing them in `input`). */
function unknownFeatures(names: readonly string[]): string[] {
  try {
    resolveFeatures(names);
    return [];
  } catch (error) {
    if (error instanceof ModelLoadError && error.code === 'UNKNOWN_FEATURE' && error.input) return error.input.split(',');
    throw error;
  }
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareModels(a: LoadedModel, b: LoadedModel): number {
  return (
    horizonMinutes(a.horizon) - horizonMinutes(b.horizon) ||
    compareText(a.family, b.family) ||
    ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
    (a.symbol === null ? -1 : 0) - (b.symbol === null ? -1 : 0) ||
    compareText(a.symbol ?? '', b.symbol ?? '')
  );
}

/**
 * Checks every model of a run and loads the usable ones; never throws for model problems (they
 * are in `problems`). The caller owns the runtimes of `models` (close them).
 */
export async function inspectRun(runRoot: string, options: LoadRunOptions): Promise<RunInspection> {
  const { config, symbols } = options;
  if (!Number.isInteger(options.barMinutes) || options.barMinutes <= 0) {
    throw new ModelLoadError('INTERVAL_INVALID', `data interval must be a positive whole number of minutes, got ${options.barMinutes}`, { input: String(options.barMinutes) });
  }
  const run = discoverRun(runRoot);
  const problems = [...run.problems];
  const warnings = [...run.warnings];
  const horizons = HORIZONS.filter((h) => config.horizons.includes(h));
  const targets = [...new Set(run.models.map((m) => m.target))].sort(compareText);
  const mapping = mapTargets(targets, horizons, config.models.targets);
  for (const p of mapping.problems) problems.push(new ModelLoadError('TARGET_MAPPING', p, { input: run.runRoot, hint: 'set models.targets in the config' }));
  warnings.push(...mapping.warnings);

  const dataInterval = normalizeInterval(options.barMinutes);
  const models: LoadedModel[] = [];
  const reports: ModelReport[] = [];
  for (const artifact of run.models) {
    const assignments = mapping.assignments.get(artifact.target) ?? [];
    const report = await inspectModel(artifact, assignments, dataInterval, options, problems, warnings, models);
    reports.push(report);
  }
  // Two models may not answer the same slot for the same symbol scope.
  const seen = new Map<string, LoadedModel>();
  for (const m of models) {
    const scope = `${m.slot.key}|${m.symbol ?? '*'}`;
    const other = seen.get(scope);
    if (other) problems.push(new ModelLoadError('SLOT_CONFLICT', `${m.file} and ${other.file} both serve ${m.slot.key}${m.symbol ? ` for ${m.symbol}` : ''}`, { input: m.file }));
    seen.set(scope, m);
  }
  if (models.length === 0 && problems.length === 0) {
    problems.push(new ModelLoadError('NO_MODELS', `${run.runRoot}: no model serves a configured horizon (horizons: ${horizons.join(', ')}; targets: ${targets.join(', ') || 'none'})`, {
      input: run.runRoot,
      hint: 'map a horizon to a target with models.targets',
    }));
  }
  models.sort(compareModels);
  return { runRoot: run.runRoot, manifest: run.manifest, models, slots: slotsOf(models), featureNames: featureUnion(models), warnings, reports, problems };
}

async function inspectModel(
  artifact: ModelArtifact,
  assignments: TargetAssignment[],
  dataInterval: number,
  options: LoadRunOptions,
  problems: ModelLoadError[],
  warnings: string[],
  models: LoadedModel[],
): Promise<ModelReport> {
  const { meta, modelFile, metaFile } = artifact;
  const report: ModelReport = {
    target: artifact.target, view: artifact.view, family: artifact.family, symbol: artifact.symbol, dir: artifact.dir, modelFile, format: artifact.format,
    horizon: assignments[0]?.horizon ?? null, role: assignments[0]?.role ?? null, nFeatures: null, inputMode: null, unknownFeatures: [],
    checksum: 'unchecked', interval: { model: meta?.interval_minutes ?? null, data: dataInterval, ok: false }, used: false,
  };
  if (!meta || !modelFile) return report; // discovery already reported why
  const check = await checkModel({ metaFile, modelFile, meta }, { verifyChecksums: options.config.models.verify_checksums });
  const before = problems.length;
  problems.push(...check.problems);
  warnings.push(...check.warnings);
  report.checksum = check.checksum;
  report.inputMode = check.inputMode;
  report.nFeatures = check.runtime ? (check.sequence ? check.runtime.nFeatures : check.featureNames.length) : null;

  report.interval.ok = normalizeInterval(meta.interval_minutes) === dataInterval;
  if (!report.interval.ok) {
    const detail = `${metaFile}: trained on ${meta.interval_minutes}-minute bars (interval_minutes ${meta.interval_minutes}) but the data is ${dataInterval}-minute bars`;
    if (options.config.models.allow_interval_mismatch) warnings.push(`${detail} (allowed by models.allow_interval_mismatch)`);
    else problems.push(new ModelLoadError('INTERVAL_MISMATCH', detail, { input: metaFile, hint: 'use data of the training interval, or set models.allow_interval_mismatch: true' }));
  }
  report.unknownFeatures = unknownFeatures(check.featureNames);
  if (report.unknownFeatures.length > 0) {
    problems.push(new ModelLoadError('UNKNOWN_FEATURE', `${metaFile}: unknown feature name(s): ${report.unknownFeatures.join(', ')} (this engine computes: ${FEATURE_NAMES.join(', ')})`, {
      input: report.unknownFeatures.join(','),
      hint: 'the model was trained on features this engine does not compute (SPEC 5)',
    }));
  }
  const runtime = check.runtime;
  const inScope = artifact.symbol === null || !options.symbols || options.symbols.includes(artifact.symbol);
  if (!inScope) warnings.push(`${artifact.dir}: SYMBOL_SPECIFIC model for ${artifact.symbol}, which is not traded; not loaded`);
  if (!runtime || problems.length > before || assignments.length === 0 || !inScope) {
    await runtime?.close();
    return report;
  }
  const icPrior = meta.metrics.mean_IC ?? options.config.confidence.ic_default;
  if (meta.metrics.mean_IC === null) warnings.push(`${metaFile}: metrics.mean_IC is null; IC prior = confidence.ic_default ${options.config.confidence.ic_default}`);
  const crossSectional = meta.cross_sectional_ranking?.enabled === true;
  for (const { horizon, role } of assignments) {
    const slot: ModelSlot = { key: slotKey(horizon, artifact.family, role), horizon, family: artifact.family, role, target: artifact.target, icPrior, crossSectional };
    models.push({
      slot, family: artifact.family, target: artifact.target, horizon, role, view: artifact.view, symbol: artifact.symbol, runtime,
      featureNames: check.featureNames, inputMode: check.inputMode, ...(check.sequence ? { sequence: check.sequence } : {}),
      crossSectional, icPrior, meta, file: modelFile,
    });
  }
  report.used = true;
  return report;
}

/** One slot per key; a CROSS_SECTIONAL model's fields win over SYMBOL_SPECIFIC ones (models are sorted CS first). */
function slotsOf(models: readonly LoadedModel[]): ModelSlot[] {
  const slots = new Map<string, ModelSlot>();
  for (const m of models) if (!slots.has(m.slot.key)) slots.set(m.slot.key, m.slot);
  return [...slots.values()];
}

function featureUnion(models: readonly LoadedModel[]): string[] {
  const needed = new Set(models.flatMap((m) => m.featureNames));
  return FEATURE_NAMES.filter((n) => needed.has(n));
}

/** Loads a run for trading; throws ModelLoadErrors listing every problem (runtimes closed). */
export async function loadRun(runRoot: string, options: LoadRunOptions): Promise<LoadedRun> {
  const inspection = await inspectRun(runRoot, options);
  if (inspection.problems.length > 0) {
    await closeRuntimes(inspection.models);
    throw new ModelLoadErrors(inspection.problems, inspection.runRoot);
  }
  const { runRoot: root, manifest, models, slots, featureNames, warnings } = inspection;
  return { runRoot: root, manifest, models, slots, featureNames, warnings };
}

/** Closes each runtime once (a runtime serving several horizons appears in several models). */
export async function closeRuntimes(models: readonly LoadedModel[]): Promise<void> {
  await Promise.all([...new Set(models.map((m) => m.runtime))].map((r) => r.close()));
}
