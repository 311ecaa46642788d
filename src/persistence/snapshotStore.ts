/**
 * The snapshot store (SPEC 8): one lowdb JSON document per cycle, `state-<cycle>.json` with the
 * cycle zero-padded to 10 digits so name order is cycle order. Each write is durable (temp file,
 * fsync, rename, directory fsync: see durableJsonFile.ts for why lowdb's JSONFile is not enough)
 * and the newest `generations` files are kept. Loading tries the newest first and falls back to
 * older ones, logging why each rejected file was rejected; rejected files are moved to
 * `<dir>/rejected/`, never deleted. Single writer per directory: the engine owns its state dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Low, LowSync } from 'lowdb';
import type { z } from 'zod';
import { monotonicMs } from '../core/clock.ts';
import { StateError } from '../core/errors.ts';
import { DurableJsonFile, DurableJsonFileSync, fsyncDirectorySync, TEMP_SUFFIX } from './durableJsonFile.ts';
import { stderrLogger, type PersistenceLogger } from './logger.ts';
import { envelopeJson, sealEnvelope, verifyEnvelope, type Sealed, type SnapshotEnvelope, type SnapshotInput } from './envelope.ts';

export type { SnapshotEnvelope, SnapshotInput } from './envelope.ts';

/** A pino logger fits; without one, errors go to stderr as JSON lines. */
export type SnapshotLogger = PersistenceLogger;

export interface SnapshotStoreOptions<T> {
  dir: string;
  /** How many newest files to keep (default 5, at least 1). */
  generations?: number;
  schemaVersion: number;
  payloadSchema?: z.ZodType<T>;
  logger?: SnapshotLogger;
  /**
   * Hash the payload's canonical JSON (sorted keys; default) or its plain JSON.stringify text.
   * The plain text is much faster for large payloads and is just as deterministic when the caller
   * builds the payload in a fixed key order (the engine does). Either way the file stores exactly
   * the hashed text and loading hashes the payload bytes as found in the file.
   */
  canonical?: boolean;
}

export interface SkippedSnapshot {
  file: string;
  reason: string;
}

export type LoadResult<T> =
  | { status: 'ok'; envelope: SnapshotEnvelope<T>; file: string; skipped: SkippedSnapshot[] }
  | { status: 'none' }
  | { status: 'corrupt'; skipped: SkippedSnapshot[] };

export interface WriteReport {
  file: string;
  bytes: number;
  ms: number;
}

const SNAPSHOT_NAME = /^state-(\d{10})\.json$/;
export const REJECTED_DIR = 'rejected';

/** snapshotFileName(42) = 'state-0000000042.json'. */
export function snapshotFileName(cycle: number): string {
  return `state-${String(cycle).padStart(10, '0')}.json`;
}

