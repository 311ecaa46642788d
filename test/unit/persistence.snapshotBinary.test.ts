import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotStore, binaryFileName, snapshotFileName, type SnapshotLogger } from '../../src/persistence/snapshotStore.ts';
import { makePayload, PayloadSchema, type Payload } from '../fixtures/persistence/payload.ts';

const quiet: SnapshotLogger = { error: () => undefined, warn: () => undefined, info: () => undefined };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-snapshot-bin-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const store = (generations = 3) => new SnapshotStore<Payload>({ dir, schemaVersion: 2, generations, payloadSchema: PayloadSchema, logger: quiet });
/** Deterministic bytes of a cycle (not all equal, so a flipped byte matters). */
const bytesOf = (cycle: number, n = 200_000) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + cycle * 7) & 0xff);
const input = (cycle: number) => ({ runId: 'run-1', cycle, writtenAtMs: cycle * 60_000, configHash: 'abc', payload: makePayload(cycle, 2, 4) });
const jsonOf = (cycle: number) => path.join(dir, snapshotFileName(cycle));
const binOf = (cycle: number) => path.join(dir, binaryFileName(cycle));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** A producer that hands out `bytes` in regions of `size`. */
const producer = (bytes: Uint8Array, size: number) => (emit: (region: Uint8Array) => void) => {
  for (let at = 0; at < bytes.length; at += size) emit(bytes.subarray(at, at + size));
};

