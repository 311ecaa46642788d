/**
 * Append-only JSONL journals (SPEC 8: decisions.jsonl, orders.jsonl, fills.jsonl): never
 * rewritten, never lost on restart.
 *
 * Each record is one `fs.writeSync` of its JSON text *and* its newline, so a process kill leaves
 * at most one partial last line. `open` repairs that line, and, when resuming from the snapshot
 * of cycle k, moves the tail records of cycles > k aside: the engine journals a cycle and then
 * snapshots it, so records after the snapshot belong to a cycle the restart will run again and
 * would otherwise appear twice. Moved bytes go to side files (`<file>.partial-<n>`,
 * `<file>.rolledback-<n>`), written and fsynced before the journal is truncated: nothing
 * recorded is ever dropped, and the main journal reads exactly like an uninterrupted run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StateError } from '../core/errors.ts';
import { fsyncDirectorySync, writeFully } from './durableJsonFile.ts';
import { stderrLogger, type PersistenceLogger } from './logger.ts';

export interface JournalOpenOptions {
  /** The cycle of the snapshot being resumed: tail records with `cycle > k` are rolled back. */
  resumeAfterCycle?: number;
  logger?: PersistenceLogger;
}

/** What `open` had to move out of the journal, if anything. */
export interface JournalRepair {
  partialFile: string | null;
  partialBytes: number;
  rolledBackFile: string | null;
  rolledBackRecords: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

export class JsonlJournal<R extends object = Record<string, unknown>> {
  readonly file: string;
  readonly repair: JournalRepair;
  #fd: number | null;
  #lastLine: string | null;

  private constructor(file: string, fd: number, repair: JournalRepair, lastLine: string | null) {
    this.file = file;
    this.#fd = fd;
    this.repair = repair;
    this.#lastLine = lastLine;
  }

