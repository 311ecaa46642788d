/**
 * Confidence of one model's prediction (SPEC 4.3): c = IC_eff * freshness * capacity * stability.
 * Every factor is in [0, 1] except IC_eff, which is a correlation shrunk towards the prior.
 */
import { DataError } from '../core/errors.ts';
import type { ConfidenceTrace } from '../core/types.ts';
import { allFinite, invalidParam, mean, rangeToArray, requireFinite, spearman } from './stats.ts';

export { spearman } from './stats.ts';

/** Fewer live pairs than this and IC_live is ignored (counts as n = 0). */
export const MIN_IC_PAIRS = 5;
/** Stability looks at the last this-many errors and needs at least MIN_ERRORS of them. */
const STABILITY_ERRORS = 10;
const MIN_ERRORS = 3;
const NEUTRAL_STABILITY = 0.5;
/** ADV is the mean dollar volume of the last this-many daily bars. */
const ADV_DAYS = 20;

/** IC_eff = max(0, (n*IC_live + n0*IC_prior)/(n + n0)); n < 5 or no IC_live counts as n = 0. */
export function effectiveIC(args: { icLive: number | null; pairs: number; icPrior: number; priorWeight: number }): number {
  const { icPrior, priorWeight } = args;
  if (!Number.isFinite(icPrior)) throw invalidParam('IC_prior', icPrior, 'a finite correlation');
  if (!Number.isFinite(priorWeight) || priorWeight < 0) throw invalidParam('confidence.ic_prior_weight', priorWeight, 'a finite number >= 0');
  const live = args.icLive !== null && Number.isFinite(args.icLive) && args.pairs >= MIN_IC_PAIRS;
  const n = live ? args.pairs : 0;
  const icLive = live ? (args.icLive as number) : 0;
  if (n + priorWeight === 0) return Math.max(0, icPrior);
  return Math.max(0, (n * icLive + priorWeight * icPrior) / (n + priorWeight));
}

/** freshness = exp(-max(0, age_ms)/1000 / tau_s); an infinitely old bar gives 0. */
export function freshness(ageMs: number, tauSeconds: number): number {
  if (Number.isNaN(ageMs)) {
    throw new DataError('BAD_TIME', 'freshness: bar age is NaN', { hint: 'check the bar timestamp and the clock' });
  }
  if (!Number.isFinite(tauSeconds) || tauSeconds <= 0) throw invalidParam('freshness tau', tauSeconds, 'a finite number of seconds > 0');
  return Math.exp(-Math.max(0, ageMs) / 1000 / tauSeconds);
}

/** capacity = min(1, kappa*ADV/planned); 1 when planned <= 0 or ADV is missing, <= 0 or not finite. */
export function capacity(args: { kappa: number; adv: number | null; plannedNotional: number }): number {
  const { kappa, adv, plannedNotional } = args;
  if (!Number.isFinite(kappa) || kappa <= 0) throw invalidParam('confidence.capacity_kappa', kappa, 'a finite number > 0');
  if (adv === null || !Number.isFinite(adv) || adv <= 0) return 1;
  if (!Number.isFinite(plannedNotional) || plannedNotional <= 0) return 1;
  return Math.min(1, (kappa * adv) / plannedNotional);
}

/** stability = 1/(1 + RMSE/sigma_h) over the last 10 (raw - realised) errors; 0.5 while < 3. */
export function stability(errors: readonly number[], sigmaH: number): number {
  const recent = requireFinite(errors, 'BAD_VALUE', 'prediction errors').slice(-STABILITY_ERRORS);
  if (recent.length < MIN_ERRORS) return NEUTRAL_STABILITY;
  // Without a usable horizon vol the errors cannot be put in scale: stay neutral.
  if (!(sigmaH > 0) || !Number.isFinite(sigmaH)) return NEUTRAL_STABILITY;
  const rmse = Math.sqrt(mean(recent.map((e) => e * e)) as number);
  return 1 / (1 + rmse / sigmaH);
}

/** `stability` of errors[start, end) without copying (identical result; same typed error). */
export function stabilityRange(errors: ArrayLike<number>, start: number, end: number, sigmaH: number): number {
  if (!allFinite(errors, start, end - start)) return stability(rangeToArray(errors, start, end), sigmaH);
  const from = Math.max(start, end - STABILITY_ERRORS);
  const n = end - from;
  if (n < MIN_ERRORS) return NEUTRAL_STABILITY;
  if (!(sigmaH > 0) || !Number.isFinite(sigmaH)) return NEUTRAL_STABILITY;
  let sum = 0;
  for (let i = from; i < end; i++) sum += errors[i] * errors[i];
  return 1 / (1 + Math.sqrt(sum / n) / sigmaH);
}

