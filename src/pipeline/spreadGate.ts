/**
 * Spread gate (SPEC 4.2), the first stage of a symbol's cycle. It only decides whether new
 * entries may use this quote; a blocked symbol still runs its exit logic (4.7).
 */
import type { SpreadGateParams } from '../config/schema.ts';
import { DataError } from '../core/errors.ts';
import type { Quote, SpreadGateTrace } from '../core/types.ts';
import { isPositivePrice, spreadBps as quoteSpreadBps } from '../core/types.ts';

/**
 * Slack for "exactly at the limit passes": (ask-bid)/mid*1e4 of a quote that is exactly at
 * 12 bps in decimal (e.g. 99.94/100.06) comes out as 12.0000000000005 in binary floating point.
 */
const SPREAD_LIMIT_EPSILON_BPS = 1e-9;

export type SpreadGateReason =
  | 'no_quote'
  | 'bad_quote'
  | 'spread_too_wide'
  | 'stale_quote'
  | 'future_quote'
  | 'ok'
  | 'gate_disabled';

/** Blocks on: no quote, bad quote, spread_bps > max, age > max age, age < -future tolerance. */
export function spreadGate(quote: Quote | null, nowMs: number, params: SpreadGateParams): SpreadGateTrace {
  if (!Number.isFinite(nowMs)) {
    throw new DataError('BAD_TIME', `spread gate: now is ${String(nowMs)}, expected epoch milliseconds`, {
      input: String(nowMs),
      hint: 'the injected clock returned a non-finite time',
    });
  }
  const trace = (passed: boolean, reason: SpreadGateReason, spread: number | null, age: number | null): SpreadGateTrace => ({
    bid: quote && Number.isFinite(quote.bid) ? quote.bid : null,
    ask: quote && Number.isFinite(quote.ask) ? quote.ask : null,
    spreadBps: spread,
    quoteAgeMs: age,
    passed,
    reason,
  });

  // Bad data blocks even with the gate disabled: never trade on a quote we cannot read.
  if (quote === null || quote === undefined) return trace(false, 'no_quote', null, null);
  const ageMs = Number.isFinite(quote.ts) ? nowMs - quote.ts : null;
  if (!isPositivePrice(quote.bid) || !isPositivePrice(quote.ask) || quote.bid > quote.ask || ageMs === null) {
    return trace(false, 'bad_quote', null, ageMs);
  }
  const spread = quoteSpreadBps(quote);

  if (!params.enabled) return trace(true, 'gate_disabled', spread, ageMs);
  if (spread > params.max_spread_bps + SPREAD_LIMIT_EPSILON_BPS) return trace(false, 'spread_too_wide', spread, ageMs);
  if (ageMs > params.quote_age_max_ms) return trace(false, 'stale_quote', spread, ageMs);
  if (ageMs < -params.future_tolerance_ms) return trace(false, 'future_quote', spread, ageMs);
  return trace(true, 'ok', spread, ageMs);
}
