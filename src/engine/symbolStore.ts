/**
 * Per-symbol windows (bars, standardizer FIFOs, IC pairs, blend history, pending predictions),
 * one entry per symbol actor, kept beside the actor tree instead of inside XState contexts.
 *
 * Why: XState deep-copies an actor's whole context on every persisted snapshot, and these windows
 * are ~95 % of the engine's state (at 500 symbols, tens of MB of numbers): copying them through
 * XState took longer than the whole snapshot budget. The symbol actor still owns its entry (only
 * its own transitions change it), and the snapshot document stores the windows as their own
 * section (SPEC 8 lists per-symbol windows apart from the actor snapshot): a small JSON index and
 * one packed binary stream of every window's lanes (windowsCodec.ts), exact and bulk-copied.
 */
import { StateError } from '../core/errors.ts';
import { LaneWriter } from '../persistence/laneCodec.ts';
import type { ModelSlot } from './predictor.ts';
import { laneArena } from './rollingWindow.ts';
import { createSymbolState, type SymbolState, type SymbolStateLimits } from './symbolState.ts';
import { decodeWindows, encodeLanes, encodeWindows, windowsIndex, type WindowsIndex } from './windowsCodec.ts';

export class SymbolStore {
  private readonly states = new Map<string, SymbolState>();
  /** Reused by every encode (see LaneWriter): no fresh 13 MB buffer per snapshot. */
  private readonly writer = new LaneWriter();
  /** The last encode's look-ahead sum (windowsCodec.ts `warm`), kept so its reads stay observable. */
  lastWarmth = 0;

  constructor(symbols: readonly string[], slots: readonly ModelSlot[], limits: SymbolStateLimits, restored?: Record<string, SymbolState>) {
    // One arena for every new symbol's lanes, grown ones included: a symbol's windows sit close
    // together instead of one malloc'd block each (fewer cache misses for the stages and the
    // snapshot pack). A restore brings its own arena (windowsCodec.ts).
    const alloc = laneArena();
    for (const symbol of symbols) {
      const saved = restored?.[symbol];
      this.states.set(symbol, saved ?? createSymbolState(symbol, slots, limits, alloc));
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

  /** The snapshot section in one piece: the windows' JSON index and their packed lanes (a view, valid until the next encode). */
  encode(): { index: WindowsIndex; bytes: Uint8Array } {
    return encodeWindows(this.states, this.writer);
  }

  /**
   * The snapshot section for a streamed write: the index now, the lanes when the store asks for
   * them (`lanes(emit)`, region by region, so the store writes early regions while later ones
   * are packed). The windows must not change in between: the runner awaits each write before
   * the next cycle, and a changed symbol makes `lanes` throw. One buffer is reused by every
   * encode: a write must be done with its regions before the next one starts (the store runs
   * writes one after another).
   */
  section(): { index: WindowsIndex; lanes: (emit: (region: Uint8Array) => void) => void } {
    const index = windowsIndex(this.states.values());
    return {
      index,
      lanes: (emit) => {
        this.lastWarmth = encodeLanes(this.states, index, this.writer, emit);
      },
    };
  }

  /** Inverse of encode; a StateError when the bytes do not fit the index. */
  static decode(index: WindowsIndex, bytes: Uint8Array): Record<string, SymbolState> {
    return decodeWindows(index, bytes);
  }
}
