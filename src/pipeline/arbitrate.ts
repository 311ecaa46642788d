/**
 * Cost-aware horizon arbitration (SPEC 4.5): each horizon's blended alpha, in bps, minus the
 * costs of trading it, per unit of sqrt(time); the best horizon trades if it clears a threshold.
 * Long and short are symmetric (deliberate): costs apply to |alpha|, direction = sign(alpha).
 */
import type { ArbitrationParams, CostModelParams } from '../config/schema.ts';
import { DataError } from '../core/errors.ts';
import { horizonMinutes } from '../core/horizons.ts';
import type { CostTrace } from '../core/types.ts';
import { invalidParam } from './stats.ts';

/** sqrt(h/5): horizons are compared per 5-minute unit of holding time. */
function timeScale(horizon: string): number {
  return Math.sqrt(horizonMinutes(horizon) / 5);
}

function requireFiniteInput(name: string, value: number, code = 'BAD_VALUE'): void {
  if (!Number.isFinite(value)) {
    throw new DataError(code, `arbitration: ${name} is ${String(value)}, expected a finite number`, { input: `${name}=${String(value)}` });
  }
}

/** net = |alpha|*1e4 - (k1*spread + k2*sigma5m*1e4*sqrt(h/5) + k3*I1%*sqrt(q/ADV/0.01)); score = net/sqrt(h/5). */
export function scoreHorizon(
  input: { alpha: number; horizon: string; spreadBps: number; sigma5m: number; orderNotional?: number; adv?: number | null },
  costModel: CostModelParams,
): CostTrace {
  requireFiniteInput('alpha', input.alpha);
  requireFiniteInput('spread_bps', input.spreadBps);
  requireFiniteInput('sigma_5m', input.sigma5m, 'BAD_VOLATILITY');
  const q = input.orderNotional ?? 0;
  requireFiniteInput('order notional', q);
  const scale = timeScale(input.horizon);
  const aBps = Math.abs(input.alpha) * 1e4;
  const spreadCost = costModel.k1 * input.spreadBps;
  const timingCost = costModel.k2 * input.sigma5m * 1e4 * scale;
  const adv = input.adv;
  // No size or no known liquidity: impact cannot be estimated and is left out rather than guessed.
  const impactCost =
    q > 0 && adv !== null && adv !== undefined && Number.isFinite(adv) && adv > 0
      ? costModel.k3 * costModel.impact_bps_at_1pct_adv * Math.sqrt(q / adv / 0.01)
      : 0;
  const totalCost = spreadCost + timingCost + impactCost;
  const netBps = aBps - totalCost;
  return { spreadCost, timingCost, impactCost, totalCost, netBps, score: netBps / scale };
}

export interface ArbitrationCandidate {
  horizon: string;
  alpha: number;
  orderNotional?: number;
}

export interface ArbitrationInput {
  candidates: readonly ArbitrationCandidate[];
  spreadBps: number;
  sigma5m: number;
  adv: number | null;
  /** Online-learning multiplier per horizon, (1-e) + e*K*p_h (SPEC 7); missing -> 1. */
  bandit?: Readonly<Record<string, number>>;
}

export interface ArbitrationResult {
  costs: Record<string, CostTrace>;
  best: { horizon: string; alpha: number; score: number; direction: 1 | -1 } | null;
  threshold: number;
  edge: boolean;
  reason: 'edge' | 'no_edge' | 'no_prediction';
}

/** best = argmax_h score_h * bandit_h (ties -> shorter h); edge iff score_best >= entry + mult*spread. */
export function arbitrate(input: ArbitrationInput, costModel: CostModelParams, params: ArbitrationParams): ArbitrationResult {
  requireFiniteInput('spread_bps', input.spreadBps);
  const threshold = params.entry_threshold_bps + params.reserve_spread_mult * input.spreadBps;
  const seen = new Set<string>();
  for (const c of input.candidates) {
    if (seen.has(c.horizon)) throw new DataError('DUPLICATE_HORIZON', `arbitration: horizon ${c.horizon} given twice`, { input: c.horizon });
    seen.add(c.horizon);
  }
  // Processing by minutes with a strict '>' below makes ties go to the shorter horizon.
  const ordered = [...input.candidates].sort((a, b) => horizonMinutes(a.horizon) - horizonMinutes(b.horizon));

  const costs: Record<string, CostTrace> = {};
  let best: ArbitrationResult['best'] = null;
  for (const candidate of ordered) {
    const multiplier = input.bandit?.[candidate.horizon] ?? 1;
    if (!Number.isFinite(multiplier) || multiplier < 0) {
      throw invalidParam(`bandit multiplier for ${candidate.horizon}`, multiplier, 'a finite number >= 0');
    }
    const cost = scoreHorizon(
      { alpha: candidate.alpha, horizon: candidate.horizon, spreadBps: input.spreadBps, sigma5m: input.sigma5m, orderNotional: candidate.orderNotional, adv: input.adv },
      costModel,
    );
    cost.score *= multiplier;
    costs[candidate.horizon] = cost;
    if (best === null || cost.score > best.score) {
      best = { horizon: candidate.horizon, alpha: candidate.alpha, score: cost.score, direction: candidate.alpha < 0 ? -1 : 1 };
    }
  }

  if (best === null) return { costs, best, threshold, edge: false, reason: 'no_prediction' };
  // A zero alpha predicts nothing, so it is never an edge, even with zero costs and threshold.
  const edge = best.alpha !== 0 && best.score >= threshold;
  return { costs, best, threshold, edge, reason: edge ? 'edge' : 'no_edge' };
}