export class SnapshotStore<T> {
  readonly dir: string;
  readonly generations: number;
  readonly schemaVersion: number;
  readonly #payloadSchema: z.ZodType<T> | undefined;
  readonly #canonical: boolean;
  readonly #logger: SnapshotLogger;
  // Async writes run one after another, so pruning never races a rename of the same store.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SnapshotStoreOptions<T>) {
    const generations = options.generations ?? 5;
    if (!Number.isInteger(generations) || generations < 1) {
      throw new StateError('STATE_CONFIG_INVALID', `generations must be an integer >= 1, got ${generations}`, { input: String(generations) });
    }
    this.dir = options.dir;
    this.generations = generations;
    this.schemaVersion = options.schemaVersion;
    this.#payloadSchema = options.payloadSchema;
    this.#canonical = options.canonical ?? true;
    this.#logger = options.logger ?? stderrLogger;
  }

  /** Durably write the snapshot of `input.cycle`, then prune to the newest `generations` files. */
  write(input: SnapshotInput<T>): Promise<WriteReport> {
    const run = this.#queue.then(() => this.#writeNow(input));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #writeNow(input: SnapshotInput<T>): Promise<WriteReport> {
    const started = monotonicMs();
    const sealed = this.#seal(input);
    await fs.promises.mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, snapshotFileName(sealed.envelope.cycle));
    const adapter = new DurableJsonFile<SnapshotEnvelope<T>>(file, () => envelopeJson(sealed));
    await new Low(adapter, sealed.envelope).write();
    this.#prune();
    return { file, bytes: adapter.lastWrite.bytes, ms: monotonicMs() - started };
  }

  /** Blocking twin of `write`, for a SIGTERM handler where the event loop may not run again. */
  writeSync(input: SnapshotInput<T>): WriteReport {
    const started = monotonicMs();
    const sealed = this.#seal(input);
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, snapshotFileName(sealed.envelope.cycle));
    const adapter = new DurableJsonFileSync<SnapshotEnvelope<T>>(file, () => envelopeJson(sealed));
    new LowSync(adapter, sealed.envelope).write();
    this.#prune();
    return { file, bytes: adapter.lastWrite.bytes, ms: monotonicMs() - started };
  }

  // Cycles only move forward: a write older than the newest file would be pruned at once or,
  // worse, be shadowed by a newer file from another run at the next load.
  #seal(input: SnapshotInput<T>): Sealed<T> {
    const sealed = sealEnvelope(input, { schemaVersion: this.schemaVersion, payloadSchema: this.#payloadSchema, canonical: this.#canonical });
    const newest = this.#names().at(-1);
    if (newest !== undefined && newest > snapshotFileName(sealed.envelope.cycle)) {
      throw new StateError('STATE_WRITE_INVALID', `refusing to write cycle ${sealed.envelope.cycle}: ${newest} in ${this.dir} is newer`, {
        input: path.join(this.dir, newest),
        hint: 'load the state with loadLatest() before writing, or start with --fresh to move the old files aside',
      });
    }
    return sealed;
  }

  /** Newest valid snapshot; each rejected newer file is logged at error level with its reason. */
  async loadLatest(): Promise<LoadResult<T>> {
    this.#removeTempFiles();
    const files = this.list().reverse();
    if (files.length === 0) return { status: 'none' };
    const skipped: SkippedSnapshot[] = [];
    for (const file of files) {
      const verdict = await this.#readOne(file);
      if (verdict.ok) {
        this.#moveRejected(skipped);
        this.#logger.info?.({ file, cycle: verdict.envelope.cycle, skipped: skipped.length }, 'snapshot loaded');
        return { status: 'ok', envelope: verdict.envelope, file, skipped };
      }
      this.#logger.error({ file, reason: verdict.reason }, `snapshot rejected: ${path.basename(file)}: ${verdict.reason}`);
      skipped.push({ file, reason: verdict.reason });
    }
    // All rejected: leave them in place, the operator must see them (and --fresh moves them).
    return { status: 'corrupt', skipped };
  }

  async #readOne(file: string): Promise<{ ok: true; envelope: SnapshotEnvelope<T> } | { ok: false; reason: string }> {
    const adapter = new DurableJsonFile<unknown>(file);
    const db = new Low<unknown>(adapter, null);
    try {
      await db.read();
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    if (db.data === null) return { ok: false, reason: 'file vanished while loading' };
    const cycle = Number(SNAPSHOT_NAME.exec(path.basename(file))?.[1]);
    return verifyEnvelope<T>(db.data, { schemaVersion: this.schemaVersion, cycle, payloadSchema: this.#payloadSchema }, adapter.lastText ?? undefined);
  }

  /** True when at least one snapshot file exists (valid or not). */
  hasAny(): boolean {
    return this.list().length > 0;
  }

  /** Paths of the snapshot files, oldest cycle first (temp and side files are not listed). */
  list(): string[] {
    return this.#names().map((name) => path.join(this.dir, name));
  }

  /**
   * `--fresh`: move every snapshot (and rejected/) into `<dir>/discarded-<n>/` so nothing recorded
   * is lost. Returns that directory, or null when there was nothing to move.
   */
  clear(): string | null {
    this.#removeTempFiles();
    const names = this.#names();
    const rejected = path.join(this.dir, REJECTED_DIR);
    const hasRejected = fs.existsSync(rejected);
    if (names.length === 0 && !hasRejected) return null;
    let n = 1;
    while (fs.existsSync(path.join(this.dir, `discarded-${n}`))) n += 1;
    const target = path.join(this.dir, `discarded-${n}`);
    fs.mkdirSync(target);
    for (const name of names) fs.renameSync(path.join(this.dir, name), path.join(target, name));
    if (hasRejected) fs.renameSync(rejected, path.join(target, REJECTED_DIR));
    fsyncDirectorySync(target);
    fsyncDirectorySync(this.dir);
    this.#logger.warn({ dir: this.dir, movedTo: target, files: names.length }, 'state discarded (--fresh): files moved, not deleted');
    return target;
  }

  #names(): string[] {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries.filter((name) => SNAPSHOT_NAME.test(name)).sort();
  }

  #prune(): void {
    const names = this.#names();
    for (const name of names.slice(0, Math.max(0, names.length - this.generations))) {
      fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  // A temp file is a write that never reached its rename: it holds nothing a snapshot does not.
  #removeTempFiles(): void {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith('.state-') && name.endsWith(TEMP_SUFFIX)) {
        fs.rmSync(path.join(this.dir, name), { force: true });
        this.#logger.warn({ file: path.join(this.dir, name) }, 'removed leftover temp file of an interrupted snapshot write');
      }
    }
  }

  // Files newer than the loaded one were rejected; keep them for inspection, out of the way of
  // the cycles that will be written again under the same names.
  #moveRejected(skipped: SkippedSnapshot[]): void {
    if (skipped.length === 0) return;
    const target = path.join(this.dir, REJECTED_DIR);
    fs.mkdirSync(target, { recursive: true });
    for (const entry of skipped) {
      const base = path.basename(entry.file);
      let dest = path.join(target, base);
      for (let n = 1; fs.existsSync(dest); n += 1) dest = path.join(target, `${base}.${n}`);
      fs.renameSync(entry.file, dest);
      this.#logger.warn({ file: entry.file, movedTo: dest, reason: entry.reason }, 'rejected snapshot moved aside');
    }
    fsyncDirectorySync(this.dir);
  }
}

/**
 * The engine refuses to start: snapshot files exist but none is usable, and positions may be
 * open at the broker, so starting from nothing could double them.
 */
export class StateRefusedError extends StateError {
  readonly skipped: SkippedSnapshot[];
  constructor(dir: string, skipped: SkippedSnapshot[]) {
    const reasons = skipped.map((s) => `${path.basename(s.file)}: ${s.reason}`).join('; ');
    super(
      'STATE_CORRUPT',
      `no valid snapshot in ${dir} (${skipped.length} generation${skipped.length === 1 ? '' : 's'} corrupt: ${reasons}); ` +
        'positions may exist at the broker. Start with --fresh to discard the state, or fix/restore a snapshot file',
      { input: dir, hint: `--fresh moves the files to ${path.join(dir, 'discarded-<n>')}/, it deletes nothing` },
    );
    this.skipped = skipped;
  }
}
