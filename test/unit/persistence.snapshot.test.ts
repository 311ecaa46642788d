import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.ts';
import { canonicalJson, sha256Hex } from '../../src/persistence/canonical.ts';
import { SnapshotStore, StateRefusedError, snapshotFileName, type LoadResult, type SnapshotLogger } from '../../src/persistence/snapshotStore.ts';
import { makePayload, PayloadSchema, type Payload } from '../fixtures/persistence/payload.ts';

interface Logged {
  level: 'error' | 'warn' | 'info';
  obj: Record<string, unknown>;
  msg: string;
}

function recordingLogger(): SnapshotLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  return {
    lines,
    error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
  };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-snapshot-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function store(options: { schemaVersion?: number; generations?: number; logger?: SnapshotLogger; schema?: boolean } = {}) {
  return new SnapshotStore<Payload>({
    dir,
    schemaVersion: options.schemaVersion ?? 4,
    generations: options.generations ?? 5,
    payloadSchema: options.schema === false ? undefined : PayloadSchema,
    logger: options.logger ?? recordingLogger(),
  });
}

const input = (cycle: number) => ({ runId: 'run-1', cycle, writtenAtMs: 1_700_000_000_000 + cycle * 60_000, configHash: 'abc123', payload: makePayload(cycle, 3, 5) });
const fileOf = (cycle: number) => path.join(dir, snapshotFileName(cycle));

async function writeCycles(s: SnapshotStore<Payload>, cycles: number[]) {
  for (const c of cycles) await s.write(input(c));
}

function expectLoadedCycle(result: LoadResult<Payload>, cycle: number) {
  expect(result.status).toBe('ok');
  if (result.status !== 'ok') return;
  expect(result.envelope.cycle).toBe(cycle);
  expect(result.file).toBe(fileOf(cycle));
}

describe('SnapshotStore write and load', () => {
  it('writes a real file on disk under NODE_ENV=test (no JSONFilePreset memory fallback) and loads it back', async () => {
    expect(process.env.NODE_ENV).toBe('test');
    const s = store();
    const report = await s.write(input(7));
    expect(report.file).toBe(fileOf(7));
    expect(path.basename(report.file)).toBe('state-0000000007.json');
    const onDisk = JSON.parse(fs.readFileSync(report.file, 'utf8'));
    expect(report.bytes).toBe(fs.statSync(report.file).size);
    expect(report.ms).toBeGreaterThanOrEqual(0);
    expect(Object.keys(onDisk)).toEqual(['schemaVersion', 'runId', 'cycle', 'writtenAtMs', 'configHash', 'checksum', 'payload']);
    expect(onDisk.checksum).toBe(sha256Hex(canonicalJson(input(7).payload)));
    // The payload is stored as exactly the canonical text the checksum covers.
    expect(fs.readFileSync(report.file, 'utf8').endsWith(`"payload":${canonicalJson(input(7).payload)}}`)).toBe(true);

    const loaded = await store().loadLatest();
    expectLoadedCycle(loaded, 7);
    if (loaded.status !== 'ok') return;
    expect(loaded.envelope).toEqual({ ...input(7), schemaVersion: 4, checksum: onDisk.checksum });
    expect(loaded.skipped).toEqual([]);
  });

  it('writeSync writes the same durable file as write', async () => {
    const s = store();
    const report = s.writeSync(input(3));
    expect(fs.existsSync(report.file)).toBe(true);
    expectLoadedCycle(await store().loadLatest(), 3);
  });

  it('keeps only the newest `generations` files', async () => {
    const s = store({ generations: 3 });
    await writeCycles(s, [0, 1, 2, 3, 4, 5, 6]);
    expect(s.list()).toEqual([fileOf(4), fileOf(5), fileOf(6)]);
    expect(fs.readdirSync(dir).sort()).toEqual([snapshotFileName(4), snapshotFileName(5), snapshotFileName(6)]);
  });

  it('runs overlapping writes one after another and prunes correctly', async () => {
    const s = store({ generations: 2 });
    await Promise.all([0, 1, 2, 3, 4].map((c) => s.write(input(c))));
    expect(s.list()).toEqual([fileOf(3), fileOf(4)]);
  });

  it('returns none, and hasAny is false, when the directory has no snapshot (or does not exist)', async () => {
    expect(await store().loadLatest()).toEqual({ status: 'none' });
    fs.rmSync(dir, { recursive: true });
    const s = store();
    expect(s.hasAny()).toBe(false);
    expect(await s.loadLatest()).toEqual({ status: 'none' });
  });

  it('ignores and removes leftover temp files of an interrupted write', async () => {
    const s = store();
    await writeCycles(s, [1]);
    const temp = path.join(dir, `.${snapshotFileName(2)}.999.deadbeef.tmp`);
    fs.writeFileSync(temp, '{"schemaVersion":4,"runId":"r');
    expect(s.list()).toEqual([fileOf(1)]);
    const logger = recordingLogger();
    expectLoadedCycle(await store({ logger }).loadLatest(), 1);
    expect(fs.existsSync(temp)).toBe(false);
    expect(logger.lines.some((l) => l.level === 'warn' && l.obj.file === temp)).toBe(true);
  });
});

