/**
 * Exp3-IX over horizons (SPEC 7): an adversarial bandit with implicit exploration whose
 * probabilities tilt the arbitration scores towards horizons whose trades paid.
 * Hand-written: it is a dozen lines of maths and no npm bandit library does Exp3-IX in log space.
 */
import { DataError, StateError } from '../core/errors.ts';

/** Plain JSON, persisted in snapshots. */
export interface Exp3IXState {
  arms: string[];
  logWeights: number[];
  samples: number;
}

export interface Exp3IXOptions {
  /** K, or the arm names (horizons) in processing order. */
  arms: number | readonly string[];
  eta: number;
  gamma: number;
  rewardScaleBps: number;
  state?: Exp3IXState;
}

/** exp(-1e6) is 0: a floor keeps a log-weight finite when gamma = 0 makes l_hat infinite. */
const LOG_WEIGHT_FLOOR = -1e6;

function positiveFinite(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new DataError('BAD_BANDIT_PARAM', `Exp3-IX ${name} must be finite and ${allowZero ? '>=' : '>'} 0, got ${value}`, {
      input: String(value),
    });
  }
}

/** p = softmax(L) with the max subtracted first, so no exp() ever overflows. */
function softmax(logWeights: readonly number[]): number[] {
  const max = Math.max(...logWeights);
  const exps = logWeights.map((l) => Math.exp(l - max));
  const sum = exps.reduce((s, e) => s + e, 0); // >= 1: the max arm contributes exp(0)
  return exps.map((e) => e / sum);
}

export class Exp3IX {
  private readonly arms: string[];
  private readonly eta: number;
  private readonly gamma: number;
  private readonly rewardScaleBps: number;
  private logWeights: number[];
  private n: number;

  constructor(opts: Exp3IXOptions) {
    const arms = typeof opts.arms === 'number' ? Array.from({ length: opts.arms }, (_, i) => String(i)) : [...opts.arms];
    if (arms.length < 1 || (typeof opts.arms === 'number' && !Number.isInteger(opts.arms))) {
      throw new DataError('BAD_BANDIT_PARAM', `Exp3-IX needs at least one arm, got ${String(opts.arms)}`);
    }
    if (new Set(arms).size !== arms.length) throw new DataError('BAD_BANDIT_PARAM', `Exp3-IX arm names repeat: ${arms.join(',')}`);
    positiveFinite('eta', opts.eta);
    positiveFinite('gamma', opts.gamma, true);
    positiveFinite('rewardScaleBps', opts.rewardScaleBps);
    this.arms = arms;
    this.eta = opts.eta;
    this.gamma = opts.gamma;
    this.rewardScaleBps = opts.rewardScaleBps;
    this.logWeights = arms.map(() => 0);
    this.n = 0;
    if (opts.state) this.restore(opts.state);
  }

  private restore(state: Exp3IXState): void {
    const sameArms = state.arms.length === this.arms.length && state.arms.every((a, i) => a === this.arms[i]);
    if (!sameArms || state.logWeights.length !== this.arms.length) {
      throw new StateError('BANDIT_STATE_MISMATCH', `saved bandit arms [${state.arms.join(',')}] do not match [${this.arms.join(',')}]`, {
        hint: 'the configured horizons changed since the snapshot; start the bandit fresh',
      });
    }
    if (!state.logWeights.every(Number.isFinite) || !Number.isInteger(state.samples) || state.samples < 0) {
      throw new StateError('BANDIT_STATE_INVALID', 'saved bandit state has non-finite log-weights or a bad sample count');
    }
    this.logWeights = [...state.logWeights];
    this.n = state.samples;
  }

  probabilities(): number[] {
    return softmax(this.logWeights);
  }

  get samples(): number {
    return this.n;
  }

  /** l = clip(0.5 - r/(2*scale), 0, 1); l_hat = l/(p_h + gamma) with p before the update; L_h -= eta*l_hat. */
  update(arm: number | string, rewardBps: number): { loss: number; lossEstimate: number } {
    const h = typeof arm === 'number' ? arm : this.arms.indexOf(arm);
    if (!Number.isInteger(h) || h < 0 || h >= this.arms.length) {
      throw new StateError('UNKNOWN_ARM', `Exp3-IX has no arm ${String(arm)}; arms are ${this.arms.join(',')}`, { input: String(arm) });
    }
    if (!Number.isFinite(rewardBps)) {
      throw new DataError('BAD_REWARD', `Exp3-IX reward must be finite bps, got ${rewardBps}`, {
        input: String(rewardBps),
        hint: 'a trade return computed from a bad price or a zero entry price',
      });
    }
    const p = this.probabilities()[h];
    const loss = Math.min(1, Math.max(0, 0.5 - rewardBps / (2 * this.rewardScaleBps)));
    const lossEstimate = loss / (p + this.gamma);
    const next = [...this.logWeights];
    next[h] = next[h] - this.eta * lossEstimate;
    // softmax is shift-invariant: re-centre on the max so log-weights stay small and precise.
    const max = Math.max(...next.map((l) => (Number.isFinite(l) ? l : LOG_WEIGHT_FLOOR)));
    this.logWeights = next.map((l) => (Number.isFinite(l) ? Math.max(LOG_WEIGHT_FLOOR, l - max) : LOG_WEIGHT_FLOOR));
    this.n += 1;
    return { loss, lossEstimate };
  }

  toJSON(): Exp3IXState {
    return { arms: [...this.arms], logWeights: [...this.logWeights], samples: this.n };
  }
}

/** e = 0 until min_samples updates, then blend_ratio * min(1, (n - min_samples)/ramp_up_samples). */
export function effectiveBlend(samples: number, params: { blend_ratio: number; min_samples: number; ramp_up_samples: number }): number {
  if (!Number.isFinite(samples) || samples < params.min_samples) return 0;
  const ramp = params.ramp_up_samples > 0 ? Math.min(1, (samples - params.min_samples) / params.ramp_up_samples) : 1;
  return params.blend_ratio * ramp;
}

/** score multiplier (1 - e) + e*K*p: 1 for a uniform bandit, so e only tilts, never rescales. */
export function banditMultiplier(p: number, k: number, e: number): number {
  return 1 - e + e * k * p;
}
