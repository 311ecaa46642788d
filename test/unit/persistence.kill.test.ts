import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monotonicMs } from '../../src/core/clock.ts';
import { parseJsonText } from '../../src/persistence/durableJsonFile.ts';
import { verifyEnvelope } from '../../src/persistence/envelope.ts';
import { SnapshotStore } from '../../src/persistence/snapshotStore.ts';
import { makePayload, PayloadSchema, type Payload } from '../fixtures/persistence/payload.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const writerSource = path.join(root, 'test/fixtures/persistence/snapshotWriter.ts');
const quiet = { error: () => undefined, warn: () => undefined };
const WRITER_ARGS = ['50', '300', '2']; // 50 symbols x 2 windows of 300 numbers + 2 MB of text: ~2.3 MB files

let base = '';
let writer = ''; // the writer bundled into one .mjs in beforeAll

/** mulberry32: a seeded PRNG, so a failing kill schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Crash = 'none' | 'mid-write' | 'before-rename';

interface Writer {
  ready: Promise<void>;
  writing: Promise<void>;
  exited: Promise<NodeJS.Signals | null>;
  go(): void;
  kill(): Promise<NodeJS.Signals | null>;
}

/** Spawn a writer; it loads and waits for `go` before touching the directory. */
function startWriter(dir: string, crash: Crash, crashOnWrite: number): Writer {
  const child = spawn(process.execPath, [writer, dir, ...WRITER_ARGS, crash, String(crashOnWrite)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  const saw = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => stdout.includes(text) && resolve();
      listeners.push(check);
      check();
      void exited.then(() => reject(new Error(`writer exited before printing "${text}": ${stderr}`)));
    });
  const ready = saw('ready');
  return {
    ready,
    // Only awaited for writers that run until killed from outside.
    get writing() {
      return saw('writing');
    },
    exited,
    go: () => child.stdin.write('go\n'),
    kill: async () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

interface LaneResult {
  cycles: number[];
  tempFilesLeft: number;
  signals: (NodeJS.Signals | null)[];
}

/**
 * One directory, one writer at a time, each SIGKILLed: `plan[i]` says how. After each death the
 * store must load (no fallback needed: nothing partial under a final name) and every generation
 * on disk must verify.
 */
async function lane(dir: string, plan: Crash[], random: () => number): Promise<LaneResult> {
  const result: LaneResult = { cycles: [], tempFilesLeft: 0, signals: [] };
  // Writers start up ahead of their turn (they wait for `go`): one writes at a time, but the next
  // one's start-up overlaps the current one's run.
  const writers = plan.map(() => null as Writer | null);
  const spawnAhead = (from: number) => {
    for (let j = from; j < Math.min(plan.length, from + 2); j++) writers[j] ??= startWriter(dir, plan[j], 1 + Math.floor(random() * 3));
  };
  const verified = new Set<string>();
  for (let i = 0; i < plan.length; i++) {
    spawnAhead(i);
    const current = writers[i] as Writer;
    await current.ready;
    current.go();
    spawnAhead(i + 1);
    if (plan[i] === 'none') {
      await current.writing;
      await sleep(Math.floor(random() * 200));
      result.signals.push(await current.kill());
    } else {
      result.signals.push(await Promise.race([current.exited, sleep(5_000).then(() => current.kill())]));
    }
    const temps = fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'));
    if (plan[i] !== 'none') expect(temps).toHaveLength(1); // it died holding exactly its temp file
    result.tempFilesLeft += temps.length;

    const store = new SnapshotStore<Payload>({ dir, schemaVersion: 1, generations: 3, payloadSchema: PayloadSchema, logger: quiet });
    const loaded = await store.loadLatest();
    expect(loaded.status).toBe('ok');
    if (loaded.status !== 'ok') return result;
    expect(loaded.skipped).toEqual([]);
    result.cycles.push(loaded.envelope.cycle);
    const keyOf = (file: string) => {
      const stat = fs.statSync(file);
      return `${file}:${stat.size}:${stat.mtimeMs}`;
    };
    verified.add(keyOf(loaded.file)); // loadLatest has just verified it
    for (const file of store.list()) {
      const key = keyOf(file);
      if (verified.has(key)) continue;
      const cycle = Number(/state-(\d+)\.json$/.exec(file)?.[1]);
      const verdict = verifyEnvelope(parseJsonText(fs.readFileSync(file, 'utf8')), { schemaVersion: 1, cycle, payloadSchema: PayloadSchema });
      expect(verdict.ok ? 'valid' : `${file}: ${verdict.reason}`).toBe('valid');
      verified.add(key);
    }
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]); // cleaned by loadLatest
  }
  return result;
}

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-kill-'));
  // The writer is bundled once with esbuild (the compiler tsx runs on) instead of being started
  // with `node --import tsx` each time: tsx start-up costs ~0.45 CPU-seconds per process against
  // ~0.1 here, which on 2 shared cores decides whether the kills fit in 15 s. Same source.
  writer = path.join(base, 'snapshotWriter.mjs');
  await build({ entryPoints: [writerSource], outfile: writer, bundle: true, platform: 'node', format: 'esm', mainFields: ['module', 'main'], logLevel: 'error' });
});
afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('SnapshotStore under SIGKILL', () => {
  it('always loads the newest completed write, with every generation valid, after 20 kills at random times and 8 inside the write', async () => {
    const started = monotonicMs();
    // Per lane: 10 external kills at random times + 2 deaths after half the temp file is written
    // + 2 after the temp file is fsynced but before its rename.
    const plan: Crash[] = ['none', 'mid-write', 'none', 'none', 'before-rename', 'none', 'none', 'mid-write', 'none', 'none', 'before-rename', 'none', 'none', 'none'];
    const dirs = [path.join(base, 'lane-a'), path.join(base, 'lane-b')];
    for (const dir of dirs) {
      const seed = new SnapshotStore<Payload>({ dir, schemaVersion: 1, generations: 3, logger: quiet });
      await seed.write({ runId: 'kill-test', cycle: 0, writtenAtMs: 0, configHash: 'c0ffee', payload: makePayload(0, 50, 300) });
    }
    const lanes = await Promise.all(dirs.map((dir, i) => lane(dir, plan, prng(20240611 + i))));

    const signals = lanes.flatMap((l) => l.signals);
    expect(signals).toHaveLength(28);
    expect(signals.every((s) => s === 'SIGKILL')).toBe(true);
    for (const l of lanes) expect([...l.cycles].sort((a, b) => a - b)).toEqual(l.cycles); // never backwards
    console.info(
      `kill test: ${lanes.map((l) => `cycles ${l.cycles.join(',')}`).join(' | ')}; temp files left: ${lanes.reduce((s, l) => s + l.tempFilesLeft, 0)}; ${Math.round(monotonicMs() - started)} ms`,
    );
    expect(monotonicMs() - started).toBeLessThan(15_000);
  }, 20_000);
});
