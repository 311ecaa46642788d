/**
 * The snapshot's per-symbol windows section: a small JSON index plus ONE packed binary stream of
 * every symbol's window lanes (src/persistence/laneCodec.ts), built by bulk copies straight out of
 * the in-memory ring buffers and restored by slicing typed-array views back out.
 *
 * Why: the windows are ~95 % of the engine's state (at 500 symbols ~12 MB of numbers). Encoding
 * them as thousands of small base64 blobs inside the JSON took ~350 ms per write and ~800 ms to
 * decode; one stream is a few ms each way.
 *
 * Index: `shapes` lists each distinct set of slot keys, blend horizons (with their width) and
 * pending horizons (with their families); every symbol names its shape, so the keys are stored
 * once, not 500 times. Lanes follow in this fixed order, symbol by symbol:
 *   bars ts, open, high, low, close, volume;
 *   per slot (shape order): standardizer raw, IC predictions, IC realised, errors;
 *   per blend horizon: row masks (int32), then one z lane per family (float32);
 *   per pending horizon: bar index, close, then one raw lane per family (NaN = no raw).
 * Derived state (the standardizer's scale and scaled lane, IC ranks, full-row counts) is rebuilt
 * from these on restore, by the same code that built it live, so the restored engine continues
 * bit for bit.
 */
import { z } from 'zod';
import { StateError } from '../core/errors.ts';
import { QuoteSchema } from '../core/types.ts';
import { LaneReader, LaneWriter, type LaneData } from '../persistence/laneCodec.ts';
import { BlendHistory } from './blendHistory.ts';
import { PendingPredictions } from './pendingPredictions.ts';
import { RankedPairs } from './rankedPairs.ts';
import { laneArena, RollingWindow } from './rollingWindow.ts';
import { StandardizerWindow } from './standardizerWindow.ts';
import type { SlotWindows, SymbolState } from './symbolState.ts';

const ShapeSchema = z.strictObject({
  slots: z.array(z.string()),
  /** [horizon, width] */
  blend: z.array(z.tuple([z.string(), z.number().int().min(0).max(30)])),
  /** [horizon, families] */
  pending: z.array(z.tuple([z.string(), z.array(z.string())])),
});
type Shape = z.infer<typeof ShapeSchema>;

export const WindowsIndexSchema = z.strictObject({
  shapes: z.array(ShapeSchema),
  symbols: z.array(
    z.strictObject({
      symbol: z.string().min(1),
      shape: z.number().int().min(0),
      barCount: z.number().int().min(0),
      maxBars: z.number().int().min(1),
      quote: QuoteSchema.loose().nullable(),
    }),
  ),
});
export type WindowsIndex = z.infer<typeof WindowsIndexSchema>;

const BAR_COLUMNS = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;

/** sameShape(shape, state) = the state's windows have exactly this shape (no allocation). */
function sameShape(shape: Shape, state: SymbolState): boolean {
  let i = 0;
  for (const key in state.slots) if (shape.slots[i++] !== key) return false;
  if (i !== shape.slots.length) return false;
  i = 0;
  for (const horizon in state.blendHistory) {
    const entry = shape.blend[i++];
    if (!entry || entry[0] !== horizon || entry[1] !== state.blendHistory[horizon].width) return false;
  }
  if (i !== shape.blend.length) return false;
  i = 0;
  for (const horizon in state.pending) {
    const entry = shape.pending[i++];
    const families = state.pending[horizon].families;
    if (!entry || entry[0] !== horizon || entry[1].length !== families.length || entry[1].some((f, k) => f !== families[k])) return false;
  }
  return i === shape.pending.length;
}

function shapeOf(state: SymbolState): Shape {
  return {
    slots: Object.keys(state.slots),
    blend: Object.entries(state.blendHistory).map(([horizon, h]) => [horizon, h.width] as [string, number]),
    pending: Object.entries(state.pending).map(([horizon, q]) => [horizon, [...q.families]] as [string, string[]]),
  };
}

/** The live rows of every lane of a window, copied into the stream. */
function addWindow(writer: LaneWriter, window: RollingWindow, lanes: number): void {
  for (let k = 0; k < lanes; k++) writer.add(window.lanes[k], window.start, window.end);
}

