/**
 * The public library API of live-trading. Names and signatures here are stable and documented in
 * docs/api.md.
 */
// Configuration
export { loadConfig, resolveSymbols, type LoadedConfig, type LoadConfigOptions } from './config/loader.ts';
export { defaultConfig, LiveTradingSchema, type LiveTradingConfig } from './config/schema.ts';

// Core
export type { Bar, Quote, TradeDecision, PipelineTrace, CycleResult, DecisionAction } from './core/types.ts';
export { LiveTradingError, ConfigError, ConfigErrors, DataError, StaleDataError, ModelLoadError, BrokerError, StateError, UsageError } from './core/errors.ts';
export { SystemClock, VirtualClock, tradingDay, type Clock } from './core/clock.ts';
export { HORIZONS, horizonMinutes, type Horizon } from './core/horizons.ts';

// Pipeline (pure functions)
export { ridgeWeights, temperatureWeights, correlationMatrix, blendAlpha } from './pipeline/blend.ts';
export { scoreHorizon, arbitrate } from './pipeline/arbitrate.ts';
export { barrierGate, barrierG, barrierExit } from './pipeline/barrier.ts';
export { volScaledWeight, sizeTarget, exitRule } from './pipeline/sizing.ts';
export { grossNormalize, grossFactor, noTradeBand, sharesToTrade, constructPortfolio } from './pipeline/portfolio.ts';
export { riskReducer, initialRiskState, riskMetrics, type RiskState } from './pipeline/risk.ts';
export { spreadGate } from './pipeline/spreadGate.ts';
export { standardize } from './pipeline/standardize.ts';
export { confidence, effectiveIC, freshness, capacity, stability, spearman } from './pipeline/confidence.ts';
export { sigmaBar, horizonSigma, simpleReturns } from './pipeline/volatility.ts';

// Features and online learning
export { buildFeatures, FEATURE_NAMES, createFeatureState, pushBar, featureRow, sequenceWindow } from './features/index.ts';
export { Exp3IX, effectiveBlend, banditMultiplier, type Exp3IXState } from './learning/exp3ix.ts';

// Engine, data, brokers
export { TradingEngine, type TradingEngineOptions, type CycleReport } from './engine/TradingEngine.ts';
export { ScriptedPredictor, type PredictionScript } from './engine/scriptedPredictor.ts';
export type { Predictor, ModelSlot, SymbolPrediction } from './engine/predictor.ts';
export { ReplaySource, SimulatedSource, type DataSource, type MarketSlice } from './market/index.ts';
export { PaperBroker } from './brokers/paper.ts';
export type { Broker, OrderRequest, Fill, BrokerOrder, BrokerPosition } from './brokers/types.ts';

// Models
export { openRuntime, type ModelRuntime } from './models/runtime.ts';
export { loadModel, loadRun, resolveRunRoot, discoverRun, ModelMetaSchema, RunManifestSchema } from './models/index.ts';
export { ModelPredictor, rankSignals } from './models/modelPredictor.ts';

// Persistence and control
export { SnapshotStore } from './persistence/snapshotStore.ts';
export { JsonlJournal } from './persistence/journal.ts';
export { appendControlCommand, readControlCommands } from './control/controlFile.ts';
export { reconcile } from './reconcile/reconcile.ts';
