/**
 * SPEC 4.3 for one (horizon, family) alpha model of a symbol: push the raw output into its
 * standardizer, z, confidence from IC_live (kept by the slot's RankedPairs), freshness, capacity
 * and stability, then score and alpha. Throws (a symbol fault) where the pipeline functions do.
 */
import type { LiveTradingConfig } from '../config/schema.ts';
import type { FamilyTrace } from '../core/types.ts';
import { confidence, confidenceFromFactors } from '../pipeline/confidence.ts';
import type { ModelSlot } from './predictor.ts';
import { liveIC } from './stagePlan.ts';
import { pushRaw, type SlotWindows } from './symbolState.ts';

/** What every family of one horizon shares this cycle. */
export interface FamilyContext {
  ageMs: number;
  planned: number;
  adv: number | null;
  sigmaH: number;
  tauSeconds: number;
}

export function familyPrediction(
  windows: SlotWindows,
  slot: ModelSlot,
  output: number | null | undefined,
  crossSectionalRank: number | undefined,
  ctx: FamilyContext,
  cfg: LiveTradingConfig,
): FamilyTrace {
  if (output === null || output === undefined) return { family: slot.family, status: 'warming_up', raw: null, z: null, confidence: null, score: null, alpha: null };
  if (!Number.isFinite(output)) {
    return { family: slot.family, status: 'error', raw: null, z: null, confidence: null, score: null, alpha: null, error: `non-finite model output ${output}` };
  }
  pushRaw(windows, output, cfg.standardization.window);
  const { errors } = windows;
  const standardized = windows.raw.z(cfg.standardization.min_samples);
  const z = slot.crossSectional && crossSectionalRank !== undefined ? crossSectionalRank : standardized;
  if (standardized === null || z === null) return { family: slot.family, status: 'warming_up', raw: output, z: null, confidence: null, score: null, alpha: null };
  const icLive = liveIC(windows, cfg.confidence.ic_window);
  // Object literals spelled out: a spread of shared fields here cost more than all the maths.
  const c =
    icLive !== undefined
      ? confidenceFromFactors({
          icLive,
          pairs: windows.pairs.length,
          icPrior: slot.icPrior,
          priorWeight: cfg.confidence.ic_prior_weight,
          ageMs: ctx.ageMs,
          tauSeconds: ctx.tauSeconds,
          kappa: cfg.confidence.capacity_kappa,
          adv: ctx.adv,
          plannedNotional: ctx.planned,
          errors: errors.values,
          errorsStart: errors.start,
          errorsEnd: errors.end,
          sigmaH: ctx.sigmaH,
        })
      : // Windows only confidence() itself handles (it may throw its typed error).
        confidence({
          predictions: windows.pairs.predictions(),
          realised: windows.pairs.realised(),
          icWindow: cfg.confidence.ic_window,
          icPrior: slot.icPrior,
          priorWeight: cfg.confidence.ic_prior_weight,
          ageMs: ctx.ageMs,
          tauSeconds: ctx.tauSeconds,
          kappa: cfg.confidence.capacity_kappa,
          adv: ctx.adv,
          plannedNotional: ctx.planned,
          errors: errors.toArray(),
          sigmaH: ctx.sigmaH,
        });
  const score = z * c.confidence;
  return { family: slot.family, status: 'ok', raw: output, z, confidence: c, score, alpha: score * ctx.sigmaH };
}
