import { z } from 'zod';

/** A bar; `ts` is the bar END in UTC epoch ms. */
export const BarSchema = z.object({
  symbol: z.string().min(1),
  ts: z.number().int(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
});
export type Bar = z.infer<typeof BarSchema>;

export const QuoteSchema = z.object({
  symbol: z.string().min(1),
  ts: z.number().int(),
  bid: z.number(),
  ask: z.number(),
  bidSize: z.number(),
  askSize: z.number(),
});
export type Quote = z.infer<typeof QuoteSchema>;

export type Side = 'long' | 'short';
export type Direction = 1 | -1;
export type DecisionAction = 'TRADE' | 'HOLD' | 'BLOCKED';

/** Confidence and its four factors (SPEC 4.3). */
export interface ConfidenceTrace {
  confidence: number;
  icEff: number;
  icLive: number | null;
  icPrior: number;
  icPairs: number;
  freshness: number;
  capacity: number;
  stability: number;
}

export type PredictionStatus = 'ok' | 'warming_up' | 'error';

export interface FamilyTrace {
  family: string;
  status: PredictionStatus;
  raw: number | null;
  z: number | null;
  confidence: ConfidenceTrace | null;
  score: number | null;
  alpha: number | null;
  error?: string;
}

export interface CostTrace {
  spreadCost: number;
  timingCost: number;
  impactCost: number;
  totalCost: number;
  netBps: number;
  score: number;
}

export interface HorizonTrace {
  horizon: string;
  sigmaH: number;
  families: FamilyTrace[];
  /** Ridge weights before and after temperature, by family. */
  ridgeWeights: Record<string, number>;
  blendWeights: Record<string, number>;
  temperature: number;
  alpha: number | null;
  confidence: number | null;
  costs: CostTrace | null;
}

export interface SpreadGateTrace {
  bid: number | null;
  ask: number | null;
  spreadBps: number | null;
  quoteAgeMs: number | null;
  passed: boolean;
  reason: string;
}

export interface ArbitrationTrace {
  bestHorizon: string | null;
  bestScore: number | null;
  threshold: number;
  direction: Direction | 0;
  edge: boolean;
  reason: string;
}

export interface BarrierTrace {
  side: Side | null;
  pPeak: number | null;
  pValley: number | null;
  allowed: boolean;
  gate: number;
  reason: string;
}

export interface SizingTrace {
  alpha: number | null;
  sigmaH: number | null;
  wRaw: number;
  gate: number;
  targetWeight: number;
  capped: boolean;
  exitReason: string | null;
}

export interface PortfolioTrace {
  currentWeight: number;
  proposedWeight: number;
  normalizedWeight: number;
  grossFactor: number;
  banded: boolean;
  riskAdjustedWeight: number;
  riskReason: string | null;
  shares: number;
  price: number | null;
}

/** Inputs and outputs of every stage of one symbol's decision. */
export interface PipelineTrace {
  symbol: string;
  cycle: number;
  ts: number;
  stage: string;
  volatility: { sigmaBar: number | null; barMinutes: number; sigma5m: number | null; returns: number };
  spreadGate: SpreadGateTrace;
  horizons: HorizonTrace[];
  arbitration: ArbitrationTrace | null;
  barrier: BarrierTrace | null;
  sizing: SizingTrace | null;
  portfolio: PortfolioTrace | null;
}

export interface TradeDecision {
  symbol: string;
  cycle: number;
  ts: number;
  action: DecisionAction;
  /** Signed shares to trade: + buy, - sell; 0 unless TRADE. */
  shares: number;
  reason: string;
  horizon: string | null;
  targetWeight: number;
  currentWeight: number;
  alpha: number | null;
  trace: PipelineTrace;
}

export interface CycleResult {
  cycle: number;
  ts: number;
  portfolioValue: number;
  cash: number;
  trades: number;
  holds: number;
  blocked: number;
  decisions: TradeDecision[];
  tradingState: 'active' | 'reducing' | 'halted';
}

/** Finite and > 0. */
export function isPositivePrice(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

export function mid(quote: Pick<Quote, 'bid' | 'ask'>): number {
  return (quote.bid + quote.ask) / 2;
}

/** spread_bps = (ask - bid) / mid * 1e4 */
export function spreadBps(quote: Pick<Quote, 'bid' | 'ask'>): number {
  return ((quote.ask - quote.bid) / mid(quote)) * 1e4;
}
