/**
 * Predictors give raw model outputs per (horizon, family) for a batch of symbols. The engine
 * calls `predict` once per cycle with every symbol's inputs (batched inference), then hands each
 * symbol actor its own outputs. A predictor error for one symbol is reported for that symbol
 * only, so one bad symbol never stops the others.
 */
/** Recent bars of one symbol as columns, oldest first (the symbol actor's own window, read-only). */
export interface BarColumns {
  readonly ts: readonly number[];
  readonly open: readonly number[];
  readonly high: readonly number[];
  readonly low: readonly number[];
  readonly close: readonly number[];
  readonly volume: readonly number[];
}

export type ModelRole = 'alpha' | 'peak' | 'valley';

/** One model slot of the engine: what a symbol actor keeps windows for. */
export interface ModelSlot {
  /** `<horizon>|<family>|<role>`, stable and sortable. */
  key: string;
  horizon: string;
  family: string;
  role: ModelRole;
  target: string;
  /** IC prior: model_meta.metrics.mean_IC, else confidence.ic_default. */
  icPrior: number;
  /** Cross-sectional ranking model: the supervisor-side rank signal replaces z. */
  crossSectional: boolean;
}

export function slotKey(horizon: string, family: string, role: ModelRole): string {
  return `${horizon}|${family}|${role}`;
}

export interface PredictorSymbolInput {
  symbol: string;
  bars: BarColumns;
  /** Bars seen in total (the index of the latest bar is barCount - 1). */
  barCount: number;
  /** Feature values by name, null when not ready (real models). */
  features?: Readonly<Record<string, number | null>>;
}

export interface PredictorBatchInput {
  cycle: number;
  ts: number;
  symbols: readonly PredictorSymbolInput[];
}

/** Per symbol: raw output per slot key (null = warming up / not available), or an error. */
export type SymbolPrediction =
  | { ok: true; outputs: Record<string, number | null>; crossSectional?: Record<string, number> }
  | { ok: false; error: string };

export interface Predictor {
  readonly slots: readonly ModelSlot[];
  /** Bars of history a symbol needs before every model can run. */
  readonly lookbackBars: number;
  predict(batch: PredictorBatchInput): Promise<Map<string, SymbolPrediction>>;
  close?(): Promise<void>;
  /** Plain-JSON state to persist in the snapshot document (e.g. per-symbol feature states). */
  toJSON?(): unknown;
}
