/**
 * The per-symbol pipeline stages (SPEC 4.1-4.7), called by the symbol machine one state at a
 * time. Each stage reads the symbol's persistent state and this cycle's work object, calls the
 * pure functions of src/pipeline and records its inputs and outputs in the trace.
 */
import type { LiveTradingConfig } from '../config/schema.ts';
import type { FamilyTrace, HorizonTrace, PipelineTrace, Side } from '../core/types.ts';
import { mid } from '../core/types.ts';
import { spreadGate } from '../pipeline/spreadGate.ts';
import { horizonSigma, sigma5m, sigmaBar } from '../pipeline/volatility.ts';
import { blendAlpha, ridgeWeights, temperatureWeights } from '../pipeline/blend.ts';
import { arbitrate } from '../pipeline/arbitrate.ts';
import { barrierExit, barrierGate } from '../pipeline/barrier.ts';
import { exitRule, sizeTarget, volScaledWeight } from '../pipeline/sizing.ts';
import type { ModelSlot, SymbolPrediction } from './predictor.ts';
import type { SymbolState } from './symbolState.ts';
import { pushBlendRow, recordPendingFamilies } from './symbolState.ts';
import { familyPrediction, type FamilyContext } from './familyPrediction.ts';
import { alignedCorrelation, barrierMean, buildStagePlan, type StagePlan } from './stagePlan.ts';

export interface PositionView {
  shares: number;
  weight: number;
  openedAtMs: number;
  horizon: string;
}

/** What the engine hands a symbol actor for one cycle. */
export interface CycleInput {
  cycle: number;
  ts: number;
  pv: number;
  position: PositionView | null;
  prediction: SymbolPrediction;
  /** Exp3-IX multiplier per horizon (1 when online learning is inactive). */
  bandit: Record<string, number>;
  /** Cross-sectional rank signals by slot key (replace z for ranking models). */
  crossSectional?: Record<string, number>;
  /** ADV in dollars from daily data, when known. */
  adv?: number | null;
}

export interface SymbolProposal {
  symbol: string;
  cycle: number;
  ts: number;
  targetWeight: number;
  currentWeight: number;
  /** The proposal closes the position (never banded). */
  isExit: boolean;
  /** Entry horizon (for an entry) or the position's horizon. */
  horizon: string | null;
  alpha: number | null;
  /** `entry_long`, `entry_short`, `hold`, `no_edge`, `exit_<rule>`, a gate or fault reason. */
  reason: string;
  /** Blocked by a gate (BLOCKED decision unless it is an exit). */
  blocked: boolean;
  /** A usable quote exists: orders may be priced. No order is ever sent without one. */
  priceOk: boolean;
  price: number | null;
  trace: PipelineTrace;
}

export interface StageParams {
  config: LiveTradingConfig;
  slots: readonly ModelSlot[];
  barMinutes: number;
  /** Derived from slots and config on first use (see stagePlan.ts); callers leave it unset. */
  plan?: StagePlan;
}

function planOf(params: StageParams): StagePlan {
  const plan = params.plan;
  if (plan && plan.slots === params.slots && plan.config === params.config) return plan;
  return (params.plan = buildStagePlan(params.slots, params.config));
}

/** Scratch for one cycle: lives in context only between clock.cycle and the proposal. */
export interface SymbolWork {
  input: CycleInput;
  trace: PipelineTrace;
  sigmaBar: number | null;
  sigma5m: number | null;
  gateReason: string | null;
  horizons: HorizonTrace[];
  best: { horizon: string; alpha: number; score: number; direction: 1 | -1 } | null;
  edge: boolean;
  barrier: { allowed: boolean; gate: number; reason: string; pPeak: number | null; pValley: number | null } | null;
  proposal: SymbolProposal | null;
}

export function startWork(state: SymbolState, input: CycleInput, params: StageParams): SymbolWork {
  const trace: PipelineTrace = {
    symbol: state.symbol,
    cycle: input.cycle,
    ts: input.ts,
    stage: 'gatingSpread',
    volatility: { sigmaBar: null, barMinutes: params.barMinutes, sigma5m: null, returns: Math.max(0, state.bars.close.length - 1) },
    spreadGate: { bid: null, ask: null, spreadBps: null, quoteAgeMs: null, passed: false, reason: 'not_run' },
    horizons: [],
    arbitration: null,
    barrier: null,
    sizing: null,
    portfolio: null,
  };
  return { input, trace, sigmaBar: null, sigma5m: null, gateReason: null, horizons: [], best: null, edge: false, barrier: null, proposal: null };
}

