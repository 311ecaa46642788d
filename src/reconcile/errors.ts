/**
 * The error a caller throws when strict reconciliation refuses to trade. One line for the user:
 * every mismatch, `;`-separated, and the two ways out in the hint.
 */
import { LiveTradingError } from '../core/errors.ts';
import type { Mismatch, ReconcileResult } from './reconcile.ts';

export class ReconciliationError extends LiveTradingError {
  readonly mismatches: Mismatch[];
  constructor(mismatches: Mismatch[]) {
    const count = `${mismatches.length} mismatch${mismatches.length === 1 ? '' : 'es'}`;
    super('RECONCILIATION_MISMATCH', `engine and broker disagree (${count}), refusing to trade: ${mismatches.map((m) => m.detail).join('; ')}`, {
      input: mismatches.map((m) => m.symbol ?? m.kind).join(','),
      hint: 'check the broker account; or set reconciliation.mode: warn (trade on the engine\'s view) or sync (adopt the broker\'s positions and cash) in live_trading.yaml',
    });
    this.mismatches = mismatches;
  }
}

/** throwIfRefused(result) throws ReconciliationError when the mode said `refuse`; returns the result otherwise. */
export function throwIfRefused(result: ReconcileResult): ReconcileResult {
  if (result.action === 'refuse') throw new ReconciliationError(result.mismatches);
  return result;
}
