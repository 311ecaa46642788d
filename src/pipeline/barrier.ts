/**
 * Barrier gate (SPEC 4.6): the probabilities of an imminent peak / valley shrink or block an
 * entry, and fire an exit on an open position.
 */
import type { BarrierGateParams } from '../config/schema.ts';
import type { Side } from '../core/types.ts';

export interface BarrierGateInput {
  side: Side;
  pPeak: number | null;
  pValley: number | null;
}

export interface BarrierGateResult {
  allowed: boolean;
  gate: number;
  reason: string;
}

/** Classifier output clipped to [0, 1]; null/NaN/non-number is "no model" (null). */
function probability(p: number | null): number | null {
  if (p === null || typeof p !== 'number' || Number.isNaN(p)) return null;
  return Math.min(1, Math.max(0, p));
}

/** G(a, b) = max(g_min, min(1, (1-a)^gamma * (0.5+0.5b)^delta)) */
export function barrierG(a: number, b: number, params: BarrierGateParams): number {
  const g = Math.pow(1 - a, params.gamma) * Math.pow(0.5 + 0.5 * b, params.delta);
  // A NaN here (bad a/b from a caller) must not leak: Math.min/max propagate NaN, so floor it.
  if (Number.isNaN(g)) return params.g_min;
  return Math.max(params.g_min, Math.min(1, g));
}

/** Long: block if p_peak > peak_threshold else G(p_peak, p_valley); short mirrored. */
export function barrierGate(input: BarrierGateInput, params: BarrierGateParams): BarrierGateResult {
  if (!params.enabled) return { allowed: true, gate: 1, reason: 'gate_disabled' };
  const pPeak = probability(input.pPeak);
  const pValley = probability(input.pValley);
  // A missing model must not shrink every position (deliberate, SPEC 4.6).
  if (pPeak === null || pValley === null) return { allowed: true, gate: 1, reason: 'no_barrier_model' };

  if (input.side === 'long') {
    if (pPeak > params.peak_threshold) return { allowed: false, gate: 0, reason: 'peak_risk' };
    return {
      allowed: true,
      gate: barrierG(pPeak, pValley, params),
      reason: pValley > params.valley_threshold ? 'valley_bounce' : 'normal_entry',
    };
  }
  if (pValley > params.peak_threshold) return { allowed: false, gate: 0, reason: 'valley_risk' };
  return {
    allowed: true,
    gate: barrierG(pValley, pPeak, params),
    reason: pPeak > params.valley_threshold ? 'peak_rejection' : 'normal_entry',
  };
}

/**
 * Long exits when p_peak > exit_threshold, short when p_valley > exit_threshold. A disabled gate
 * disables its exit too: `enabled: false` means "do not use the barrier models".
 */
export function barrierExit(
  side: Side,
  pPeak: number | null,
  pValley: number | null,
  params: BarrierGateParams,
): boolean {
  if (!params.enabled) return false;
  const p = probability(side === 'long' ? pPeak : pValley);
  return p !== null && p > params.exit_threshold;
}
