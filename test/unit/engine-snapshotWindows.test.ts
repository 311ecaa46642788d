import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.ts';
import { StateError } from '../../src/core/errors.ts';
import { LaneWriter } from '../../src/persistence/laneCodec.ts';
import { ScriptedPredictor } from '../../src/engine/scriptedPredictor.ts';
import type { RollingWindow } from '../../src/engine/rollingWindow.ts';
import { SymbolStore } from '../../src/engine/symbolStore.ts';
import { ingestBar, pushBlendRow, pushRaw, recordPending, symbolStateToJSON, type SymbolState, type SymbolStateLimits } from '../../src/engine/symbolState.ts';
import { decodeWindows, encodeLanes, windowsIndex, type WindowsIndex } from '../../src/engine/windowsCodec.ts';

const config = defaultConfig();
const predictor = new ScriptedPredictor({ horizons: config.horizons, barMinutes: 1 });
const limits: SymbolStateLimits = { maxBars: 64, standardizationWindow: 100, icWindow: 50, blendWindow: 50, barMinutes: 1 };
const alpha = predictor.slots.filter((s) => s.role === 'alpha');

/** Bars from..to with raw outputs (every 7th missing), pending predictions and blend rows with gaps. */
function drive(state: SymbolState, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const close = 100 * Math.exp(0.01 * Math.sin(i / 3));
    ingestBar(state, { symbol: state.symbol, ts: 1.7e12 + 60_000 * i, open: close, high: close * 1.001, low: close * 0.999, close, volume: 1000 + i }, limits);
    state.quote = { symbol: state.symbol, ts: 1.7e12 + 60_000 * i, bid: close - 0.01, ask: close + 0.01, bidSize: 100, askSize: 200 };
    for (const horizon of config.horizons) {
      const raws: Record<string, number | null> = {};
      for (const slot of alpha) {
        if (slot.horizon !== horizon) continue;
        raws[slot.family] = i % 7 === 0 ? null : Math.sin(i * 1.3 + slot.key.length) * 0.001;
        if (raws[slot.family] !== null) pushRaw(state.slots[slot.key], raws[slot.family]!, limits.standardizationWindow);
      }
      recordPending(state, horizon, raws, 1);
      state.blendHistory[horizon].push([Math.cos(i), i % 5 === 0 ? null : Math.sin(i), 0.5], limits.blendWindow);
    }
  }
}

function storeOf(symbols: string[], setup: (state: SymbolState, k: number) => void): SymbolStore {
  const store = new SymbolStore(symbols, predictor.slots, limits);
  symbols.forEach((symbol, k) => setup(store.get(symbol), k));
  return store;
}

/** Every persisted lane's live values, compared with Object.is (NaN, -0 and float64 widening included). */
function expectSameLanes(a: RollingWindow, b: RollingWindow, lanes: number): void {
  expect(b.length).toBe(a.length);
  for (let k = 0; k < lanes; k++) for (let i = 0; i < a.length; i++) expect(Object.is(b.at(i, k), a.at(i, k))).toBe(true);
}

