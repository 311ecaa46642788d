/**
 * Sizing and exits (SPEC 4.7): a vol-scaled weight from the blended alpha of the selected
 * horizon, shrunk by the barrier gate and capped; and the exit rule for open positions when
 * there is no edge or the entry is blocked.
 */
import type { RiskParams, SizingParams } from '../config/schema.ts';
import { DataError } from '../core/errors.ts';
import { horizonCalendarMs } from '../core/horizons.ts';

export interface SizeTargetInput {
  alpha: number;
  sigmaH: number;
  gate: number;
}

export interface SizeTargetResult {
  wRaw: number;
  targetWeight: number;
  capped: boolean;
}

export interface ExitRuleInput {
  position: { weight: number; openedAtMs: number; horizon: string } | null;
  nowMs: number;
  bestAlpha: number | null;
  barrierExitFired: boolean;
}

export type ExitReason = 'max_holding_time' | 'alpha_reversed' | 'barrier_exit' | 'no_position' | 'hold';

export interface ExitRuleResult {
  exit: boolean;
  reason: ExitReason;
}

/** w = clip(alpha/sigma, -zMax, zMax) * maxWeight / zMax; 0 when sigma <= 0 or any input is bad. */
export function volScaledWeight(alpha: number, sigma: number, zMax: number, maxWeight: number): number {
  if (![alpha, sigma, zMax, maxWeight].every(Number.isFinite)) return 0;
  // Non-positive zMax/maxWeight would divide by zero or flip the sign: no position is the safe answer.
  if (sigma <= 0 || zMax <= 0 || maxWeight <= 0) return 0;
  const z = Math.min(zMax, Math.max(-zMax, alpha / sigma)); // alpha/tiny sigma -> ±Infinity clips fine
  const w = (z / zMax) * maxWeight; // |z/zMax| <= 1 exactly, so |w| <= maxWeight even for denormal inputs
  return w === 0 ? 0 : w; // no -0 in traces
}

/** w = w_raw * gate, capped at ±max_position_pct/100. */
export function sizeTarget(input: SizeTargetInput, sizing: SizingParams, risk: RiskParams): SizeTargetResult {
  const { gate } = input;
  // The gate comes from barrierGate and is always in [0, 1]; anything else is a caller bug.
  if (!Number.isFinite(gate) || gate < 0 || gate > 1) {
    throw new DataError('BAD_GATE', `barrier gate must be in [0, 1], got ${gate}`, {
      input: String(gate),
      hint: 'pass the gate returned by barrierGate (1 when there is no barrier model)',
    });
  }
  const wRaw = volScaledWeight(input.alpha, input.sigmaH, sizing.z_max, sizing.max_weight);
  const cap = risk.max_position_pct / 100;
  const w = wRaw * gate;
  const capped = Math.abs(w) > cap;
  const targetWeight = capped ? Math.sign(w) * cap : w === 0 ? 0 : w;
  return { wRaw, targetWeight, capped };
}

/**
 * Exit when: held longer than hold_multiple * h (calendar time), best alpha against the position,
 * or the barrier exit fired; checked in that order. Otherwise hold at the current weight.
 */
export function exitRule(input: ExitRuleInput, sizing: SizingParams): ExitRuleResult {
  const { position, nowMs, bestAlpha } = input;
  if (position === null || !Number.isFinite(position.weight) || position.weight === 0) {
    return { exit: false, reason: 'no_position' };
  }
  if (!Number.isFinite(nowMs) || !Number.isFinite(position.openedAtMs)) {
    throw new DataError('BAD_TIME', `exit rule needs finite times, got now=${nowMs} openedAt=${position.openedAtMs}`, {
      input: `${nowMs},${position.openedAtMs}`,
    });
  }
  const maxHoldMs = sizing.hold_multiple * horizonCalendarMs(position.horizon);
  if (nowMs - position.openedAtMs > maxHoldMs) return { exit: true, reason: 'max_holding_time' };
  if (bestAlpha !== null && Number.isFinite(bestAlpha) && bestAlpha * position.weight < 0) {
    return { exit: true, reason: 'alpha_reversed' };
  }
  if (input.barrierExitFired) return { exit: true, reason: 'barrier_exit' };
  return { exit: false, reason: 'hold' };
}
