/**
 * The snapshot store (SPEC 8): one lowdb JSON document per cycle, `state-<cycle>.json` with the
 * cycle zero-padded to 10 digits so name order is cycle order. Each write is durable (temp file,
 * fsync, rename, directory fsync: see durableJsonFile.ts for why lowdb's JSONFile is not enough)
 * and the newest `generations` files are kept. Loading tries the newest first and falls back to
 * older ones, logging why each rejected file was rejected; rejected files are moved to
 * `<dir>/rejected/`, never deleted. Single writer per directory: the engine owns its state dir.
 *
 * A snapshot with binary bytes (the engine's packed windows, ~13 MB at 500 symbols) keeps them in
 * a sidecar `state-<cycle>.bin` (a documented departure from "one document", docs/architecture.md:
 * base64 inside the JSON cost more than the whole 50 ms write budget). The sidecar is staged
 * (temp file, synced writes) and renamed before its JSON document; the document holds its name,
 * length and hash under the document checksum; loading checks them (a missing or altered sidecar
 * rejects that generation, so the store falls back); pruning, rejecting and --fresh move or
 * remove the pair together.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Low, LowSync } from 'lowdb';
import type { z } from 'zod';
import { monotonicMs } from '../core/clock.ts';
import { StateError } from '../core/errors.ts';
import { DurableJsonFile, DurableJsonFileSync, fsyncDirectorySync, StagedBinaryFile, stageFileSync, tempNameFor, TEMP_SUFFIX } from './durableJsonFile.ts';
import { stderrLogger, type PersistenceLogger } from './logger.ts';
import { checkHead, envelopeJson, hashListHex, partDigest, sealEnvelope, verifyEnvelope, type BinaryProducer, type BinaryRef, type Sealed, type SnapshotEnvelope, type SnapshotInput } from './envelope.ts';

export type { BinaryProducer, SnapshotEnvelope, SnapshotInput } from './envelope.ts';

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

/** `decoded` is what loadLatest's decode step made of the envelope (undefined without one). */
export type LoadResult<T, D = undefined> =
  | { status: 'ok'; envelope: SnapshotEnvelope<T>; decoded: D; file: string; skipped: SkippedSnapshot[] }
  | { status: 'none' }
  | { status: 'corrupt'; skipped: SkippedSnapshot[] };

export interface WriteReport {
  file: string;
  bytes: number;
  ms: number;
}

const SNAPSHOT_NAME = /^state-(\d{10})\.json$/;
const BINARY_NAME = /^state-(\d{10})\.bin$/;
export const REJECTED_DIR = 'rejected';

/** snapshotFileName(42) = 'state-0000000042.json'. */
export function snapshotFileName(cycle: number): string {
  return `state-${String(cycle).padStart(10, '0')}.json`;
}

/** binaryFileName(42) = 'state-0000000042.bin': the sidecar of that cycle's document. */
export function binaryFileName(cycle: number): string {
  return `state-${String(cycle).padStart(10, '0')}.bin`;
}

/** The sidecar path of a document path (same directory, same cycle). */
function binaryOf(file: string): string {
  return file.replace(/\.json$/, '.bin');
}

