import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.ts';
import { ScriptedPredictor } from '../../src/engine/scriptedPredictor.ts';
import { loadState, openStateStore, SNAPSHOT_SCHEMA_VERSION } from '../../src/engine/stateStore.ts';
import { SymbolStore } from '../../src/engine/symbolStore.ts';
import { ingestBar, pushRaw, symbolStateToJSON, type SymbolStateLimits } from '../../src/engine/symbolState.ts';
import { StateRefusedError, SnapshotStore } from '../../src/persistence/snapshotStore.ts';
import { binaryFileName } from '../../src/persistence/snapshotStore.ts';

const logger = pino({ level: 'silent' });
const config = defaultConfig();
const predictor = new ScriptedPredictor({ horizons: config.horizons, barMinutes: 1 });
const limits: SymbolStateLimits = { maxBars: 64, standardizationWindow: 100, icWindow: 50, blendWindow: 50, barMinutes: 1 };
const symbols = ['SPY', 'IBM'];

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-state-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Windows after `bars` bars, with raws on every alpha slot. */
function windowsAfter(bars: number): SymbolStore {
  const store = new SymbolStore(symbols, predictor.slots, limits);
  for (const symbol of symbols) {
    const state = store.get(symbol);
    for (let i = 0; i < bars; i++) {
      ingestBar(state, { symbol, ts: 60_000 * i, open: 10, high: 10, low: 10, close: 10 + Math.sin(i), volume: 100 }, limits);
      for (const slot of predictor.slots) if (slot.role === 'alpha') pushRaw(state.slots[slot.key], Math.cos(i + slot.key.length) / 1000, 100);
    }
  }
  return store;
}

const documentOf = (windows: SymbolStore, cycle: number) => {
  const section = windows.section();
  return { runId: 'r', cycle, writtenAtMs: cycle, configHash: 'h', payload: { engine: { cycle }, windows: section.index, broker: null, predictor: null, controlSeq: 0 }, binary: section.lanes };
};

describe('engine state store (schema version 2: windows index + binary sidecar)', () => {
  it('restores the windows written through the real store exactly', async () => {
    const windows = windowsAfter(70);
    await openStateStore(dir, logger).write(documentOf(windows, 3));
    const restored = (await loadState(openStateStore(dir, logger), { fresh: false, logger }))!;
    expect(restored.cycle).toBe(3);
    expect(restored.engine).toEqual({ cycle: 3 });
    for (const symbol of symbols) expect(symbolStateToJSON(restored.symbols[symbol])).toEqual(symbolStateToJSON(windows.get(symbol)));
  });

  it('falls back to the previous generation when the newest sidecar is damaged', async () => {
    const store = openStateStore(dir, logger);
    const older = windowsAfter(20);
    await store.write(documentOf(older, 1));
    await store.write(documentOf(windowsAfter(30), 2));
    const bin = path.join(dir, binaryFileName(2));
    const bytes = fs.readFileSync(bin);
    bytes[bytes.length - 3] ^= 0x40;
    fs.writeFileSync(bin, bytes);
    const restored = (await loadState(openStateStore(dir, logger), { fresh: false, logger }))!;
    expect(restored.cycle).toBe(1);
    expect(symbolStateToJSON(restored.symbols.SPY)).toEqual(symbolStateToJSON(older.get('SPY')));
  });

  it('falls back when the lanes do not fit their index (checksums fine, contents wrong)', async () => {
    const store = openStateStore(dir, logger);
    await store.write(documentOf(windowsAfter(20), 1));
    const mismatched = documentOf(windowsAfter(10), 2);
    mismatched.binary = windowsAfter(30).section().lanes; // lanes of another state under this index
    await store.write(mismatched);
    const reasons: string[] = [];
    const restored = (await loadState(openStateStore(dir, logger), { fresh: false, logger: { ...logger, error: (obj: { reason?: string }) => reasons.push(obj.reason ?? '') } as never }))!;
    expect(restored.cycle).toBe(1);
    expect(reasons[0]).toBe('snapshot windows invalid: SPY bars: 30 bars for a bar count of 10 (ring of 64)');
  });

  it('rejects a snapshot of the previous schema version with a clear reason (and refuses to start on it alone)', async () => {
    expect(SNAPSHOT_SCHEMA_VERSION).toBe(2);
    const old = new SnapshotStore<unknown>({ dir, schemaVersion: 1, logger: { error: () => undefined, warn: () => undefined } });
    await old.write({ runId: 'r', cycle: 5, writtenAtMs: 0, configHash: 'h', payload: { engine: {}, symbols: {}, broker: null, controlSeq: 0 } });
    const refusal = await loadState(openStateStore(dir, logger), { fresh: false, logger }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(StateRefusedError);
    expect((refusal as StateRefusedError).skipped[0].reason).toBe('schema version 1, expected 2 (written by an older engine version)');
    expect((refusal as StateRefusedError).message).toContain('1 generation from another engine version: state-0000000005.json');
  });
});