describe('SnapshotStore fallback to an older generation', () => {
  /** `damage` breaks the newest file and returns the reason the store must give. */
  async function expectFallback(damage: (file: string) => RegExp | string) {
    await writeCycles(store(), [1, 2, 3]);
    const expected = damage(fileOf(3));
    const expectReason = (reason: unknown) => (typeof expected === 'string' ? expect(reason).toBe(expected) : expect(reason).toMatch(expected));
    const logger = recordingLogger();
    const result = await store({ logger }).loadLatest();
    expectLoadedCycle(result, 2);
    if (result.status !== 'ok') return;
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0].file).toBe(fileOf(3));
    expectReason(result.skipped[0].reason);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].obj.file).toBe(fileOf(3));
    expectReason(errors[0].obj.reason);
    expect(errors[0].msg).toContain('state-0000000003.json');
    // The rejected file is kept for inspection, out of the way of the cycle that will be rewritten.
    expect(fs.existsSync(fileOf(3))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'rejected', snapshotFileName(3)))).toBe(true);
  }

  it('falls back when the newest file is truncated to half its length', async () => {
    await expectFallback((file) => {
      const text = fs.readFileSync(file, 'utf8');
      const half = Math.floor(text.length / 2);
      fs.writeFileSync(file, text.slice(0, half));
      return new RegExp(`^truncated or invalid JSON at character ${half} of ${half} \\(truncated: \\w+\\)$`);
    });
  });

  it('falls back when the newest file is empty (a rename that reached the disk before its data)', async () => {
    await expectFallback((file) => {
      fs.writeFileSync(file, '');
      return 'truncated or invalid JSON at character 0 of 0 (truncated: ValueExpected)';
    });
  });

  it('falls back when the newest file has invalid JSON in the middle, naming the character', async () => {
    await expectFallback((file) => {
      const text = fs.readFileSync(file, 'utf8');
      const at = text.indexOf('"closes":[') + '"closes":['.length;
      fs.writeFileSync(file, `${text.slice(0, at)}}}garbage${text.slice(at)}`);
      return `truncated or invalid JSON at character ${at} of ${text.length + 9} (invalid: ValueExpected)`;
    });
  });

  it('falls back when a number in the payload was edited (checksum mismatch)', async () => {
    await expectFallback((file) => {
      const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      doc.payload.symbols[1].closes[2] += 0.01;
      fs.writeFileSync(file, JSON.stringify(doc));
      return /^checksum mismatch \(file says [0-9a-f]{12}\.\.\., payload hashes to [0-9a-f]{12}\.\.\.\)$/;
    });
  });

  it('falls back when the newest file has another schema version', async () => {
    await writeCycles(store({ schemaVersion: 4 }), [1, 2]);
    await store({ schemaVersion: 3 }).write(input(3));
    const logger = recordingLogger();
    const result = await store({ schemaVersion: 4, logger }).loadLatest();
    expectLoadedCycle(result, 2);
    if (result.status !== 'ok') return;
    expect(result.skipped).toEqual([{ file: fileOf(3), reason: 'schema version 3, expected 4 (written by an older engine version)' }]);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.obj.reason)).toEqual(['schema version 3, expected 4 (written by an older engine version)']);
  });

  it('falls back when the payload fails its zod schema, naming the path of the bad value', async () => {
    await writeCycles(store(), [1]);
    const bad = { ...input(2), payload: { ...input(2).payload, symbols: [{ symbol: 'X', closes: [1, 'two'], returns: [], position: 0 }] } };
    await store({ schema: false }).write(bad as never);
    const result = await store().loadLatest();
    expectLoadedCycle(result, 1);
    if (result.status !== 'ok') return;
    expect(result.skipped[0].reason).toMatch(/^payload invalid: payload\.symbols\[0\]\.closes\[1\]: /);
  });

  it('rejects a file whose inner cycle disagrees with its name', async () => {
    await writeCycles(store(), [1]);
    fs.copyFileSync(fileOf(1), fileOf(2));
    const result = await store().loadLatest();
    expectLoadedCycle(result, 1);
    if (result.status !== 'ok') return;
    expect(result.skipped[0].reason).toBe('cycle 1 inside a file named for cycle 2');
  });

  it('reports corrupt with every reason when no generation is valid, and leaves the files in place', async () => {
    await writeCycles(store(), [1, 2, 3]);
    fs.writeFileSync(fileOf(1), '{"schemaVersion":4');
    const doc = JSON.parse(fs.readFileSync(fileOf(2), 'utf8'));
    doc.payload.cycle = 99;
    fs.writeFileSync(fileOf(2), JSON.stringify(doc));
    fs.writeFileSync(fileOf(3), JSON.stringify({ ...JSON.parse(fs.readFileSync(fileOf(3), 'utf8')), schemaVersion: 5 }));
    const logger = recordingLogger();
    const result = await store({ logger }).loadLatest();
    expect(result.status).toBe('corrupt');
    if (result.status !== 'corrupt') return;
    expect(result.skipped.map((s) => s.file)).toEqual([fileOf(3), fileOf(2), fileOf(1)]);
    expect(result.skipped[0].reason).toBe('schema version 5, expected 4 (written by another engine version)');
    expect(result.skipped[1].reason).toMatch(/^checksum mismatch/);
    expect(result.skipped[2].reason).toMatch(/^truncated or invalid JSON at character 18 of 18/);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(3);
    expect(store().list()).toEqual([fileOf(1), fileOf(2), fileOf(3)]);

    const refusal = new StateRefusedError(dir, result.skipped);
    expect(refusal).toBeInstanceOf(StateError);
    expect(refusal.code).toBe('STATE_CORRUPT');
    expect(refusal.message).toContain(`no valid snapshot in ${dir} (3 generations corrupt: state-0000000003.json: schema version 5, expected 4 (written by another engine version); state-0000000002.json: checksum mismatch`);
    expect(refusal.message).toContain('positions may exist at the broker. Start with --fresh to discard the state, or fix/restore a snapshot file');
    expect(refusal.toLine()).toContain('discarded-<n>');
  });
});

