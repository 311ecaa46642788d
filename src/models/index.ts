/** Model artifacts (SPEC 6): run discovery, meta schemas, checksum and input checks, loading. */
export {
  MANIFEST_FILE,
  META_FILE,
  MODEL_FILES,
  ModelLoadErrors,
  discoverRun,
  findModelFile,
  resolveRunRoot,
  sha256File,
  type ModelArtifact,
  type RunArtifacts,
  type RunLocation,
} from './artifacts.ts';
export {
  ModelMetaSchema,
  RunManifestSchema,
  VIEWS,
  readManifest,
  readModelMeta,
  type ModelMeta,
  type ModelView,
  type RunManifest,
} from './meta.ts';
export {
  checkModel,
  fileFeatureNames,
  loadModel,
  resolveFeatureOrder,
  resolveSequence,
  type ChecksumStatus,
  type InputMode,
  type LoadedModelDir,
  type ModelCheck,
  type SequenceSpec,
} from './loadModel.ts';
export {
  closeRuntimes,
  inspectRun,
  loadRun,
  mapTargets,
  normalizeInterval,
  type LoadRunOptions,
  type LoadedModel,
  type LoadedRun,
  type ModelReport,
  type RunInspection,
  type TargetAssignment,
} from './run.ts';
export { formatOfFile, openRuntime, type ModelFormat, type ModelRuntime } from './runtime.ts';
