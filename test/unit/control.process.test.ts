/**
 * The control file across processes: SIGKILLed writers never leave an unreadable file or a lock
 * that blocks the next writer, concurrent writers never lose a command, and the CLI as a user
 * runs it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendControlCommand, readControlCommands, readControlFile } from '../../src/control/controlFile.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'src/cli/live-trading.mjs');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'control-process-'));
let writer = '';

// A child that appends `count` commands (or forever with `inf`), printing `writing` after its first.
const WRITER_SOURCE = `
import { appendControlCommand } from './src/control/controlFile.ts';
const [dir, count, tag] = process.argv.slice(2);
for (let k = 0; count === 'inf' || k < Number(count); k++) {
  appendControlCommand(dir, 'pause', tag + '-' + k, 1710513000000 + k);
  if (k === 0) process.stdout.write('writing\\n');
}
`;

beforeAll(async () => {
  writer = path.join(base, 'writer.mjs');
  await build({
    stdin: { contents: WRITER_SOURCE, resolveDir: root, loader: 'ts', sourcefile: 'writer.ts' },
    outfile: writer,
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'], // jsonc-parser's UMD entry does not bundle
    logLevel: 'error',
  });
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], onStdout?: (text: string) => void): { child: ReturnType<typeof spawn>; exited: Promise<Exit> } {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seqs(dir: string): number[] {
  return readControlFile(dir)!.commands.map((c) => c.seq);
}

function consecutive(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v === values[i - 1]! + 1);
}

describe('control.json under SIGKILL', () => {
  it('is valid JSON with consecutive seqs after each of 8 kills of a writer in a tight append loop, and every new writer makes progress', async () => {
    const dir = path.join(base, 'kills');
    fs.mkdirSync(dir);
    let lastSeq = 0;
    let killedHoldingLock = 0;
    for (let round = 0; round < 8; round++) {
      let started!: () => void;
      const writing = new Promise<void>((resolve) => (started = resolve));
      const { child, exited } = run(process.execPath, [writer, dir, 'inf', `r${round}`], (out) => out.includes('writing') && started());
      await Promise.race([writing, exited.then((e) => Promise.reject(new Error(`writer exited early: ${e.stderr}`)))]);
      await sleep(3 + ((round * 7) % 20)); // kill at varying points of the loop
      child.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');
      if (fs.existsSync(path.join(dir, 'control.json.lock'))) killedHoldingLock++;
      const now = seqs(dir); // throws if the file were torn
      expect(now.length).toBeGreaterThan(0);
      expect(consecutive(now)).toBe(true);
      expect(now[now.length - 1]!).toBeGreaterThan(lastSeq); // the killed writer's lock did not block this round's writer
      lastSeq = now[now.length - 1]!;
    }
    // Most kills land inside the locked read-modify-write, so the dead-owner lock break is exercised.
    expect(killedHoldingLock).toBeGreaterThan(0);
    // The next writer (this process) breaks the dead writer's lock and cleans its temp files.
    expect(appendControlCommand(dir, 'kill', null, 1710513999000).seq).toBe(lastSeq + 1);
    expect(fs.readdirSync(dir)).toEqual(['control.json']);
  }, 60_000);
});

describe('concurrent writers', () => {
  it('loses no command when 4 processes append 30 commands each at once: 120 distinct consecutive seqs, each writer in its own order', async () => {
    const dir = path.join(base, 'concurrent');
    fs.mkdirSync(dir);
    const runs = ['a', 'b', 'c', 'd'].map((tag) => run(process.execPath, [writer, dir, '30', tag]).exited);
    for (const exit of await Promise.all(runs)) expect(exit).toMatchObject({ code: 0, stderr: '' });
    const file = readControlFile(dir)!;
    expect(file.commands).toHaveLength(100); // the history keeps the last 100 of the 120
    expect(file.commands.map((c) => c.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 21));
    for (const tag of ['a', 'b', 'c', 'd']) {
      const mine = file.commands.filter((c) => c.reason!.startsWith(`${tag}-`)).map((c) => Number(c.reason!.slice(2)));
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
    expect(fs.readdirSync(dir)).toEqual(['control.json']);
  }, 60_000);

  it('keeps all 5 commands with distinct seqs 1..5 when 5 CLI invocations run at once', async () => {
    const dir = path.join(base, 'cli-five');
    fs.mkdirSync(dir);
    const exits = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => run(process.execPath, [cli, 'control', 'kill', '--reason', `op${i}`, '--state-dir', dir]).exited),
    );
    for (const exit of exits) expect(exit.code).toBe(0);
    const commands = readControlCommands(dir, 0);
    expect(commands.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(commands.map((c) => c.reason).sort()).toEqual(['op0', 'op1', 'op2', 'op3', 'op4']);
    // Each invocation confirmed the seq it really got.
    const confirmed = exits.map((e) => Number(/ as #(\d+) in /.exec(e.stdout)![1])).sort();
    expect(confirmed).toEqual([1, 2, 3, 4, 5]);
  }, 60_000);
});

describe('live-trading control (CLI subprocess)', () => {
  it('queues a kill with its reason, prints one confirming line and exits 0', async () => {
    const dir = path.join(base, 'cli-kill');
    fs.mkdirSync(dir);
    appendControlCommand(dir, 'pause', null, 1710513000000);
    const exit = await run(process.execPath, [cli, 'control', 'kill', '--reason', 'test', '--state-dir', dir]).exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toBe(`queued kill (reason: test) as #2 in ${path.join(dir, 'control.json')}; the engine applies it at the next cycle boundary\n`);
    expect(exit.stderr).toBe('');
    const [kill] = readControlCommands(dir, 1);
    expect(kill).toMatchObject({ seq: 2, command: 'kill', reason: 'test' });
    expect(kill!.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }, 30_000);

  it('exits 2 for an unknown control subcommand and for a state dir that does not exist, writing nothing', async () => {
    const dir = path.join(base, 'cli-bad');
    fs.mkdirSync(dir);
    const unknown = await run(process.execPath, [cli, 'control', 'flatten', '--state-dir', dir]).exited;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'flatten'");
    const missing = await run(process.execPath, [cli, 'control', 'pause', '--state-dir', path.join(dir, 'typo')]).exited;
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^CONTROL_STATE_DIR_MISSING: state directory '.*typo' does not exist \(hint: /);
    expect(fs.readdirSync(dir)).toEqual([]);
  }, 30_000);
});
