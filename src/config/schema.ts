/**
 * The configuration schema: the single source of config types and defaults (SPEC section 2).
 * `config/live_trading.yaml` must hold exactly these defaults (a test keeps them identical).
 * Objects are strict: an unknown key is an error, never silently ignored.
 */
import { z } from 'zod';
import { HORIZONS } from '../core/horizons.ts';

const horizon = z.enum(HORIZONS, { error: (issue) => `unknown horizon ${JSON.stringify(issue.input)}; expected one of ${HORIZONS.join(', ')}` });
const nonNegative = z.number().finite().nonnegative();
const positive = z.number().finite().positive();
const probability = z.number().finite().min(0).max(1);
const percent = z.number().finite().positive().max(100);
const count = (min: number) => z.number().int().min(min);

/** Apply inner defaults even when the whole section is missing (zod 4: prefault, not default). */
function section<T extends z.ZodRawShape>(shape: T) {
  // Every field has a default, so {} is valid input; TypeScript cannot see that for a generic shape.
  return z.strictObject(shape).prefault({} as z.input<z.ZodObject<T, z.core.$strict>>);
}

export const TemperatureSchema = z
  .partialRecord(horizon, positive)
  .default({ '5m': 0.75, '10m': 0.85, '15m': 0.9, '30m': 1.0, '60m': 1.0, '1d': 1.0 });

export const LiveTradingSchema = z
  .strictObject({
    horizons: z
      .array(horizon)
      .min(1, 'at least one horizon is required')
      .refine((list) => new Set(list).size === list.length, 'horizons must not repeat')
      .default(['5m', '10m', '15m', '30m', '60m', '1d']),
    blending: section({
      ridge_lambda: nonNegative.default(0.15),
      window: count(2).default(50),
      temperature: TemperatureSchema,
    }),
    standardization: section({
      window: count(2).default(100),
      min_samples: count(1).default(20),
    }).refine((s) => s.min_samples <= s.window, { message: 'min_samples must be <= window', path: ['min_samples'] }),
    confidence: section({
      ic_window: count(5).default(50),
      ic_prior_weight: nonNegative.default(20),
      ic_default: z.number().finite().min(-1).max(1).default(0.02),
      capacity_kappa: positive.default(0.1),
    }),
    cost_model: section({
      k1: nonNegative.default(1.0),
      k2: nonNegative.default(0.15),
      k3: nonNegative.default(1.0),
      impact_bps_at_1pct_adv: nonNegative.default(10.0),
    }),
    arbitration: section({
      entry_threshold_bps: nonNegative.default(2.0),
      reserve_spread_mult: nonNegative.default(0.5),
    }),
    barrier_gate: section({
      enabled: z.boolean().default(true),
      g_min: probability.default(0.2),
      gamma: positive.default(1.0),
      delta: positive.default(0.5),
      peak_threshold: probability.default(0.6),
      valley_threshold: probability.default(0.55),
      exit_threshold: probability.default(0.65),
    }),
    spread_gate: section({
      enabled: z.boolean().default(true),
      max_spread_bps: positive.default(12.0),
      quote_age_max_ms: positive.default(200.0),
      future_tolerance_ms: nonNegative.default(1000),
    }),
    sizing: section({
      z_max: positive.default(3.0),
      max_weight: z.number().finite().positive().max(1).default(0.05),
      gross_target: positive.default(0.5),
      no_trade_band: z.number().finite().min(0).lt(1).default(0.008),
      vol_window: count(2).default(20),
      hold_multiple: positive.default(1.0),
      fractional_shares: z.boolean().default(false),
    }),
    risk: section({
      max_daily_loss_pct: percent.default(2.0),
      max_drawdown_pct: percent.default(10.0),
      max_position_pct: percent.default(20.0),
      max_gross_exposure: positive.default(1.0),
      kill_action: z.enum(['reduce_only', 'flatten', 'block']).default('reduce_only'),
      daily_loss_resets_next_day: z.boolean().default(true),
    }),
    online_learning: section({
      enabled: z.boolean().default(true),
      eta: positive.default(0.1),
      gamma: probability.default(0.05),
      reward_scale_bps: positive.default(50),
      blend_ratio: probability.default(0.3),
      min_samples: count(0).default(100),
      ramp_up_samples: count(1).default(100),
    }),
    paper: section({
      initial_cash: positive.default(100000.0),
      slippage_bps: nonNegative.default(5.0),
      fee_bps: nonNegative.default(1.0),
      allow_short: z.boolean().default(true),
    }),
    models: section({
      verify_checksums: z.boolean().default(true),
      allow_interval_mismatch: z.boolean().default(false),
      targets: z.partialRecord(horizon, z.string().min(1)).default({}),
    }),
    engine: section({
      cycle_interval_seconds: positive.default(60),
      warmup_bars: count(0).default(300),
    }),
    reconciliation: section({
      mode: z.enum(['strict', 'warn', 'sync']).default('strict'),
      qty_tolerance: nonNegative.default(0.01),
      cash_tolerance: nonNegative.default(1.0),
    }),
  })
  .prefault({});

export const ConfigFileSchema = z.strictObject({ live_trading: LiveTradingSchema }).prefault({});

const symbolName = z
  .string()
  .regex(/^[A-Z][A-Z0-9.\-]{0,14}$/, 'symbols are upper-case tickers like SPY or BRK.B');
const symbolList = z.array(symbolName);

export const SymbolsFileSchema = z
  .strictObject({
    universe: symbolList.default(['SPY', 'QQQ', 'IWM', 'DIA']),
    default: symbolList.default(['SPY', 'QQQ', 'AAPL', 'MSFT']),
    sectors: z.union([symbolList, z.record(z.string(), symbolList)]).optional(),
    stocks: symbolList.optional(),
  })
  .prefault({});

export type LiveTradingConfig = z.output<typeof LiveTradingSchema>;
export type SymbolsConfig = z.output<typeof SymbolsFileSchema>;
export type KillAction = LiveTradingConfig['risk']['kill_action'];
export type ReconciliationMode = LiveTradingConfig['reconciliation']['mode'];

export type BlendingParams = LiveTradingConfig['blending'];
export type StandardizationParams = LiveTradingConfig['standardization'];
export type ConfidenceParams = LiveTradingConfig['confidence'];
export type CostModelParams = LiveTradingConfig['cost_model'];
export type ArbitrationParams = LiveTradingConfig['arbitration'];
export type BarrierGateParams = LiveTradingConfig['barrier_gate'];
export type SpreadGateParams = LiveTradingConfig['spread_gate'];
export type SizingParams = LiveTradingConfig['sizing'];
export type RiskParams = LiveTradingConfig['risk'];
export type OnlineLearningParams = LiveTradingConfig['online_learning'];
export type PaperParams = LiveTradingConfig['paper'];

/** Every default, as the schema gives them. */
export function defaultConfig(): LiveTradingConfig {
  return LiveTradingSchema.parse(undefined);
}