  /** Open (creating it and its directory if needed), repair the tail, optionally roll back cycles > k. */
  static open<R extends object = Record<string, unknown>>(file: string, options: JournalOpenOptions = {}): JsonlJournal<R> {
    const logger = options.logger ?? stderrLogger;
    const k = options.resumeAfterCycle;
    if (k !== undefined && !Number.isFinite(k)) {
      throw new StateError('JOURNAL_OPEN_INVALID', `resumeAfterCycle must be a finite cycle number, got ${k}`, { input: file });
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const existed = fs.existsSync(file);
    const fd = fs.openSync(file, 'a+'); // read + O_APPEND: every write lands at the end
    if (!existed) fsyncDirectorySync(path.dirname(file));
    try {
      const repair: JournalRepair = { partialFile: null, partialBytes: 0, rolledBackFile: null, rolledBackRecords: 0 };
      const size = fs.fstatSync(fd).size;

      // 1. Partial tail: bytes after the last newline, then any complete last lines that do not
      //    parse (a crash of the machine, not just the process, can leave garbage or zeros).
      let end = lastNewline(fd, size) + 1;
      let lastLine: string | null = null;
      while (end > 0) {
        const start = lastNewline(fd, end - 1) + 1;
        const text = readText(fd, start, end - 1);
        if (parses(text)) {
          lastLine = text;
          break;
        }
        end = start;
      }
      if (end < size) {
        repair.partialFile = moveTail(fd, file, end, size, 'partial');
        repair.partialBytes = size - end;
        logger.warn({ file, sideFile: repair.partialFile, bytes: repair.partialBytes }, 'journal ended in a partial line: moved to side file');
      }

      // 2. Rollback: records of cycles the restart will run again.
      if (k !== undefined && lastLine !== null) {
        const tailEnd = end;
        let records = 0;
        lastLine = null;
        while (end > 0) {
          const start = lastNewline(fd, end - 1) + 1;
          const text = readText(fd, start, end - 1);
          const cycle = cycleOf(text, file, start);
          if (cycle <= k) {
            lastLine = text;
            break;
          }
          records += 1;
          end = start;
        }
        if (records > 0) {
          repair.rolledBackFile = moveTail(fd, file, end, tailEnd, 'rolledback');
          repair.rolledBackRecords = records;
          logger.warn(
            { file, sideFile: repair.rolledBackFile, records, resumeAfterCycle: k },
            `journal records after cycle ${k} moved to side file: the resumed run writes them again`,
          );
        }
      }
      return new JsonlJournal<R>(file, fd, repair, lastLine);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Append one record as one line, in one write (record keys keep the caller's order). */
  append(record: R): void {
    const line = toLine(record, this.file);
    writeFully(this.#open(), Buffer.from(`${line}\n`, 'utf8'));
    this.#lastLine = line;
  }

  /** Append several records in one write; a kill still leaves at most one partial line. */
  appendMany(records: readonly R[]): void {
    if (records.length === 0) return;
    const lines = records.map((record) => toLine(record, this.file));
    writeFully(this.#open(), Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
    this.#lastLine = lines[lines.length - 1];
  }

  /** The last record in the journal (after repair and rollback), parsed fresh; undefined if empty. */
  lastRecord(): R | undefined {
    return this.#lastLine === null ? undefined : (JSON.parse(this.#lastLine) as R);
  }

  /** Make appended lines survive a power loss (process kills are survived without it). */
  fsync(): void {
    fs.fsyncSync(this.#open());
  }

  close(): void {
    if (this.#fd === null) return;
    fs.fsyncSync(this.#fd);
    fs.closeSync(this.#fd);
    this.#fd = null;
  }

  #open(): number {
    if (this.#fd === null) throw new StateError('JOURNAL_CLOSED', `journal ${this.file} is closed`, { input: this.file });
    return this.#fd;
  }

  /** Every record of a journal; a partial or invalid line is an error naming its line number. */
  static readAll<R = Record<string, unknown>>(file: string): R[] {
    const text = fs.readFileSync(file, 'utf8');
    if (text.length === 0) return [];
    const lines = text.split('\n');
    if (lines[lines.length - 1] !== '') {
      throw new StateError('JOURNAL_CORRUPT', `${file}: line ${lines.length} has no newline (partial write)`, { input: file });
    }
    return lines.slice(0, -1).map((line, i) => {
      try {
        return JSON.parse(line) as R;
      } catch (err) {
        throw new StateError('JOURNAL_CORRUPT', `${file}: line ${i + 1} is not JSON: ${(err as Error).message}`, { input: file, cause: err });
      }
    });
  }

  /** Number of complete (newline-terminated) lines, read in chunks: fine for large journals. */
  static countLines(file: string): number {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    try {
      const buf = Buffer.alloc(CHUNK);
      let count = 0;
      for (let n = fs.readSync(fd, buf, 0, CHUNK, null); n > 0; n = fs.readSync(fd, buf, 0, CHUNK, null)) {
        for (let i = 0; i < n; i++) if (buf[i] === NEWLINE) count += 1;
      }
      return count;
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** toLine(record) = JSON.stringify(record), refused unless it is a JSON object. */
function toLine(record: object, file: string): string {
  const line = JSON.stringify(record) as string | undefined;
  if (line === undefined || line[0] !== '{') {
    throw new StateError('JOURNAL_RECORD_INVALID', `${file}: a journal record must be a JSON object`, { input: String(line) });
  }
  return line;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** cycleOf(line) = the numeric `cycle` of a journal line, or a StateError: rollback needs it. */
function cycleOf(text: string, file: string, offset: number): number {
  let cycle: unknown;
  try {
    cycle = (JSON.parse(text) as { cycle?: unknown }).cycle;
  } catch (err) {
    throw new StateError('JOURNAL_CORRUPT', `${file}: line at byte ${offset} is not JSON`, { input: file, cause: err });
  }
  if (typeof cycle !== 'number' || !Number.isFinite(cycle)) {
    throw new StateError('JOURNAL_NO_CYCLE', `${file}: record at byte ${offset} has no numeric cycle field`, {
      input: text.slice(0, 200),
      hint: 'every journal record needs a numeric `cycle` so a resumed run can roll back the cycles it repeats',
    });
  }
  return cycle;
}

/** lastNewline(fd, end) = index of the last '\n' in bytes [0, end), or -1; reads backwards in chunks. */
function lastNewline(fd: number, end: number): number {
  const buf = Buffer.alloc(CHUNK);
  let pos = end;
  while (pos > 0) {
    const n = Math.min(CHUNK, pos);
    pos -= n;
    fs.readSync(fd, buf, 0, n, pos);
    const i = buf.subarray(0, n).lastIndexOf(NEWLINE);
    if (i >= 0) return pos + i;
  }
  return -1;
}

function readBytes(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.alloc(end - start);
  let read = 0;
  while (read < buf.length) {
    const n = fs.readSync(fd, buf, read, buf.length - read, start + read);
    if (n === 0) throw new StateError('JOURNAL_CORRUPT', `journal shrank while being read (at byte ${start + read})`);
    read += n;
  }
  return buf;
}

function readText(fd: number, start: number, end: number): string {
  return readBytes(fd, start, end).toString('utf8');
}

/** Copy bytes [start, end) to a new `<file>.<kind>-<n>`, fsync it, then truncate the journal at start. */
function moveTail(fd: number, file: string, start: number, end: number, kind: 'partial' | 'rolledback'): string {
  let n = 1;
  while (fs.existsSync(`${file}.${kind}-${n}`)) n += 1;
  const sideFile = `${file}.${kind}-${n}`;
  const buf = readBytes(fd, start, end);
  const side = fs.openSync(sideFile, 'wx');
  try {
    writeFully(side, buf);
    fs.fsyncSync(side);
  } finally {
    fs.closeSync(side);
  }
  fsyncDirectorySync(path.dirname(file));
  fs.ftruncateSync(fd, start);
  fs.fsyncSync(fd);
  return sideFile;
}