describe('SnapshotStore.clear (--fresh)', () => {
  it('moves every snapshot into discarded-<n>/ instead of deleting it', async () => {
    const s = store();
    await writeCycles(s, [1, 2]);
    const before = fs.readFileSync(fileOf(2), 'utf8');
    expect(s.clear()).toBe(path.join(dir, 'discarded-1'));
    expect(s.hasAny()).toBe(false);
    expect(await s.loadLatest()).toEqual({ status: 'none' });
    expect(fs.readFileSync(path.join(dir, 'discarded-1', snapshotFileName(2)), 'utf8')).toBe(before);
    await writeCycles(s, [0]);
    expect(s.clear()).toBe(path.join(dir, 'discarded-2'));
    expect(fs.readdirSync(path.join(dir, 'discarded-1')).sort()).toEqual([snapshotFileName(1), snapshotFileName(2)]);
    expect(s.clear()).toBe(null);
  });
});

describe('SnapshotStore refuses writes it could not load back', () => {
  it('refuses a NaN in the payload, naming its path', async () => {
    const payload = makePayload(1, 2, 3);
    payload.symbols[1].returns[2] = Number.NaN;
    await expect(store({ schema: false }).write({ ...input(1), payload })).rejects.toMatchObject({ code: 'STATE_NOT_JSON', input: '.symbols[1].returns[2]' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a payload that fails the payload schema', async () => {
    await expect(store().write({ ...input(1), payload: { cycle: 1 } as never })).rejects.toMatchObject({ code: 'STATE_WRITE_INVALID' });
  });

  it('refuses a cycle older than the newest file, so cycles only move forward', async () => {
    const s = store();
    await writeCycles(s, [5]);
    await expect(s.write(input(4))).rejects.toMatchObject({ code: 'STATE_WRITE_INVALID' });
    expect(() => s.writeSync(input(4))).toThrow(/refusing to write cycle 4: state-0000000005.json/);
    await s.write(input(5)); // the same cycle again is fine (a re-run of a cycle after a crash)
    expect(s.list()).toEqual([fileOf(5)]);
  });

  it('refuses a bad generations count', () => {
    expect(() => store({ generations: 0 })).toThrow(/generations must be an integer >= 1/);
  });
});