/** windowsIndex(states) = the section's JSON index (shapes, then one entry per symbol). */
export function windowsIndex(states: Iterable<SymbolState>): WindowsIndex {
  const index: WindowsIndex = { shapes: [], symbols: [] };
  for (const state of states) {
    let shape = index.shapes.findIndex((s) => sameShape(s, state));
    if (shape < 0) shape = index.shapes.push(shapeOf(state)) - 1;
    index.symbols.push({ symbol: state.symbol, shape, barCount: state.barCount, maxBars: state.maxBars, quote: state.quote });
  }
  return index;
}

/** One read per 64-byte cache line of the live rows of a window's first `lanes` lanes. */
function warmWindow(window: RollingWindow, lanes: number): number {
  let sum = 0;
  for (let k = 0; k < lanes; k++) {
    const lane = window.lanes[k];
    const step = 64 / lane.BYTES_PER_ELEMENT;
    for (let i = window.start; i < window.end; i += step) sum += lane[i];
  }
  return sum;
}

/**
 * warm(state) = a sum over one value per cache line of every lane of `state` the encoder copies.
 * Why: the lanes (and the objects leading to them) are small and scattered over the heap, and the
 * copy loops stall on their cache misses one after another; a read-only pass over the lanes of
 * the next symbol lets the CPU overlap those misses, so the copies find the lines in cache (500
 * symbols on the 2-core bench machine: 31 ms per pack without, ~25 with; warming further ahead
 * measured no better). The sum only keeps the reads from being optimised away.
 */
function warm(state: SymbolState): number {
  let sum = 0;
  for (const key in state.slots) {
    const slot = state.slots[key];
    sum += warmWindow(slot.raw.window, 1) + warmWindow(slot.pairs.window, 2) + warmWindow(slot.errors, 1);
  }
  for (const horizon in state.blendHistory) sum += warmWindow(state.blendHistory[horizon].window, state.blendHistory[horizon].window.lanes.length);
  for (const horizon in state.pending) sum += warmWindow(state.pending[horizon].window, state.pending[horizon].window.lanes.length);
  return sum;
}

/** Bytes of lanes between two regions handed to `emit` (the store writes each while the next is built). */
const REGION_BYTES = 1 << 20;

/**
 * encodeLanes(states, index, writer, emit) packs every symbol's lanes in index order, handing
 * each ~1 MiB region to `emit` as soon as it is complete (views of the writer's buffer, valid
 * until its next reset). The states must be the ones the index was made from, unchanged: a
 * symbol whose bar count or shape differs from its entry throws instead of writing a stream that
 * would not match its index. Returns the look-ahead sum (see `warm`).
 */
export function encodeLanes(states: ReadonlyMap<string, SymbolState>, index: WindowsIndex, writer: LaneWriter, emit: (region: Uint8Array) => void): number {
  writer.reset();
  let warmth = 0;
  for (let i = 0; i < index.symbols.length; i++) {
    const entry = index.symbols[i];
    const state = states.get(entry.symbol);
    const next = i + 1 < index.symbols.length ? states.get(index.symbols[i + 1].symbol) : undefined;
    if (next) warmth += warm(next);
    const shape = index.shapes[entry.shape];
    if (!state || !shape || state.barCount !== entry.barCount || !sameShape(shape, state)) {
      throw new StateError('STATE_WRITE_INVALID', `windows of ${entry.symbol} changed between the snapshot index and its lanes`, {
        hint: 'no cycle may run while a snapshot is being written: await each write',
      });
    }
    for (const column of BAR_COLUMNS) writer.add(state.bars[column]);
    for (const key of shape.slots) {
      const slot = state.slots[key];
      addWindow(writer, slot.raw.window, 1); // raw outputs (lane 1 is derived)
      addWindow(writer, slot.pairs.window, 2); // predictions, realised (lanes 2-3 are ranks)
      addWindow(writer, slot.errors, 1);
    }
    for (const [horizon, width] of shape.blend) addWindow(writer, state.blendHistory[horizon].window, 1 + width);
    for (const [horizon, families] of shape.pending) addWindow(writer, state.pending[horizon].window, 2 + families.length);
    if (writer.pending >= REGION_BYTES) emit(writer.take());
  }
  if (writer.pending > 0) emit(writer.take());
  return warmth;
}

/** encodeWindows(states) = the index and the packed lanes in one piece (a view of the writer's buffer). */
export function encodeWindows(states: ReadonlyMap<string, SymbolState>, writer: LaneWriter = new LaneWriter()): { index: WindowsIndex; bytes: Uint8Array } {
  const index = windowsIndex(states.values());
  encodeLanes(states, index, writer, () => undefined);
  return { index, bytes: writer.bytes() };
}

