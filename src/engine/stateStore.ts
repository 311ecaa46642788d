/**
 * The engine's snapshot document (SPEC 8): one lowdb JSON document per cycle holding the engine
 * actor's persisted snapshot (supervisor with portfolio, risk and kill-switch latch, open orders,
 * bandit; every symbol actor), the per-symbol windows, the broker's own state (paper), the data
 * cursor (inside the engine context) and the last applied control command. Cycle number, config
 * hash and schema version are in the envelope.
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import { SnapshotStore, StateRefusedError, type SnapshotEnvelope } from '../persistence/snapshotStore.ts';
import { SymbolStore } from './symbolStore.ts';
import { decodeNumbers, encodeNumbers } from '../persistence/numericCodec.ts';
import type { SymbolState } from './symbolState.ts';
import type { TradingEngine } from './TradingEngine.ts';

export const SNAPSHOT_SCHEMA_VERSION = 1;

export const EngineDocumentSchema = z.object({
  engine: z.record(z.string(), z.unknown()),
  symbols: z.record(z.string(), z.unknown()),
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
  const result = await store.loadLatest();
  if (result.status === 'none') return null;
  if (result.status === 'corrupt') throw new StateRefusedError(store.dir, result.skipped);
  for (const skipped of result.skipped) options.logger.error(skipped, 'snapshot rejected; restarting from an older generation');
  const envelope: SnapshotEnvelope<EngineDocument> = result.envelope;
  return {
    cycle: envelope.cycle,
    configHash: envelope.configHash,
    engine: envelope.payload.engine,
    symbols: SymbolStore.decode(envelope.payload.symbols),
    broker: envelope.payload.broker,
    predictor: envelope.payload.predictor ? decodeNumbers(envelope.payload.predictor) : null,
    controlSeq: envelope.payload.controlSeq,
    file: result.file,
  };
}

export function engineDocument(engine: TradingEngine, broker: { toJSON?: () => unknown }, controlSeq: number): EngineDocument {
  return {
    engine: engine.persistedSnapshot() as Record<string, unknown>,
    symbols: engine.store.toJSON(),
    broker: broker.toJSON ? broker.toJSON() : null,
    predictor: engine.predictor.toJSON ? encodeNumbers(engine.predictor.toJSON()) : null,
    controlSeq,
  };
}
