/** Features (SPEC 5) and raw-sequence windows (SPEC 6.3). */
export {
  FEATURE_NAMES,
  MACD_FEATURES,
  featureLookback,
  featureMinBars,
  resolveFeatures,
  type FeatureDefinition,
} from './definitions.ts';
export { buildFeatures } from './batch.ts';
export { createFeatureState, featureRow, pushBar, recentBars, type FeatureRow, type FeatureState } from './state.ts';
export { sequenceWindow, type SequenceNormalization } from './sequence.ts';