/** 4.2 then 4.1: the spread gate runs first; a blocked symbol still runs its exit logic. */
export function gateSpreadStage(state: SymbolState, work: SymbolWork, params: StageParams): 'predicting' | 'sizing' | 'proposed' {
  const gate = spreadGate(state.quote, work.input.ts, params.config.spread_gate);
  work.trace.spreadGate = gate;
  const closes = state.bars.close;
  const sigma = sigmaBar(closes, params.config.sizing.vol_window);
  work.sigmaBar = sigma;
  work.sigma5m = sigma === null ? null : sigma5m(sigma, params.barMinutes);
  work.trace.volatility = { sigmaBar: sigma, barMinutes: params.barMinutes, sigma5m: work.sigma5m, returns: Math.max(0, closes.length - 1) };
  if (!gate.passed) {
    work.gateReason = gate.reason;
    return 'sizing';
  }
  if (sigma === null) {
    work.proposal = holdProposal(state, work, 'insufficient_history');
    return 'proposed';
  }
  return 'predicting';
}

/** 4.3: standardize, confidence and alpha per (horizon, family). Throws on a predictor fault. */
export function predictStage(state: SymbolState, work: SymbolWork, params: StageParams): void {
  const { input } = work;
  if (!input.prediction.ok) throw new Error(input.prediction.error);
  const outputs = input.prediction.outputs;
  const cfg = params.config;
  const bar = state.bars.ts.length > 0 ? state.bars.ts[state.bars.ts.length - 1] : input.ts;
  const ageMs = input.ts - bar;
  const planned = cfg.sizing.max_weight * input.pv;
  const adv = input.adv ?? intradayAdv(state, params.barMinutes);
  const plan = planOf(params);
  // One trace per horizon, in the order the horizons first appear among the alpha slots.
  const horizons: HorizonTrace[] = [];
  const contexts: FamilyContext[] = [];
  for (const h of plan.horizons.values()) {
    const sigmaH = horizonSigma(work.sigmaBar!, h.minutes, params.barMinutes);
    horizons.push({ horizon: h.horizon, sigmaH, families: [], ridgeWeights: {}, blendWeights: {}, temperature: h.temperature, alpha: null, confidence: null, costs: null });
    contexts.push({ ageMs, planned, adv, sigmaH, tauSeconds: h.tauSeconds });
  }
  for (let i = 0; i < params.slots.length; i++) {
    const slot = params.slots[i];
    if (slot.role !== 'alpha') continue;
    const h = plan.horizonOfSlot[i];
    horizons[h].families.push(familyPrediction(state.slots[slot.key], slot, outputs[slot.key], input.crossSectional?.[slot.key], contexts[h], params.config));
  }
  for (const horizon of horizons) recordPendingFamilies(state, horizon.horizon, horizon.families, params.barMinutes);
  work.horizons = horizons;
  work.trace.horizons = horizons;
}

/** 4.4: ridge risk-parity weights over families, temperature, blended alpha per horizon. */
export function blendStage(state: SymbolState, work: SymbolWork, params: StageParams): void {
  const cfg = params.config;
  const plan = planOf(params);
  for (const horizon of work.horizons) {
    const families = sortedByFamily(horizon.families);
    const row: (number | null)[] = [];
    const ok: FamilyTrace[] = [];
    const index: number[] = [];
    const mu: number[] = [];
    const alphas: number[] = [];
    const confidences: number[] = [];
    for (let i = 0; i < families.length; i++) {
      const f = families[i];
      row.push(f.status === 'ok' ? f.z : null);
      if (f.status !== 'ok' || f.alpha === null) continue;
      ok.push(f);
      index.push(i);
      mu.push(Math.max(f.confidence!.icEff, 0));
      alphas.push(f.alpha);
      confidences.push(f.confidence!.confidence);
    }
    pushBlendRow(state, horizon.horizon, row, cfg.blending.window);
    if (ok.length === 0) continue;
    const corr = alignedCorrelation(state.blendHistory[horizon.horizon], index, 10, plan);
    const ridge = ridgeWeights(mu, corr, cfg.blending.ridge_lambda);
    const weights = temperatureWeights(ridge, horizon.temperature);
    const blended = blendAlpha(alphas, confidences, weights);
    for (let i = 0; i < ok.length; i++) {
      horizon.ridgeWeights[ok[i].family] = ridge[i];
      horizon.blendWeights[ok[i].family] = weights[i];
    }
    horizon.alpha = blended.alpha;
    horizon.confidence = blended.confidence;
  }
}

