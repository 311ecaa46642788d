/**
 * lowdb adapters that make a write durable, not only atomic.
 *
 * Why not lowdb's own `JSONFile`: it writes a temp file and renames it (atomic against a process
 * kill) but never fsyncs, so after a power loss or kernel crash the rename can be on disk while
 * the data is not, leaving an empty or truncated file under the final name. These adapters write
 * a uniquely named temp file in the same directory, fsync it, rename it over the target and fsync
 * the directory so the rename itself is durable. (`JSONFilePreset` has a second trap: under
 * NODE_ENV=test it silently keeps data in memory; we never use it.)
 *
 * `read` distinguishes "no file" (null) from "unreadable JSON" (a StateError whose message says
 * where the text broke), because the snapshot store logs that reason before trying an older file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { Adapter, SyncAdapter } from 'lowdb';
import { StateError } from '../core/errors.ts';

/** Temp files start with a dot and end in `.tmp`, so listings of real files never see them. */
export const TEMP_SUFFIX = '.tmp';

/** tempNameFor(file) = `<dir>/.<base>.<pid>.<random>.tmp` in the target's own directory (same filesystem, so rename is atomic). */
export function tempNameFor(file: string): string {
  // Random, not a counter: no module state, and two overlapping writes never share a temp file.
  const unique = `${process.pid}.${randomBytes(6).toString('hex')}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.${unique}${TEMP_SUFFIX}`);
}

/** Bytes written by the last write, for the store's write report. */
export interface WriteStats {
  bytes: number;
}

/** How data becomes file text (lowdb's DataFile has the same hook); JSON.stringify by default. */
export type Stringify<T> = (data: T) => string;

/** Async adapter: `new Low(new DurableJsonFile(path), defaults)`. */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly file: string;
  readonly #stringify: Stringify<T>;
  lastWrite: WriteStats = { bytes: 0 };
  /** The text of the last read, so a checksum can cover the exact bytes on disk. */
  lastText: string | null = null;
  constructor(file: string, stringify: Stringify<T> = JSON.stringify) {
    this.file = file;
    this.#stringify = stringify;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    this.lastText = text;
    return parseJsonText(text) as T;
  }

  async write(data: T): Promise<void> {
    const body = Buffer.from(this.#stringify(data), 'utf8');
    const temp = tempNameFor(this.file);
    const handle = await fsp.open(temp, 'wx');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await fsp.rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    await fsp.rename(temp, this.file);
    await fsyncDirectory(path.dirname(this.file));
    this.lastWrite = { bytes: body.length };
  }
}

/** Sync adapter for `LowSync`: the same protocol with blocking calls, for a SIGTERM handler. */
export class DurableJsonFileSync<T> implements SyncAdapter<T> {
  readonly file: string;
  readonly #stringify: Stringify<T>;
  lastWrite: WriteStats = { bytes: 0 };
  constructor(file: string, stringify: Stringify<T> = JSON.stringify) {
    this.file = file;
    this.#stringify = stringify;
  }

  read(): T | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return parseJsonText(text) as T;
  }

  write(data: T): void {
    const body = Buffer.from(this.#stringify(data), 'utf8');
    fs.renameSync(stageFileSync(this.file, body), this.file);
    fsyncDirectorySync(path.dirname(this.file));
    this.lastWrite = { bytes: body.length };
  }
}

/**
 * parseJsonText(text) = JSON.parse(text), or a StateError saying where the text broke. V8's
 * message often has no position ("Unexpected token"), so on this rare path jsonc-parser (strict
 * options) locates the first error; an error at the very end of the text means truncation.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const offset = first?.offset ?? text.length;
    const kind = offset >= text.length ? 'truncated' : 'invalid';
    const what = first ? printParseErrorCode(first.error) : (err as Error).message;
    throw new StateError('STATE_JSON_INVALID', `truncated or invalid JSON at character ${offset} of ${text.length} (${kind}: ${what})`, {
      cause: err,
    });
  }
}

/** writeFully(fd, buf): loop over short writes, which POSIX allows even for regular files. */
export function writeFully(fd: number, buf: Uint8Array): void {
  let offset = 0;
  while (offset < buf.length) offset += fs.writeSync(fd, buf, offset, buf.length - offset);
}

// Directory fsync makes a rename or a new file's entry durable. Some platforms cannot open or
// fsync a directory (Windows); there the rename is as durable as the OS makes it.
const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EACCES', 'ENOTSUP']);

export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

export function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * A binary file staged durably under a temp name next to `file`, written region by region while
 * the caller goes on working: each `append` queues a positional write to libuv's pool at once
 * and returns. The file is opened with O_DSYNC where the platform has it, so each write also
 * syncs its data (elsewhere `finish` fsyncs): the data reaches the disk while the snapshot store
 * packs the next region and hashes, instead of in one wait at the end. `finish` resolves when
 * everything is durable; `commit` renames the temp file over `file` (the directory fsync of the
 * referencing document's write covers both renames); `discard` removes it.
 */
export class StagedBinaryFile {
  readonly file: string;
  readonly temp: string;
  readonly #handle: fsp.FileHandle;
  readonly #writes: Promise<void>[] = [];
  #bytes = 0;

  private constructor(file: string, temp: string, handle: fsp.FileHandle) {
    this.file = file;
    this.temp = temp;
    this.#handle = handle;
  }

  static async open(file: string): Promise<StagedBinaryFile> {
    const temp = tempNameFor(file);
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_DSYNC ?? 0);
    return new StagedBinaryFile(file, temp, await fsp.open(temp, flags, 0o644));
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Queue `region` at the end of what was appended so far (it must not change until `finish`). */
  append(region: Uint8Array): void {
    const write = writeAllAt(this.#handle, region, this.#bytes);
    write.catch(() => undefined); // awaited in finish; never an unhandled rejection meanwhile
    this.#writes.push(write);
    this.#bytes += region.length;
  }

  /** Every region written (and synced), the handle closed; on error the temp file is removed. */
  async finish(): Promise<void> {
    try {
      await Promise.all(this.#writes);
      if (fs.constants.O_DSYNC === undefined) await this.#handle.sync();
    } catch (err) {
      await this.discard();
      throw err;
    }
    await this.#handle.close();
  }

  async commit(): Promise<void> {
    await fsp.rename(this.temp, this.file);
  }

  /** Remove the temp file (after any queued write has ended). */
  async discard(): Promise<void> {
    await Promise.allSettled(this.#writes);
    await this.#handle.close().catch(() => undefined);
    await fsp.rm(this.temp, { force: true });
  }
}

/**
 * `bytes` written and fsynced to a new temp file beside `file` (removed again on failure):
 * returns its path, for the caller to rename into place. The blocking twin of StagedBinaryFile,
 * and the first half of DurableJsonFileSync.write.
 */
export function stageFileSync(file: string, bytes: Uint8Array): string {
  const temp = tempNameFor(file);
  const fd = fs.openSync(temp, 'wx');
  try {
    writeFully(fd, bytes);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  return temp;
}

/** All of `bytes` at file position `position`, looping over short writes. */
async function writeAllAt(handle: fsp.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position + offset);
    offset += bytesWritten;
  }
}
