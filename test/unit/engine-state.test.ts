import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlendHistory } from '../../src/engine/blendHistory.ts';
import { ScriptedPredictor } from '../../src/engine/scriptedPredictor.ts';
import { alignedCorrelation, buildStagePlan } from '../../src/engine/stagePlan.ts';
import { SymbolStore } from '../../src/engine/symbolStore.ts';
import { ingestBar, pushRaw, recordPending, symbolStateToJSON, type SymbolStateLimits } from '../../src/engine/symbolState.ts';
import { correlationMatrix } from '../../src/pipeline/blend.ts';
import { defaultConfig } from '../../src/config/schema.ts';

const z = fc.oneof(fc.constant(null), fc.double({ min: -3, max: 3, noNaN: true }), fc.constant(1), fc.constant(NaN));

describe('blend history correlation', () => {
  it('equals correlationMatrix over the rows where every chosen family has a z (filter/map formulation)', () => {
    const plan = buildStagePlan([], defaultConfig());
    fc.assert(
      fc.property(fc.array(fc.tuple(z, z, z), { maxLength: 70 }), fc.integer({ min: 2, max: 50 }), fc.subarray([0, 1, 2], { minLength: 1 }), (rows, cap, columns) => {
        const history = new BlendHistory(3);
        const kept: (number | null)[][] = [];
        for (const row of rows) {
          history.push(row, cap);
          kept.push(row.map((v) => (v === null ? null : Math.fround(v))));
          if (kept.length > cap) kept.shift();
        }
        const aligned = kept.filter((row) => columns.every((c) => row[c] !== null));
        const series = columns.map((c) => aligned.map((row) => row[c] as number));
        expect(alignedCorrelation(history, columns, 10, plan)).toEqual(correlationMatrix(series, 10));
        expect(history.toRows()).toEqual(kept);
      }),
      { numRuns: 300 },
    );
  });
});

describe('symbol state snapshot', () => {
  const config = defaultConfig();
  const predictor = new ScriptedPredictor({ horizons: config.horizons, barMinutes: 1 });
  const limits: SymbolStateLimits = { maxBars: 64, standardizationWindow: 100, icWindow: 50, blendWindow: 50, barMinutes: 1 };

  function drive(store: SymbolStore, from: number, to: number): void {
    const state = store.get('SPY');
    for (let i = from; i < to; i++) {
      const close = 100 * Math.exp(0.01 * Math.sin(i / 3));
      ingestBar(state, { symbol: 'SPY', ts: 60_000 * i, open: close, high: close, low: close, close, volume: 1000 + i }, limits);
      for (const horizon of config.horizons) {
        const raws: Record<string, number | null> = {};
        for (const slot of predictor.slots) {
          if (slot.role !== 'alpha' || slot.horizon !== horizon) continue;
          raws[slot.family] = i % 7 === 0 ? null : Math.sin(i * 1.3 + slot.key.length) * 0.001;
          if (raws[slot.family] !== null) pushRaw(state.slots[slot.key], raws[slot.family]!, 100);
        }
        recordPending(state, horizon, raws, 1);
        state.blendHistory[horizon].push([Math.cos(i), i % 5 === 0 ? null : Math.sin(i), 0.5], 50);
      }
    }
  }

  it('round-trips through encode/decode exactly and the restored state continues identically', () => {
    const live = new SymbolStore(['SPY'], predictor.slots, limits);
    drive(live, 0, 300);
    const { index, bytes } = live.encode();
    const restored = new SymbolStore(['SPY'], predictor.slots, limits, SymbolStore.decode(JSON.parse(JSON.stringify(index)), bytes.slice()));
    expect(symbolStateToJSON(restored.get('SPY'))).toEqual(symbolStateToJSON(live.get('SPY')));
    drive(live, 300, 420);
    drive(restored, 300, 420);
    expect(symbolStateToJSON(restored.get('SPY'))).toEqual(symbolStateToJSON(live.get('SPY')));
    const slot = predictor.slots.find((s) => s.role === 'alpha')!.key;
    expect(restored.get('SPY').slots[slot].pairs.spearman()).toBe(live.get('SPY').slots[slot].pairs.spearman());
    expect(restored.get('SPY').slots[slot].raw.z(20)).toBe(live.get('SPY').slots[slot].raw.z(20));
  });
});