/** Families by name (a stable insertion sort: there are a handful per horizon). */
function sortedByFamily(families: readonly FamilyTrace[]): FamilyTrace[] {
  const sorted = [...families];
  for (let i = 1; i < sorted.length; i++) {
    const f = sorted[i];
    let j = i - 1;
    while (j >= 0 && sorted[j].family > f.family) {
      sorted[j + 1] = sorted[j];
      j--;
    }
    sorted[j + 1] = f;
  }
  return sorted;
}

/** 4.5: cost-aware horizon selection, long and short. */
export function arbitrateStage(state: SymbolState, work: SymbolWork, params: StageParams): void {
  const cfg = params.config;
  const current = work.input.position?.weight ?? 0;
  const candidates = work.horizons
    .filter((h) => h.alpha !== null)
    .map((h) => {
      const wProv = volScaledWeight(h.alpha!, h.sigmaH, cfg.sizing.z_max, cfg.sizing.max_weight);
      return { horizon: h.horizon, alpha: h.alpha!, orderNotional: Math.abs(wProv - current) * work.input.pv };
    });
  const spread = work.trace.spreadGate.spreadBps ?? 0;
  const result = arbitrate(
    { candidates, spreadBps: spread, sigma5m: work.sigma5m ?? 0, adv: work.input.adv ?? intradayAdv(state, params.barMinutes), bandit: work.input.bandit },
    cfg.cost_model,
    cfg.arbitration,
  );
  for (const h of work.horizons) h.costs = result.costs[h.horizon] ?? null;
  work.best = result.best;
  work.edge = result.edge;
  work.trace.arbitration = {
    bestHorizon: result.best?.horizon ?? null,
    bestScore: result.best?.score ?? null,
    threshold: result.threshold,
    direction: result.best ? result.best.direction : 0,
    edge: result.edge,
    reason: result.reason,
  };
}

/** 4.6: barrier probabilities of the selected horizon (else 5m), averaged over families. */
export function barrierStage(state: SymbolState, work: SymbolWork, params: StageParams): void {
  const side: Side | null = work.best ? (work.best.direction > 0 ? 'long' : 'short') : null;
  const probs = barrierProbabilities(work, params, work.best?.horizon ?? null);
  if (!work.edge || side === null) {
    work.barrier = { allowed: false, gate: 0, reason: 'no_edge', ...probs };
  } else {
    work.barrier = { ...barrierGate({ side, ...probs }, params.config.barrier_gate), ...probs };
  }
  work.trace.barrier = { side, pPeak: probs.pPeak, pValley: probs.pValley, allowed: work.barrier.allowed, gate: work.barrier.gate, reason: work.barrier.reason };
}