function sha256Digest(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

/** A producer's regions joined into one buffer (the blocking write has nothing to overlap). */
function collect(producer: BinaryProducer): Uint8Array {
  const regions: Uint8Array[] = [];
  producer((region) => regions.push(region));
  return Buffer.concat(regions);
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
    if (input.binary === undefined) {
      const sealed = this.#seal(input, undefined);
      await fs.promises.mkdir(this.dir, { recursive: true });
      return this.#writeDocument(path.join(this.dir, snapshotFileName(sealed.envelope.cycle)), sealed, null, started);
    }
    // Cheap refusals before any file is touched; the payload's own checks run in #seal below.
    checkHead(input, this.schemaVersion);
    this.#checkOrder(input.cycle);
    await fs.promises.mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, snapshotFileName(input.cycle));
    // The sidecar's regions are written and synced by libuv's pool, and hashed there too, while
    // this thread builds the next ones, then seals the document; a refused seal (invalid payload)
    // or a failed write removes the staged sidecar.
    const staged = await StagedBinaryFile.open(binaryOf(file));
    let sealed: Sealed<T>;
    try {
      const parts: number[] = [];
      const digests: Promise<Uint8Array>[] = [];
      const emit = (region: Uint8Array): void => {
        staged.append(region);
        parts.push(region.length);
        digests.push(partDigest(region));
      };
      if (input.binary instanceof Uint8Array) emit(input.binary);
      else input.binary(emit);
      const sha256 = hashListHex(await Promise.all(digests));
      sealed = this.#seal(input, { file: binaryFileName(input.cycle), bytes: staged.bytes, parts, sha256 });
    } catch (err) {
      await staged.discard();
      throw err;
    }
    await staged.finish();
    return this.#writeDocument(file, sealed, staged, started);
  }

  async #writeDocument(file: string, sealed: Sealed<T>, staged: StagedBinaryFile | null, started: number): Promise<WriteReport> {
    const adapter = new DurableJsonFile<SnapshotEnvelope<T>>(file, () => envelopeJson(sealed));
    // Sidecar first: a document never names a sidecar that is not in place. The document's
    // directory fsync makes both renames durable.
    await staged?.commit();
    await new Low(adapter, sealed.envelope).write();
    this.#prune(sealed.envelope.cycle);
    return { file, bytes: adapter.lastWrite.bytes + (staged?.bytes ?? 0), ms: monotonicMs() - started };
  }

  /** Blocking twin of `write`, for a SIGTERM handler where the event loop may not run again. */
  writeSync(input: SnapshotInput<T>): WriteReport {
    const started = monotonicMs();
    const binary = input.binary === undefined || input.binary instanceof Uint8Array ? input.binary : collect(input.binary);
    const ref = binary === undefined ? undefined : { file: binaryFileName(input.cycle), bytes: binary.length, parts: [binary.length], sha256: hashListHex([sha256Digest(binary)]) };
    const sealed = this.#seal(input, ref);
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, snapshotFileName(input.cycle));
    if (binary !== undefined) fs.renameSync(stageFileSync(binaryOf(file), binary), binaryOf(file));
    const adapter = new DurableJsonFileSync<SnapshotEnvelope<T>>(file, () => envelopeJson(sealed));
    new LowSync(adapter, sealed.envelope).write();
    this.#prune(input.cycle);
    return { file, bytes: adapter.lastWrite.bytes + (ref?.bytes ?? 0), ms: monotonicMs() - started };
  }

  // Cycles only move forward: a write older than the newest file would be pruned at once or,
  // worse, be shadowed by a newer file from another run at the next load.
  #seal(input: SnapshotInput<T>, binary: BinaryRef | undefined): Sealed<T> {
    const sealed = sealEnvelope(input, { schemaVersion: this.schemaVersion, payloadSchema: this.#payloadSchema, canonical: this.#canonical }, binary);
    this.#checkOrder(sealed.envelope.cycle);
    return sealed;
  }

  #checkOrder(cycle: number): void {
    const newest = this.#names().at(-1);
    if (newest !== undefined && newest > snapshotFileName(cycle)) {
      throw new StateError('STATE_WRITE_INVALID', `refusing to write cycle ${cycle}: ${newest} in ${this.dir} is newer`, {
        input: path.join(this.dir, newest),
        hint: 'load the state with loadLatest() before writing, or start with --fresh to move the old files aside',
      });
    }
  }

  /**
   * Newest valid snapshot; each rejected newer file is logged at error level with its reason.
   * `decode` (optional) turns a verified envelope into what the caller restores from; an error it
   * throws rejects that generation like a bad checksum does (its message is the reason), so a
   * binary section that does not fit its index falls back to an older file.
   */
  async loadLatest<D = undefined>(decode?: (envelope: SnapshotEnvelope<T>) => D): Promise<LoadResult<T, D>> {
    this.#removeTempFiles();
    const files = this.list().reverse();
    if (files.length === 0) return { status: 'none' };
    const skipped: SkippedSnapshot[] = [];
    for (const file of files) {
      let verdict = await this.#readOne(file);
      let decoded = undefined as D;
      if (verdict.ok && decode) {
        try {
          decoded = decode(verdict.envelope);
        } catch (err) {
          verdict = { ok: false, reason: (err as Error).message };
        }
      }
      if (verdict.ok) {
        this.#moveRejected(skipped);
        this.#logger.info?.({ file, cycle: verdict.envelope.cycle, skipped: skipped.length }, 'snapshot loaded');
        return { status: 'ok', envelope: verdict.envelope, decoded, file, skipped };
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
    const verdict = verifyEnvelope<T>(db.data, { schemaVersion: this.schemaVersion, cycle, payloadSchema: this.#payloadSchema }, adapter.lastText ?? undefined);
    if (!verdict.ok || verdict.binary === undefined) return verdict;
    return this.#readBinary(file, verdict.envelope, verdict.binary);
  }

  /** The document's sidecar, checked against its reference (name, length, sha256). */
  async #readBinary(file: string, envelope: SnapshotEnvelope<T>, ref: BinaryRef): Promise<{ ok: true; envelope: SnapshotEnvelope<T> } | { ok: false; reason: string }> {
    const expected = path.basename(binaryOf(file));
    if (ref.file !== expected) return { ok: false, reason: `binary section is named ${ref.file}, expected ${expected}` };
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(binaryOf(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: `binary section ${ref.file} is missing` };
      return { ok: false, reason: `binary section ${ref.file} unreadable: ${(err as Error).message}` };
    }
    if (bytes.length !== ref.bytes) return { ok: false, reason: `binary section ${ref.file} has ${bytes.length} bytes, the document says ${ref.bytes}` };
    const digests: Promise<Uint8Array>[] = [];
    let offset = 0;
    for (const part of ref.parts) {
      digests.push(partDigest(bytes.subarray(offset, offset + part)));
      offset += part;
    }
    const actual = hashListHex(await Promise.all(digests));
    if (actual !== ref.sha256) {
      return { ok: false, reason: `binary section ${ref.file} checksum mismatch (document says ${ref.sha256.slice(0, 12)}..., file hashes to ${actual.slice(0, 12)}...)` };
    }
    return { ok: true, envelope: { ...envelope, binary: bytes } };
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
    const names = [...this.#names(), ...this.#binaryNames()];
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

  /** Sidecar names in the directory, oldest cycle first. */
  #binaryNames(): string[] {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return entries.filter((name) => BINARY_NAME.test(name)).sort();
  }

  // Documents beyond `generations` go with their sidecars; a sidecar older than the cycle just
  // written with no document of its own is what a crash between the two renames left behind.
  #prune(written: number): void {
    const names = this.#names();
    for (const name of names.slice(0, Math.max(0, names.length - this.generations))) {
      fs.rmSync(path.join(this.dir, name), { force: true });
      this.#dropBinary(binaryOf(path.join(this.dir, name)));
    }
    const kept = new Set(names.slice(-this.generations));
    for (const name of this.#binaryNames()) {
      const cycle = Number(BINARY_NAME.exec(name)?.[1]);
      if (cycle < written && !kept.has(snapshotFileName(cycle))) this.#dropBinary(path.join(this.dir, name));
    }
  }

  // Unlinking a 13 MB sidecar takes milliseconds of the write: rename it to a temp name now (a
  // cheap metadata change, after which it is as good as gone) and unlink it in the background;
  // if the process dies first, the next load removes it like any temp file.
  #dropBinary(file: string): void {
    const temp = tempNameFor(file);
    try {
      fs.renameSync(file, temp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    fs.promises.rm(temp, { force: true }).catch(() => undefined);
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
      // Its sidecar goes along under the matching name (state-X.bin[.n]).
      if (fs.existsSync(binaryOf(entry.file))) fs.renameSync(binaryOf(entry.file), dest.replace(/\.json(\.\d+)?$/, '.bin$1'));
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
    // Files of another engine version are not damaged: say so rather than call them corrupt.
    const versionOnly = skipped.length > 0 && skipped.every((s) => s.reason.startsWith('schema version '));
    super(
      'STATE_CORRUPT',
      `no valid snapshot in ${dir} (${skipped.length} generation${skipped.length === 1 ? '' : 's'} ${versionOnly ? 'from another engine version' : 'corrupt'}: ${reasons}); ` +
        'positions may exist at the broker. Start with --fresh to discard the state, or fix/restore a snapshot file',
      { input: dir, hint: `--fresh moves the files to ${path.join(dir, 'discarded-<n>')}/, it deletes nothing` },
    );
    this.skipped = skipped;
  }
}
