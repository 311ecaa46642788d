/**
 * The engine's snapshot document (SPEC 8): one lowdb JSON document per cycle holding the engine
 * actor's persisted snapshot (supervisor with portfolio, risk and kill-switch latch, open orders,
 * bandit; every symbol actor), the per-symbol windows, the broker's own state (paper), the data
 * cursor (inside the engine context) and the last applied control command. Cycle number, config
 * hash and schema version are in the envelope.
 *
 * The windows are an index in the payload (`windows`) and one packed stream of their lanes in the
 * envelope's binary section (windowsCodec.ts); both are covered by the checksum.
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import { StateError } from '../core/errors.ts';
import { SnapshotStore, StateRefusedError, type BinaryProducer, type SnapshotEnvelope } from '../persistence/snapshotStore.ts';
import { SymbolStore } from './symbolStore.ts';
import { decodeNumbers, encodeNumbers } from '../persistence/numericCodec.ts';
import type { SymbolState } from './symbolState.ts';
import type { TradingEngine } from './TradingEngine.ts';
import { WindowsIndexSchema } from './windowsCodec.ts';

/** 2: windows as an index plus one packed binary section (1: per-symbol base64 blobs in JSON). */
export const SNAPSHOT_SCHEMA_VERSION = 2;

export const EngineDocumentSchema = z.object({
  engine: z.record(z.string(), z.unknown()),
  /** Index of the per-symbol windows; their lanes are the envelope's binary section. */
  windows: WindowsIndexSchema,
  broker: z.unknown(),
  /** The predictor's own state (real models: per-symbol feature states). */
  predictor: z.unknown().optional(),
  controlSeq: z.number().int().min(0),
});
export type EngineDocument = z.infer<typeof EngineDocumentSchema>;

export interface RestoredState {
  cycle: number;
  configHash: string;
  engine: Record<string, unknown>;
  symbols: Record<string, SymbolState>;
  broker: unknown;
  predictor: unknown;
  controlSeq: number;
  file: string;
}

export function openStateStore(dir: string, logger: Logger): SnapshotStore<EngineDocument> {
  return new SnapshotStore<EngineDocument>({
    dir,
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    payloadSchema: EngineDocumentSchema as z.ZodType<EngineDocument>,
    // The document is built in a fixed key order: plain JSON text hashes as deterministically, fast.
    canonical: false,
    logger: { error: (obj, msg) => logger.error(obj, msg), warn: (obj, msg) => logger.warn(obj, msg), info: (obj: object, msg: string) => logger.info(obj, msg) },
  });
}

/**
 * Newest valid generation, or null when there is none at all. All generations corrupt ->
 * refusal explaining --fresh (positions may exist). `fresh` moves existing files aside first.
 */
export async function loadState(store: SnapshotStore<EngineDocument>, options: { fresh: boolean; logger: Logger }): Promise<RestoredState | null> {
  if (options.fresh) {
    const moved = store.clear();
    if (moved) options.logger.warn({ movedTo: moved }, '--fresh: previous snapshots moved aside');
    return null;
  }
  // Decoding inside loadLatest: windows that do not fit their index reject that generation and
  // the store falls back to an older one, as for a bad checksum.
  const result = await store.loadLatest(decodeDocument);
  if (result.status === 'none') return null;
  if (result.status === 'corrupt') throw new StateRefusedError(store.dir, result.skipped);
  for (const skipped of result.skipped) options.logger.error(skipped, 'snapshot rejected; restarting from an older generation');
  const envelope: SnapshotEnvelope<EngineDocument> = result.envelope;
  return {
    cycle: envelope.cycle,
    configHash: envelope.configHash,
    engine: envelope.payload.engine,
    symbols: result.decoded.symbols,
    broker: envelope.payload.broker,
    predictor: result.decoded.predictor,
    controlSeq: envelope.payload.controlSeq,
    file: result.file,
  };
}

function decodeDocument(envelope: SnapshotEnvelope<EngineDocument>): { symbols: Record<string, SymbolState>; predictor: unknown } {
  if (envelope.binary === undefined) {
    throw new StateError('STATE_WINDOWS_INVALID', 'snapshot windows invalid: the binary section with the window lanes is missing', {
      hint: 'the file was cut or edited; the generation is rejected',
    });
  }
  return {
    symbols: SymbolStore.decode(envelope.payload.windows, envelope.binary),
    predictor: envelope.payload.predictor ? decodeNumbers(envelope.payload.predictor) : null,
  };
}

/** What a snapshot write takes from the engine: the JSON document and the packed window lanes. */
export interface EngineSnapshot {
  payload: EngineDocument;
  /** Packs the lanes when the store writes them (see SymbolStore.section). */
  binary: BinaryProducer;
}

/**
 * engineDocument(...) = the snapshot of this cycle, for `store.write({ ...head, ...engineDocument(...) })`.
 * The window lanes are packed while the store writes them: no cycle may run until that write
 * settles (the runner awaits it; a symbol changed meanwhile fails the write).
 */
export function engineDocument(engine: TradingEngine, broker: { toJSON?: () => unknown }, controlSeq: number): EngineSnapshot {
  const windows = engine.store.section();
  return {
    payload: {
      engine: engine.persistedSnapshot() as Record<string, unknown>,
      windows: windows.index,
      broker: broker.toJSON ? broker.toJSON() : null,
      predictor: engine.predictor.toJSON ? encodeNumbers(engine.predictor.toJSON()) : null,
      controlSeq,
    },
    binary: windows.lanes,
  };
}