/** ADV = mean(close*volume) over the last 20 daily bars; null without bars. */
export function adv(dailyCloses: readonly number[], dailyVolumes: readonly number[]): number | null {
  if (dailyCloses.length !== dailyVolumes.length) {
    throw new DataError('LENGTH_MISMATCH', `adv: ${dailyCloses.length} closes but ${dailyVolumes.length} volumes`, {
      hint: 'pass closes and volumes of the same daily bars',
    });
  }
  const closes = dailyCloses.slice(-ADV_DAYS);
  const volumes = dailyVolumes.slice(-ADV_DAYS);
  closes.forEach((c, i) => {
    if (!Number.isFinite(c) || c <= 0) {
      throw new DataError('BAD_PRICE', `adv: close ${String(c)} at position ${i} of the last ${closes.length} days`, { input: String(c) });
    }
  });
  volumes.forEach((v, i) => {
    if (!Number.isFinite(v) || v < 0) {
      throw new DataError('BAD_VOLUME', `adv: volume ${String(v)} at position ${i} of the last ${volumes.length} days`, { input: String(v) });
    }
  });
  return mean(closes.map((c, i) => c * volumes[i]));
}

/** The inputs every form of the confidence computation shares (SPEC 4.3). */
interface ConfidenceBase {
  icPrior: number;
  priorWeight: number;
  ageMs: number;
  tauSeconds: number;
  kappa: number;
  adv: number | null;
  plannedNotional: number;
  sigmaH: number;
}

export interface ConfidenceArgs extends ConfidenceBase {
  predictions: readonly number[];
  realised: readonly number[];
  icWindow: number;
  errors: readonly number[];
}

/** The inputs of `confidence` once IC_live is known: errors as a range of a window. */
export interface ConfidenceFactors extends ConfidenceBase {
  /** Spearman IC of the last `pairs` pairs (null under 5 pairs), as `confidence` computes it. */
  icLive: number | null;
  pairs: number;
  errors: ArrayLike<number>;
  errorsStart: number;
  errorsEnd: number;
}

/**
 * `confidence` for a caller that keeps IC_live up to date itself (the engine memoises it until a
 * new pair arrives): the same factors, checks and operations, so the trace is identical.
 */
export function confidenceFromFactors(args: ConfidenceFactors): ConfidenceTrace {
  const icEff = effectiveIC({ icLive: args.icLive, pairs: args.pairs, icPrior: args.icPrior, priorWeight: args.priorWeight });
  const fresh = freshness(args.ageMs, args.tauSeconds);
  const cap = capacity({ kappa: args.kappa, adv: args.adv, plannedNotional: args.plannedNotional });
  const stab = stabilityRange(args.errors, args.errorsStart, args.errorsEnd, args.sigmaH);
  return {
    confidence: icEff * fresh * cap * stab,
    icEff,
    icLive: args.icLive,
    icPrior: args.icPrior,
    icPairs: args.pairs,
    freshness: fresh,
    capacity: cap,
    stability: stab,
  };
}

/** c = IC_eff * freshness * capacity * stability, IC_live = Spearman of the last icWindow pairs. */
export function confidence(args: ConfidenceArgs): ConfidenceTrace {
  if (args.predictions.length !== args.realised.length) {
    throw new DataError('LENGTH_MISMATCH', `confidence: ${args.predictions.length} predictions but ${args.realised.length} realised returns`, {
      hint: 'IC pairs must be stored together (prediction, realised)',
    });
  }
  if (!Number.isInteger(args.icWindow) || args.icWindow < 1) throw invalidParam('confidence.ic_window', args.icWindow, 'an integer >= 1');
  const xs = args.predictions.slice(-args.icWindow);
  const ys = args.realised.slice(-args.icWindow);
  const pairs = xs.length;
  // The trace shows IC_live only when it counts (>= 5 pairs), so a reader never mistakes noise for signal.
  const rho = pairs >= MIN_IC_PAIRS ? spearman(xs, ys) : null;
  const icEff = effectiveIC({ icLive: rho, pairs, icPrior: args.icPrior, priorWeight: args.priorWeight });
  const fresh = freshness(args.ageMs, args.tauSeconds);
  const cap = capacity({ kappa: args.kappa, adv: args.adv, plannedNotional: args.plannedNotional });
  const stab = stability(args.errors, args.sigmaH);
  return {
    confidence: icEff * fresh * cap * stab,
    icEff,
    icLive: rho,
    icPrior: args.icPrior,
    icPairs: pairs,
    freshness: fresh,
    capacity: cap,
    stability: stab,
  };
}