function invalid(message: string): StateError {
  return new StateError('STATE_WINDOWS_INVALID', `snapshot windows invalid: ${message}`, {
    hint: 'the binary section does not match its index; the generation is rejected',
  });
}

/** Lanes of one window, all of the same length. */
function sameLength(lanes: readonly LaneData[]): void {
  for (const lane of lanes) if (lane.length !== lanes[0].length) throw invalid(`lanes of ${lanes[0].length} and ${lane.length} values in one window`);
}

/** A lane that must be float32 (lanes written from a Float32Array always are). */
function float32(lane: LaneData): Float32Array {
  if (!(lane instanceof Float32Array)) throw invalid('expected a float32 lane');
  return lane;
}

/** A plain number[] copy of a lane (Array.from walks a typed array through its iterator: slow). */
function numbers(lane: LaneData): number[] {
  const out = new Array<number>(lane.length);
  for (let i = 0; i < lane.length; i++) out[i] = lane[i];
  return out;
}

/**
 * decodeWindows(index, bytes) = every symbol's state, or a StateError naming the symbol and part
 * that does not fit. The restored lanes are carved out of one arena (rollingWindow.ts laneArena).
 */
export function decodeWindows(index: WindowsIndex, bytes: Uint8Array): Record<string, SymbolState> {
  const alloc = laneArena();
  const out: Record<string, SymbolState> = {};
  let symbol = '';
  let part = 'header';
  try {
    const reader = new LaneReader(bytes);
    for (const entry of index.symbols) {
      symbol = entry.symbol;
      part = 'shape';
      const shape = index.shapes[entry.shape];
      if (!shape) throw invalid(`shape ${entry.shape} of ${index.shapes.length}`);
      if (Object.hasOwn(out, symbol)) throw invalid('listed twice');
      part = 'bars';
      const columns = BAR_COLUMNS.map(() => reader.nextFloat());
      sameLength(columns);
      // More bars than were ever seen, or than the ring holds, can only be another state's lanes.
      if (columns[0].length > Math.min(entry.barCount, entry.maxBars)) throw invalid(`${columns[0].length} bars for a bar count of ${entry.barCount} (ring of ${entry.maxBars})`);
      const [ts, open, high, low, close, volume] = columns.map(numbers);
      const slots: Record<string, SlotWindows> = {};
      for (const key of shape.slots) {
        part = key;
        const raw = reader.nextFloat();
        const predictions = reader.nextFloat();
        const realised = reader.nextFloat();
        sameLength([predictions, realised]);
        const errors = reader.nextFloat();
        // The same constructors as symbolState's restore: they rebuild the derived lanes.
        slots[key] = { raw: new StandardizerWindow(raw, alloc), pairs: new RankedPairs(predictions, realised, alloc), errors: new RollingWindow(errors, [Float32Array], alloc) };
      }
      const blendHistory: Record<string, BlendHistory> = {};
      for (const [horizon, width] of shape.blend) {
        part = `blend ${horizon}`;
        const mask = reader.nextInt();
        const zs: Float32Array[] = [];
        for (let f = 0; f < width; f++) zs.push(float32(reader.next()));
        sameLength([mask, ...zs]);
        blendHistory[horizon] = BlendHistory.fromLanes(mask, zs, alloc);
      }
      const pending: Record<string, PendingPredictions> = {};
      for (const [horizon, families] of shape.pending) {
        part = `pending ${horizon}`;
        const lanes: LaneData[] = [];
        for (let k = 0; k < 2 + families.length; k++) lanes.push(reader.nextFloat());
        sameLength(lanes);
        pending[horizon] = new PendingPredictions(families, [], lanes, alloc);
      }
      out[symbol] = { symbol, barCount: entry.barCount, bars: { ts, open, high, low, close, volume }, maxBars: entry.maxBars, quote: entry.quote, slots, blendHistory, pending };
    }
    symbol = '';
    part = 'end';
    reader.finish();
  } catch (err) {
    if (!(err instanceof StateError)) throw err;
    throw invalid(`${symbol ? `${symbol} ` : ''}${part}: ${err.message.replace(/^snapshot windows invalid: /, '')}`);
  }
  return out;
}