function expectSameState(live: SymbolState, restored: SymbolState): void {
  expect(symbolStateToJSON(restored)).toEqual(symbolStateToJSON(live));
  for (const key of Object.keys(live.slots)) {
    expectSameLanes(live.slots[key].raw.window, restored.slots[key].raw.window, 1);
    expectSameLanes(live.slots[key].pairs.window, restored.slots[key].pairs.window, 2);
    expectSameLanes(live.slots[key].errors, restored.slots[key].errors, 1);
    const z = (s: SymbolState) => {
      try {
        return s.slots[key].raw.z(5);
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(z(restored)).toEqual(z(live));
    expect(restored.slots[key].pairs.spearman()).toEqual(live.slots[key].pairs.spearman());
  }
  for (const horizon of Object.keys(live.blendHistory)) {
    expectSameLanes(live.blendHistory[horizon].window, restored.blendHistory[horizon].window, 1 + live.blendHistory[horizon].width);
    expect(restored.blendHistory[horizon].fullRows).toBe(live.blendHistory[horizon].fullRows);
  }
  for (const horizon of Object.keys(live.pending)) expectSameLanes(live.pending[horizon].window, restored.pending[horizon].window, 2 + live.pending[horizon].families.length);
}

/** Through JSON (the index) and a copy of the bytes, as a snapshot file would give them back. */
function roundTrip(store: SymbolStore): Record<string, SymbolState> {
  const { index, bytes } = store.encode();
  return SymbolStore.decode(JSON.parse(JSON.stringify(index)) as WindowsIndex, bytes.slice());
}

function windowsError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe('STATE_WINDOWS_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected a StateError');
}

describe('snapshot windows section (JSON index + packed lanes)', () => {
  it('restores full, partly filled and empty windows bit for bit, and the restored states continue identically', () => {
    const symbols = ['FULL', 'PART', 'EMPTY', 'WIDE'];
    const live = storeOf(symbols, (state, k) => {
      if (k === 0) drive(state, 0, 260);
      if (k === 1) drive(state, 0, 9);
      if (k === 3) {
        drive(state, 0, 40);
        // Values that are not float32-exact widen their lanes to float64; they must come back exactly.
        const slot = state.slots[alpha[0].key];
        slot.raw.push(0.1, limits.standardizationWindow);
        slot.pairs.push(0.1, -0.3, limits.icWindow);
        slot.errors.push(0.2, 10);
        slot.pairs.push(NaN, 0.25, limits.icWindow);
      }
    });
    const restored = new SymbolStore(symbols, predictor.slots, limits, roundTrip(live));
    for (const symbol of symbols) expectSameState(live.get(symbol), restored.get(symbol));
    for (const [k, symbol] of symbols.entries()) {
      const from = [260, 9, 0, 40][k];
      drive(live.get(symbol), from, from + 130);
      drive(restored.get(symbol), from, from + 130);
      expectSameState(live.get(symbol), restored.get(symbol));
    }
  });

  it('stores each distinct shape once and restores a symbol whose windows have another shape', () => {
    const live = storeOf(['A', 'B', 'C'], (state) => drive(state, 0, 30));
    pushBlendRow(live.get('B'), '2h', [0.5, null], limits.blendWindow);
    const { index } = live.encode();
    expect(index.shapes).toHaveLength(2);
    expect(index.symbols.map((s) => s.shape)).toEqual([0, 1, 0]);
    const restored = roundTrip(live);
    expect(Object.keys(restored.B.blendHistory)).toEqual(Object.keys(live.get('B').blendHistory));
    for (const symbol of ['A', 'B', 'C']) expectSameState(live.get(symbol), restored[symbol]);
  });

  it('streams the lanes in regions that join to the same bytes as one encode', () => {
    const live = storeOf(Array.from({ length: 60 }, (_, i) => `S${i}`), (state) => drive(state, 0, 120));
    const whole = Buffer.from(live.encode().bytes);
    const section = live.section();
    const regions: Buffer[] = [];
    section.lanes((region) => regions.push(Buffer.from(region)));
    expect(regions.length).toBeGreaterThan(1);
    expect(Buffer.concat(regions).equals(whole)).toBe(true);
    expect(section.index).toEqual(live.encode().index);
  });

  it('refuses to stream lanes of a symbol that changed after its index was taken', () => {
    const live = storeOf(['A'], (state) => drive(state, 0, 10));
    const section = live.section();
    drive(live.get('A'), 10, 11);
    expect(() => section.lanes(() => undefined)).toThrow(/windows of A changed between the snapshot index and its lanes/);
  });

  describe('rejects bytes that do not fit the index, naming the symbol and the part', () => {
    const live = storeOf(['A', 'B'], (state) => drive(state, 0, 60));
    const { index, bytes } = live.encode();
    const json = JSON.parse(JSON.stringify(index)) as WindowsIndex;
    const copy = bytes.slice();

    it('truncated bytes', () => {
      expect(windowsError(() => decodeWindows(json, copy.subarray(0, copy.length - 100)))).toMatch(/^snapshot windows invalid: B pending \S+: binary lane stream invalid: lane \d+ .*past the end/);
    });

    it('an index with a symbol more, or one fewer, than the bytes hold', () => {
      const more = { ...json, symbols: [...json.symbols, { ...json.symbols[0], symbol: 'C' }] };
      expect(windowsError(() => decodeWindows(more, copy))).toMatch(/C bars: .*starts past the end/);
      const fewer = { ...json, symbols: json.symbols.slice(0, 1) };
      expect(windowsError(() => decodeWindows(fewer, copy))).toMatch(/end: .*bytes left after lane/);
    });

    it('a shape that does not exist, a symbol listed twice', () => {
      expect(windowsError(() => decodeWindows({ ...json, symbols: [{ ...json.symbols[0], shape: 3 }] }, copy))).toMatch(/A shape: shape 3 of 1/);
      expect(windowsError(() => decodeWindows({ ...json, symbols: [json.symbols[0], json.symbols[0]] }, copy))).toMatch(/A shape: listed twice/);
    });

    it('lanes of one window with different lengths, and an int32 lane where floats belong', () => {
      const writer = new LaneWriter();
      writer.reset();
      for (let c = 0; c < 6; c++) writer.add([1, 2]);
      writer.add(Float32Array.of(0.5)); // raw
      writer.add(Float32Array.of(0.5, 0.25)); // IC predictions
      writer.add(Float32Array.of(0.5)); // IC realised: one short
      const shape = { slots: [alpha[0].key], blend: [], pending: [] };
      const entry = { symbol: 'X', shape: 0, barCount: 2, maxBars: 64, quote: null };
      expect(windowsError(() => decodeWindows({ shapes: [shape], symbols: [entry] }, writer.bytes().slice()))).toMatch(new RegExp(`X ${alpha[0].key.replace(/\|/g, '\\|')}: lanes of 2 and 1 values`));
      writer.reset();
      writer.add(Int32Array.of(1, 2));
      expect(windowsError(() => decodeWindows({ shapes: [shape], symbols: [entry] }, writer.bytes().slice()))).toMatch(/X bars: .*expected a float lane, found int32/);
    });

    it('bytes that are not a lane stream at all', () => {
      expect(windowsError(() => decodeWindows(json, new Uint8Array(64)))).toMatch(/header: binary lane stream invalid: does not start with the lane stream magic number/);
    });
  });

  it('keeps the index small: shapes are stored once, not per symbol', () => {
    const live = storeOf(Array.from({ length: 50 }, (_, i) => `S${i}`), (state) => drive(state, 0, 5));
    const index = windowsIndex(Array.from({ length: 50 }, (_, i) => live.get(`S${i}`)));
    expect(index.shapes).toHaveLength(1);
    expect(JSON.stringify(index).length / 50).toBeLessThan(220);
    const lanes = new LaneWriter();
    encodeLanes(new Map(Array.from({ length: 50 }, (_, i) => [`S${i}`, live.get(`S${i}`)])), index, lanes, () => undefined);
    expect(lanes.lanes).toBe(50 * (6 + alpha.length * 4 + config.horizons.length * 4 + config.horizons.length * 5));
  });
});
