import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonlJournal } from '../../src/persistence/journal.ts';
import type { PersistenceLogger } from '../../src/persistence/logger.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-journal-'));
  file = path.join(dir, 'logs', 'decisions.jsonl');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function recordingLogger(): PersistenceLogger & { warnings: { obj: Record<string, unknown>; msg: string }[] } {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  return { warnings, error: () => undefined, warn: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }) };
}

interface Decision {
  cycle: number;
  symbol: string;
  weight: number;
}

/** The records an engine would journal in one cycle: deterministic in the cycle number. */
const recordsOf = (cycle: number): Decision[] => [
  { cycle, symbol: 'AAPL', weight: cycle * 0.01 },
  { cycle, symbol: 'MSFT', weight: 0.5 - cycle * 0.02 },
];

describe('JsonlJournal append and read', () => {
  it('writes one line per record with keys in insertion order and a trailing newline', () => {
    const journal = JsonlJournal.open<Decision>(file);
    journal.append({ cycle: 1, symbol: 'AAPL', weight: 0.05 });
    journal.appendMany([{ cycle: 2, symbol: 'MSFT', weight: -0.1 }, { cycle: 2, symbol: 'SPY', weight: 0 }]);
    journal.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(
      '{"cycle":1,"symbol":"AAPL","weight":0.05}\n{"cycle":2,"symbol":"MSFT","weight":-0.1}\n{"cycle":2,"symbol":"SPY","weight":0}\n',
    );
    expect(JsonlJournal.readAll(file)).toHaveLength(3);
    expect(JsonlJournal.countLines(file)).toBe(3);
  });

  it('appends after the existing records on reopen and reports the last record', () => {
    const first = JsonlJournal.open<Decision>(file);
    expect(first.lastRecord()).toBeUndefined();
    first.appendMany(recordsOf(1));
    first.close();
    const second = JsonlJournal.open<Decision>(file);
    expect(second.lastRecord()).toEqual({ cycle: 1, symbol: 'MSFT', weight: 0.48 });
    second.append(recordsOf(2)[0]);
    expect(second.lastRecord()).toEqual(recordsOf(2)[0]);
    second.close();
    expect(JsonlJournal.readAll(file)).toEqual([...recordsOf(1), recordsOf(2)[0]]);
  });

  it('refuses records that are not JSON objects and appends on a closed journal', () => {
    const journal = JsonlJournal.open(file);
    expect(() => journal.append([1, 2] as never)).toThrow(expect.objectContaining({ code: 'JOURNAL_RECORD_INVALID' }));
    journal.close();
    expect(() => journal.append({ cycle: 1 })).toThrow(expect.objectContaining({ code: 'JOURNAL_CLOSED' }));
    journal.close(); // closing twice is harmless
  });

  it('readAll names the line of a partial or invalid record', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"cycle":1}\n{"cycle":2');
    expect(() => JsonlJournal.readAll(file)).toThrow(/line 2 has no newline/);
    fs.writeFileSync(file, '{"cycle":1}\nnope\n');
    expect(() => JsonlJournal.readAll(file)).toThrow(/line 2 is not JSON/);
  });

  it('countLines counts complete lines across read chunks and is 0 for a missing file', () => {
    const journal = JsonlJournal.open(file);
    const big = 'x'.repeat(10_000);
    for (let i = 0; i < 30; i++) journal.append({ cycle: i, big });
    journal.close();
    fs.appendFileSync(file, '{"cycle":30');
    expect(JsonlJournal.countLines(file)).toBe(30);
    expect(JsonlJournal.countLines(path.join(dir, 'missing.jsonl'))).toBe(0);
  });
});

describe('JsonlJournal repair at open', () => {
  it('moves a partial last line (no newline) into <file>.partial-1, logs a warning and truncates', () => {
    const journal = JsonlJournal.open<Decision>(file);
    journal.appendMany(recordsOf(1));
    journal.close();
    fs.appendFileSync(file, '{"cycle":2,"symbol":"AA');
    const logger = recordingLogger();
    const repaired = JsonlJournal.open<Decision>(file, { logger });
    expect(repaired.repair).toEqual({ partialFile: `${file}.partial-1`, partialBytes: 23, rolledBackFile: null, rolledBackRecords: 0 });
    expect(fs.readFileSync(`${file}.partial-1`, 'utf8')).toBe('{"cycle":2,"symbol":"AA');
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0].obj).toMatchObject({ file, sideFile: `${file}.partial-1`, bytes: 23 });
    expect(repaired.lastRecord()).toEqual(recordsOf(1)[1]);
    repaired.append(recordsOf(2)[0]);
    repaired.close();
    expect(JsonlJournal.readAll(file)).toEqual([...recordsOf(1), recordsOf(2)[0]]);
  });

  it('also moves complete last lines that do not parse (zeros left by a machine crash)', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"cycle":1}\n\0\0\0\0\n{"cyc\n\0\0');
    const repaired = JsonlJournal.open(file, { logger: recordingLogger() });
    expect(fs.readFileSync(`${file}.partial-1`, 'utf8')).toBe('\0\0\0\0\n{"cyc\n\0\0');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"cycle":1}\n');
    expect(repaired.lastRecord()).toEqual({ cycle: 1 });
    repaired.close();
  });

  it('numbers side files so an earlier one is never overwritten', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"cycle":1}\n{"a');
    JsonlJournal.open(file, { logger: recordingLogger() }).close();
    fs.appendFileSync(file, '{"b');
    const second = JsonlJournal.open(file, { logger: recordingLogger() });
    expect(second.repair.partialFile).toBe(`${file}.partial-2`);
    expect(fs.readFileSync(`${file}.partial-1`, 'utf8')).toBe('{"a');
    expect(fs.readFileSync(`${file}.partial-2`, 'utf8')).toBe('{"b');
    second.close();
  });

  it('leaves a clean journal untouched', () => {
    const journal = JsonlJournal.open<Decision>(file);
    journal.appendMany(recordsOf(1));
    journal.close();
    const before = fs.readFileSync(file, 'utf8');
    const reopened = JsonlJournal.open(file, { resumeAfterCycle: 1, logger: recordingLogger() });
    expect(reopened.repair).toEqual({ partialFile: null, partialBytes: 0, rolledBackFile: null, rolledBackRecords: 0 });
    reopened.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['decisions.jsonl']);
  });
});

