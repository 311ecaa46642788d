/**
 * Per-symbol windows (bars, standardizer FIFOs, IC pairs, blend history, pending predictions),
 * one entry per symbol actor, kept beside the actor tree instead of inside XState contexts.
 *
 * Why: XState deep-copies an actor's whole context on every persisted snapshot, and these windows
 * are ~95 % of the engine's state (at 500 symbols, tens of MB of numbers): copying them through
 * XState took longer than the whole snapshot budget. The symbol actor still owns its entry (only
 * its own transitions change it), and the snapshot document stores the windows as their own
 * section (SPEC 8 lists per-symbol windows apart from the actor snapshot), in the compact exact
 * numeric encoding of src/persistence/numericCodec.ts. In memory the windows are typed-array
 * FIFOs (symbolState.ts); the section holds their plain-JSON form, unchanged by that.
 */
import { StateError } from '../core/errors.ts';
import { decodeNumbers, encodeNumbers } from '../persistence/numericCodec.ts';
import type { ModelSlot } from './predictor.ts';
import { createSymbolState, symbolStateFromJSON, symbolStateToJSON, type SymbolState, type SymbolStateJSON, type SymbolStateLimits } from './symbolState.ts';

export class SymbolStore {
  private readonly states = new Map<string, SymbolState>();

  constructor(symbols: readonly string[], slots: readonly ModelSlot[], limits: SymbolStateLimits, restored?: Record<string, SymbolState>) {
    for (const symbol of symbols) {
      const saved = restored?.[symbol];
      this.states.set(symbol, saved ?? createSymbolState(symbol, slots, limits));
    }
  }

  get(symbol: string): SymbolState {
    const state = this.states.get(symbol);
    if (!state) throw new StateError('UNKNOWN_SYMBOL', `no state for symbol ${symbol}`, { input: symbol });
    return state;
  }

  symbols(): string[] {
    return [...this.states.keys()];
  }

  /** The snapshot section: every symbol's windows, compactly and exactly encoded. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [symbol, state] of this.states) {
      // The slot windows (most of the bytes) go straight from their typed arrays to base64.
      const json = symbolStateToJSON(state, { skipSlots: true }) as unknown as Record<string, unknown>;
      const slots: Record<string, unknown> = {};
      for (const [key, w] of Object.entries(state.slots)) slots[key] = { raw: w.raw.window.encoded(), ...w.pairs.encoded(), errors: w.errors.encoded() };
      out[symbol] = encodeNumbers({ ...json, slots });
    }
    return out;
  }

  static decode(section: Record<string, unknown>): Record<string, SymbolState> {
    const out: Record<string, SymbolState> = {};
    for (const [symbol, encoded] of Object.entries(section)) out[symbol] = symbolStateFromJSON(decodeNumbers(encoded) as SymbolStateJSON);
    return out;
  }
}