/** 4.7: vol-scaled target for an entry; otherwise the exit rules for an open position. */
export function sizingStage(state: SymbolState, work: SymbolWork, params: StageParams): void {
  const cfg = params.config;
  const position = work.input.position;
  const current = position?.weight ?? 0;
  if (work.gateReason === null && work.edge && work.best && work.barrier?.allowed) {
    const horizon = work.horizons.find((h) => h.horizon === work.best!.horizon)!;
    const sized = sizeTarget({ alpha: work.best.alpha, sigmaH: horizon.sigmaH, gate: work.barrier.gate }, cfg.sizing, cfg.risk);
    work.trace.sizing = { alpha: work.best.alpha, sigmaH: horizon.sigmaH, wRaw: sized.wRaw, gate: work.barrier.gate, targetWeight: sized.targetWeight, capped: sized.capped, exitReason: null };
    work.proposal = proposal(state, work, {
      targetWeight: sized.targetWeight,
      isExit: false,
      horizon: work.best.horizon,
      reason: sized.targetWeight >= 0 ? 'entry_long' : 'entry_short',
      blocked: false,
    });
    return;
  }
  const side = position ? (position.shares > 0 ? 'long' : 'short') : null;
  const probs = barrierProbabilities(work, params, position?.horizon ?? null);
  const fired = side !== null && barrierExit(side, probs.pPeak, probs.pValley, cfg.barrier_gate);
  const exit = exitRule(
    {
      position: position && position.shares !== 0 ? { weight: position.weight, openedAtMs: position.openedAtMs, horizon: position.horizon } : null,
      nowMs: work.input.ts,
      bestAlpha: work.best?.alpha ?? null,
      barrierExitFired: fired,
    },
    cfg.sizing,
  );
  // An exit needs a price: on a bad or missing quote it waits, BLOCKED by the gate, until one comes.
  const canExit = exit.exit && work.gateReason !== 'bad_quote' && work.gateReason !== 'no_quote';
  const noEntryReason = work.gateReason ?? (work.edge ? work.barrier?.reason ?? 'blocked' : 'no_edge');
  const blocked = work.gateReason !== null || (work.edge && work.barrier !== null && !work.barrier.allowed);
  work.trace.sizing = { alpha: work.best?.alpha ?? null, sigmaH: null, wRaw: 0, gate: work.barrier?.gate ?? 0, targetWeight: canExit ? 0 : current, capped: false, exitReason: exit.exit ? exit.reason : null };
  work.proposal = proposal(state, work, {
    targetWeight: canExit ? 0 : current,
    isExit: canExit,
    horizon: position?.horizon ?? null,
    reason: canExit ? `exit_${exit.reason}` : noEntryReason,
    blocked: blocked && !canExit,
  });
}

function barrierProbabilities(work: SymbolWork, params: StageParams, horizon: string | null): { pPeak: number | null; pValley: number | null } {
  const outputs = work.input.prediction.ok ? work.input.prediction.outputs : {};
  const plan = planOf(params);
  const pick = (role: 'peak' | 'valley') => (horizon !== null ? barrierMean(plan, outputs, role, horizon) : null) ?? barrierMean(plan, outputs, role, '5m');
  return { pPeak: pick('peak'), pValley: pick('valley') };
}

function holdProposal(state: SymbolState, work: SymbolWork, reason: string): SymbolProposal {
  const position = work.input.position;
  return proposal(state, work, { targetWeight: position?.weight ?? 0, isExit: false, horizon: position?.horizon ?? null, reason, blocked: false });
}

function proposal(
  state: SymbolState,
  work: SymbolWork,
  fields: Pick<SymbolProposal, 'targetWeight' | 'isExit' | 'horizon' | 'reason' | 'blocked'>,
): SymbolProposal {
  const quote = state.quote;
  const priceOk = work.trace.spreadGate.reason !== 'bad_quote' && work.trace.spreadGate.reason !== 'no_quote' && quote !== null;
  return {
    symbol: state.symbol,
    cycle: work.input.cycle,
    ts: work.input.ts,
    currentWeight: work.input.position?.weight ?? 0,
    alpha: work.best?.alpha ?? null,
    priceOk,
    price: priceOk && quote ? mid(quote) : null,
    trace: work.trace,
    ...fields,
  };
}

/** A symbol that faulted this cycle proposes nothing new: it keeps its current weight, blocked. */
export function faultProposal(state: SymbolState, input: CycleInput, error: string, params: StageParams): SymbolProposal {
  const work = startWork(state, input, params);
  work.trace.stage = 'faulted';
  const p = holdProposal(state, work, 'faulted');
  return { ...p, blocked: true, priceOk: false, price: null, reason: `faulted: ${error}` };
}

/** ADV from the symbol's own bars scaled to a day: mean(close*volume) over 20 bars * bars per day. */
export function intradayAdv(state: SymbolState, barMinutes: number): number | null {
  const { close, volume } = state.bars;
  const n = Math.min(20, close.length);
  if (n === 0) return null;
  let sum = 0;
  for (let i = close.length - n; i < close.length; i++) sum += close[i] * volume[i];
  const perBar = sum / n;
  return barMinutes >= 390 ? perBar : perBar * (390 / barMinutes);
}