async function loadedBinary(s = store()) {
  const result = await s.loadLatest();
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.status}`);
  return result;
}

describe('SnapshotStore binary sidecar', () => {
  it('writes the bytes to state-<cycle>.bin, referenced (name, length, parts, hash list) from the checksummed document, and loads them back', async () => {
    const report = await store().write({ ...input(4), binary: bytesOf(4) });
    expect(fs.readdirSync(dir).sort()).toEqual([binaryFileName(4), snapshotFileName(4)]);
    expect(report.bytes).toBe(fs.statSync(jsonOf(4)).size + 200_000);
    const doc = JSON.parse(fs.readFileSync(jsonOf(4), 'utf8'));
    expect(Object.keys(doc)).toEqual(['schemaVersion', 'runId', 'cycle', 'writtenAtMs', 'configHash', 'checksum', 'payload', 'binary']);
    const bytes = bytesOf(4);
    expect(doc.binary).toEqual({ file: binaryFileName(4), bytes: 200_000, parts: [200_000], sha256: createHash('sha256').update(sha(bytes)).digest('hex') });
    expect(Buffer.from(fs.readFileSync(binOf(4))).equals(Buffer.from(bytes))).toBe(true);
    const loaded = await loadedBinary();
    expect(Buffer.from(loaded.envelope.binary!).equals(Buffer.from(bytes))).toBe(true);
    expect(loaded.envelope.payload).toEqual(input(4).payload);
  });

  it('writes a producer region by region: same file bytes, the hash list over its parts', async () => {
    const bytes = bytesOf(5, 100_003);
    await store().write({ ...input(5), binary: producer(bytes, 30_000) });
    const doc = JSON.parse(fs.readFileSync(jsonOf(5), 'utf8'));
    expect(doc.binary.parts).toEqual([30_000, 30_000, 30_000, 10_003]);
    const digests = doc.binary.parts.map((_: number, k: number) => sha(bytes.subarray(k * 30_000, (k + 1) * 30_000)));
    expect(doc.binary.sha256).toBe(createHash('sha256').update(Buffer.concat(digests)).digest('hex'));
    expect(Buffer.from((await loadedBinary()).envelope.binary!).equals(Buffer.from(bytes))).toBe(true);
  });

  it('writeSync writes a sidecar the async load accepts, with the same bytes', async () => {
    store().writeSync({ ...input(6), binary: producer(bytesOf(6), 50_000) });
    expect(Buffer.from((await loadedBinary()).envelope.binary!).equals(Buffer.from(bytesOf(6)))).toBe(true);
  });

  describe('a newest generation with a bad sidecar is rejected with a clear reason, and the previous one is loaded', () => {
    async function twoGenerations() {
      const s = store();
      await s.write({ ...input(1), binary: bytesOf(1) });
      await s.write({ ...input(2), binary: bytesOf(2) });
    }
    const cases: [string, () => void, RegExp][] = [
      ['one flipped byte', () => {
        const b = fs.readFileSync(binOf(2));
        b[12345] ^= 1;
        fs.writeFileSync(binOf(2), b);
      }, /binary section state-0000000002\.bin checksum mismatch \(document says [0-9a-f]{12}\.\.\., file hashes to [0-9a-f]{12}\.\.\.\)/],
      ['truncated', () => fs.truncateSync(binOf(2), 1000), /binary section state-0000000002\.bin has 1000 bytes, the document says 200000/],
      ['missing', () => fs.rmSync(binOf(2)), /binary section state-0000000002\.bin is missing/],
      ['swapped with another generation', () => fs.copyFileSync(binOf(1), binOf(2)), /binary section state-0000000002\.bin checksum mismatch/],
    ];
    for (const [name, damage, reason] of cases) {
      it(name, async () => {
        await twoGenerations();
        damage();
        const loaded = await loadedBinary();
        expect(loaded.envelope.cycle).toBe(1);
        expect(loaded.skipped).toHaveLength(1);
        expect(loaded.skipped[0].reason).toMatch(reason);
        expect(Buffer.from(loaded.envelope.binary!).equals(Buffer.from(bytesOf(1)))).toBe(true);
        // The rejected pair is kept for inspection, out of the way.
        const rejected = fs.readdirSync(path.join(dir, 'rejected'));
        expect(rejected).toContain(snapshotFileName(2));
        if (name !== 'missing') expect(rejected).toContain(binaryFileName(2));
      });
    }

    it('a decode step that throws (lanes not matching their index) rejects that generation too', async () => {
      await twoGenerations();
      const result = await store().loadLatest((envelope) => {
        if (envelope.cycle === 2) throw new Error('snapshot windows invalid: S1 bars: lane 3 runs past the end');
        return envelope.binary!.length;
      });
      expect(result.status).toBe('ok');
      if (result.status !== 'ok') return;
      expect(result.envelope.cycle).toBe(1);
      expect(result.decoded).toBe(200_000);
      expect(result.skipped[0].reason).toBe('snapshot windows invalid: S1 bars: lane 3 runs past the end');
    });
  });

  it('prunes sidecars with their documents, and an orphan sidecar older than the newest write', async () => {
    const s = store(2);
    for (const cycle of [1, 2, 3]) await s.write({ ...input(cycle), binary: bytesOf(cycle, 1000) });
    fs.writeFileSync(path.join(dir, binaryFileName(0)), 'orphan of a crash between the renames');
    await s.write({ ...input(4), binary: bytesOf(4, 1000) });
    await new Promise((resolve) => setTimeout(resolve, 50)); // pruned sidecars are unlinked in the background
    expect(fs.readdirSync(dir).sort()).toEqual([binaryFileName(3), snapshotFileName(3), binaryFileName(4), snapshotFileName(4)]);
  });

  it('leaves no sidecar or temp file when the write is refused or its producer throws', async () => {
    const s = store();
    await s.write({ ...input(3), binary: bytesOf(3, 100) });
    await expect(s.write({ ...input(2), binary: bytesOf(2, 100) })).rejects.toThrow(/refusing to write cycle 2: state-0000000003\.json .* is newer/);
    const bad = { ...input(4), payload: { ...input(4).payload, cycle: 1.5 } };
    await expect(s.write({ ...bad, binary: bytesOf(4, 100) })).rejects.toThrow(/payload invalid: payload\.cycle/);
    await expect(
      s.write({
        ...input(5),
        binary: (emit) => {
          emit(bytesOf(5, 100));
          throw new Error('windows changed');
        },
      }),
    ).rejects.toThrow('windows changed');
    expect(fs.readdirSync(dir).sort()).toEqual([binaryFileName(3), snapshotFileName(3)]);
  });

  it('--fresh (clear) moves the sidecars along with their documents', async () => {
    const s = store();
    await s.write({ ...input(1), binary: bytesOf(1, 100) });
    const moved = s.clear()!;
    expect(fs.readdirSync(moved).sort()).toEqual([binaryFileName(1), snapshotFileName(1)]);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('state-'))).toEqual([]);
  });
});
