/**
 * A deterministic predictor for tests, benchmarks and `--dry-run`: no model files, outputs are a
 * pure function of (seed, symbol, slot, the symbol's bars). The default script mixes momentum over
 * the horizon with seeded noise so that real data gives longs, shorts and exits; barrier
 * probabilities come from where the close sits in its 20-bar range. Tests pass their own script
 * (e.g. one that throws for one symbol).
 */
import { horizonMinutes } from '../core/horizons.ts';
import type { ModelRole, ModelSlot, Predictor, PredictorBatchInput, PredictorSymbolInput, SymbolPrediction } from './predictor.ts';
import { slotKey } from './predictor.ts';

export interface ScriptContext {
  symbol: string;
  slot: ModelSlot;
  input: PredictorSymbolInput;
  cycle: number;
  ts: number;
}

/** Return the raw output, null while warming up; throw to fault this symbol. */
export type PredictionScript = (ctx: ScriptContext) => number | null;

export interface ScriptedPredictorOptions {
  horizons: readonly string[];
  families?: readonly string[];
  barrier?: boolean;
  icPrior?: number;
  seed?: number;
  barMinutes?: number;
  script?: PredictionScript;
  lookbackBars?: number;
}

export const SCRIPTED_FAMILIES = ['scripted_momentum', 'scripted_noise', 'scripted_trend'] as const;

const FNV_OFFSET = 0x811c9dc5;

/** 32-bit FNV-1a state after `text`, continuing from `h`: a stable hash so the noise depends only on (seed, symbol, slot, bar). */
function fnv(text: string, h = FNV_OFFSET): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** fnv continued over the decimal digits of a safe non-negative integer (what String(n) gives), without building the string. */
function fnvDigits(n: number, h: number, digits: Uint8Array): number {
  let count = 0;
  do {
    const digit = n % 10;
    digits[count++] = digit;
    n = (n - digit) / 10;
  } while (n > 0);
  while (count > 0) {
    h ^= 48 + digits[--count];
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/**
 * noise(seed, symbol, key, bar) = FNV-1a(`${seed}|${symbol}|${key}|${bar}`) / 0xffffffff - 0.5.
 * The hash state after the constant prefix is kept per (symbol, key): the per-call string and its
 * hashing were a visible share of a 500-symbol cycle. Same hash, same value.
 */
function noiseSource(seed: number): (symbol: string, key: string, bar: number) => number {
  const prefixes = new Map<string, Map<string, number>>();
  const digits = new Uint8Array(16);
  return (symbol, key, bar) => {
    if (!Number.isSafeInteger(bar) || bar < 0) return (fnv(`${seed}|${symbol}|${key}|${bar}`) >>> 0) / 0xffffffff - 0.5;
    let bySlot = prefixes.get(symbol);
    if (!bySlot) prefixes.set(symbol, (bySlot = new Map()));
    let prefix = bySlot.get(key);
    if (prefix === undefined) bySlot.set(key, (prefix = fnv(`${seed}|${symbol}|${key}|`)));
    return (fnvDigits(bar, prefix, digits) >>> 0) / 0xffffffff - 0.5;
  };
}

export function defaultScript(seed: number, barMinutes: number): PredictionScript {
  const noise = noiseSource(seed);
  return ({ symbol, slot, input }) => {
    const closes = input.bars.close;
    const n = closes.length;
    if (n < 21) return null;
    const last = closes[n - 1];
    if (slot.role !== 'alpha') {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = n - 20; i < n; i++) {
        lo = Math.min(lo, closes[i]);
        hi = Math.max(hi, closes[i]);
      }
      const pos = hi > lo ? (last - lo) / (hi - lo) : 0.5;
      return slot.role === 'peak' ? 0.25 + 0.45 * pos : 0.7 - 0.45 * pos;
    }
    const k = Math.min(n - 1, Math.max(1, Math.round(horizonMinutes(slot.horizon) / barMinutes)), 20);
    const momentum = last / closes[n - 1 - k] - 1;
    const jitter = noise(symbol, slot.key, input.barCount) * 0.002;
    if (slot.family === 'scripted_noise') return jitter;
    if (slot.family === 'scripted_trend') return 0.5 * momentum + 0.5 * jitter;
    return momentum + 0.25 * jitter;
  };
}

export class ScriptedPredictor implements Predictor {
  readonly slots: ModelSlot[];
  readonly lookbackBars: number;
  private readonly script: PredictionScript;

  constructor(options: ScriptedPredictorOptions) {
    const families = [...(options.families ?? SCRIPTED_FAMILIES)].sort();
    const icPrior = options.icPrior ?? 0.05;
    const horizons = [...options.horizons].sort((a, b) => horizonMinutes(a) - horizonMinutes(b));
    const slots: ModelSlot[] = [];
    const add = (horizon: string, family: string, role: ModelRole, target: string) =>
      slots.push({ key: slotKey(horizon, family, role), horizon, family, role, target, icPrior, crossSectional: false });
    for (const horizon of horizons) {
      for (const family of families) add(horizon, family, 'alpha', `fwd_ret_${horizon}`);
      if (options.barrier ?? true) {
        add(horizon, families[0], 'peak', `will_peak_${horizon}`);
        add(horizon, families[0], 'valley', `will_valley_${horizon}`);
      }
    }
    this.slots = slots;
    this.lookbackBars = options.lookbackBars ?? 64;
    this.script = options.script ?? defaultScript(options.seed ?? 7, options.barMinutes ?? 1);
  }

  async predict(batch: PredictorBatchInput): Promise<Map<string, SymbolPrediction>> {
    const result = new Map<string, SymbolPrediction>();
    for (const input of batch.symbols) {
      try {
        const outputs: Record<string, number | null> = {};
        for (const slot of this.slots) outputs[slot.key] = this.script({ symbol: input.symbol, slot, input, cycle: batch.cycle, ts: batch.ts });
        result.set(input.symbol, { ok: true, outputs });
      } catch (error) {
        result.set(input.symbol, { ok: false, error: `predictor failed for ${input.symbol}: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    return result;
  }
}