describe('JsonlJournal rollback when resuming from the snapshot of cycle k', () => {
  it('moves the tail records of cycles > k into <file>.rolledback-1 and keeps cycles <= k', () => {
    const journal = JsonlJournal.open<Decision>(file);
    for (const c of [1, 2, 3]) journal.appendMany(recordsOf(c));
    journal.close();
    fs.appendFileSync(file, '{"cycle":4,"sy');
    const logger = recordingLogger();
    const resumed = JsonlJournal.open<Decision>(file, { resumeAfterCycle: 1, logger });
    expect(resumed.repair).toEqual({ partialFile: `${file}.partial-1`, partialBytes: 14, rolledBackFile: `${file}.rolledback-1`, rolledBackRecords: 4 });
    expect(JsonlJournal.readAll(file)).toEqual(recordsOf(1));
    expect(JsonlJournal.readAll(`${file}.rolledback-1`)).toEqual([...recordsOf(2), ...recordsOf(3)]);
    expect(fs.readFileSync(`${file}.partial-1`, 'utf8')).toBe('{"cycle":4,"sy');
    expect(resumed.lastRecord()).toEqual(recordsOf(1)[1]);
    expect(logger.warnings.map((w) => w.obj.records ?? w.obj.bytes)).toEqual([14, 4]);
    resumed.close();
  });

  it('rolls everything back when resuming before the first journaled cycle', () => {
    const journal = JsonlJournal.open<Decision>(file);
    journal.appendMany(recordsOf(0));
    journal.close();
    const resumed = JsonlJournal.open<Decision>(file, { resumeAfterCycle: -1, logger: recordingLogger() });
    expect(resumed.repair.rolledBackRecords).toBe(2);
    expect(resumed.lastRecord()).toBeUndefined();
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    resumed.close();
  });

  it('refuses to roll back a tail record without a numeric cycle', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"cycle":1}\n{"event":"started"}\n');
    expect(() => JsonlJournal.open(file, { resumeAfterCycle: 0 })).toThrow(expect.objectContaining({ code: 'JOURNAL_NO_CYCLE' }));
    expect(() => JsonlJournal.open(file, { resumeAfterCycle: Number.NaN })).toThrow(expect.objectContaining({ code: 'JOURNAL_OPEN_INVALID' }));
  });

  it('a run killed after any cycle and resumed from its snapshot journals exactly what an uninterrupted run does (property)', () => {
    const cycles = 8;
    const reference = path.join(dir, 'reference.jsonl');
    const uninterrupted = JsonlJournal.open<Decision>(reference);
    for (let c = 0; c < cycles; c++) uninterrupted.appendMany(recordsOf(c));
    uninterrupted.close();
    const expected = fs.readFileSync(reference, 'utf8');

    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: cycles - 2 }), // last snapshotted cycle k
        fc.integer({ min: 0, max: 3 }), // whole cycles journaled after k before the kill
        fc.integer({ min: 0, max: 30 }), // bytes of a partial line left by the kill
        (k, extraCycles, partialBytes) => {
          fs.rmSync(path.dirname(file), { recursive: true, force: true });
          const crashed = JsonlJournal.open<Decision>(file);
          const lastJournaled = Math.min(cycles - 1, k + extraCycles);
          for (let c = 0; c <= lastJournaled; c++) crashed.appendMany(recordsOf(c));
          crashed.close();
          fs.appendFileSync(file, JSON.stringify(recordsOf(lastJournaled + 1)[0]).slice(0, partialBytes));

          const resumed = JsonlJournal.open<Decision>(file, { resumeAfterCycle: k, logger: recordingLogger() });
          expect(resumed.lastRecord()).toEqual(recordsOf(k)[1]);
          for (let c = k + 1; c < cycles; c++) resumed.appendMany(recordsOf(c));
          resumed.close();
          expect(fs.readFileSync(file, 'utf8')).toBe(expected);
          expect(resumed.repair.rolledBackRecords).toBe(2 * (lastJournaled - k));
        },
      ),
      { numRuns: 40 },
    );
  });
});
