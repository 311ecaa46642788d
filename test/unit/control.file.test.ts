import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.ts';
import { StateError, UsageError } from '../../src/core/errors.ts';
import {
  appendControlCommand,
  CONTROL_HISTORY_LIMIT,
  controlFilePath,
  readControlCommands,
  readControlFile,
  type ControlCommandName,
} from '../../src/control/controlFile.ts';
import { lockPathFor } from '../../src/control/lockFile.ts';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'control-file-'));
let dir = '';
let n = 0;
beforeEach(() => {
  dir = path.join(base, `case-${n++}`);
  fs.mkdirSync(dir);
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 2, 15, 14, 30, 0);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('appendControlCommand / readControlCommands', () => {
  it('numbers commands 1, 2, 3 in the order issued and reads them back in that order with their reason and ISO time', () => {
    const issued: [ControlCommandName, string | null][] = [['pause', null], ['kill', 'drawdown'], ['reset-kill', 'checked'], ['resume', null]];
    issued.forEach(([command, reason], i) => {
      expect(appendControlCommand(dir, command, reason, T0 + i * 1000).seq).toBe(i + 1);
    });
    expect(readControlCommands(dir, 0)).toEqual([
      { seq: 1, command: 'pause', reason: null, issued_at: '2024-03-15T14:30:00.000Z' },
      { seq: 2, command: 'kill', reason: 'drawdown', issued_at: '2024-03-15T14:30:01.000Z' },
      { seq: 3, command: 'reset-kill', reason: 'checked', issued_at: '2024-03-15T14:30:02.000Z' },
      { seq: 4, command: 'resume', reason: null, issued_at: '2024-03-15T14:30:03.000Z' },
    ]);
    expect(JSON.parse(fs.readFileSync(controlFilePath(dir), 'utf8')).version).toBe(1);
  });

  it('returns only commands after the cursor, so a command is applied exactly once across cycles', () => {
    for (let i = 0; i < 5; i++) appendControlCommand(dir, 'pause', null, T0 + i);
    expect(readControlCommands(dir, 3).map((c) => c.seq)).toEqual([4, 5]);
    expect(readControlCommands(dir, 5)).toEqual([]);
    appendControlCommand(dir, 'resume', null, T0 + 9);
    expect(readControlCommands(dir, 5).map((c) => [c.seq, c.command])).toEqual([[6, 'resume']]);
  });

  it('gives a kill without a reason (or a blank one) the reason "manual" and trims reasons', () => {
    expect(appendControlCommand(dir, 'kill', null, T0).reason).toBe('manual');
    expect(appendControlCommand(dir, 'kill', '   ', T0).reason).toBe('manual');
    expect(appendControlCommand(dir, 'pause', '  lunch ', T0).reason).toBe('lunch');
    expect(appendControlCommand(dir, 'pause', '', T0).reason).toBeNull();
  });

  it('keeps the last 100 commands and goes on numbering after the last one', () => {
    for (let i = 0; i < CONTROL_HISTORY_LIMIT + 5; i++) appendControlCommand(dir, 'pause', null, T0 + i);
    const file = readControlFile(dir)!;
    expect(file.commands).toHaveLength(100);
    expect(file.commands[0]!.seq).toBe(6);
    expect(file.commands[99]!.seq).toBe(105);
    expect(appendControlCommand(dir, 'resume', null, T0).seq).toBe(106);
  });

  it('reads no commands when there is no file', () => {
    expect(readControlCommands(dir, 0)).toEqual([]);
    expect(readControlCommands(path.join(dir, 'absent'), 7)).toEqual([]);
  });

  it('refuses an unknown command name and a non-finite time with typed errors', () => {
    const err = thrown(() => appendControlCommand(dir, 'flatten' as ControlCommandName, null, T0));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('CONTROL_UNKNOWN_COMMAND');
    expect((thrown(() => appendControlCommand(dir, 'pause', null, Number.NaN)) as StateError).code).toBe('CONTROL_BAD_TIME');
    expect(fs.existsSync(controlFilePath(dir))).toBe(false);
  });

  it('fails with CONTROL_DIR_MISSING naming the directory when the state dir does not exist', () => {
    const missing = path.join(dir, 'nope');
    const err = thrown(() => appendControlCommand(missing, 'kill', null, T0)) as StateError;
    expect(err).toBeInstanceOf(StateError);
    expect(err.code).toBe('CONTROL_DIR_MISSING');
    expect(err.message).toContain(missing);
  });
});

describe('a corrupt or replaced control file', () => {
  const cases: [string, string, string][] = [
    ['truncated JSON', '{"version": 1, "commands": [{"seq": 1, "comm', 'truncated'],
    ['not JSON at all', 'pause please', 'invalid'],
    ['an unknown command', '{"version":1,"commands":[{"seq":1,"command":"sell-all","reason":null,"issued_at":"2024-03-15T14:30:00.000Z"}]}', 'commands.0.command'],
    ['seq numbers going backwards', '{"version":1,"commands":[{"seq":2,"command":"pause","reason":null,"issued_at":"2024-03-15T14:30:00.000Z"},{"seq":2,"command":"resume","reason":null,"issued_at":"2024-03-15T14:30:00.000Z"}]}', 'strictly increasing'],
    ['another version', '{"version":2,"commands":[]}', 'version'],
    ['a bad timestamp', '{"version":1,"commands":[{"seq":1,"command":"pause","reason":null,"issued_at":"yesterday"}]}', 'issued_at'],
  ];
  for (const [what, text, mention] of cases) {
    it(`throws StateError CONTROL_CORRUPT naming the file for ${what}, and the CLI append refuses to overwrite it`, () => {
      fs.writeFileSync(controlFilePath(dir), text);
      const err = thrown(() => readControlCommands(dir, 0)) as StateError;
      expect(err).toBeInstanceOf(StateError);
      expect(err.code).toBe('CONTROL_CORRUPT');
      expect(err.message).toContain(controlFilePath(dir));
      expect(err.message).toContain(mention);
      expect((thrown(() => appendControlCommand(dir, 'kill', null, T0)) as StateError).code).toBe('CONTROL_CORRUPT');
      expect(fs.readFileSync(controlFilePath(dir), 'utf8')).toBe(text);
      expect(fs.existsSync(lockPathFor(controlFilePath(dir)))).toBe(false);
    });
  }

  it('throws CONTROL_SEQ_REWOUND when the file restarts numbering below the engine cursor (deleted and re-created)', () => {
    for (let i = 0; i < 3; i++) appendControlCommand(dir, 'pause', null, T0);
    fs.rmSync(controlFilePath(dir));
    appendControlCommand(dir, 'kill', null, T0);
    const err = thrown(() => readControlCommands(dir, 3)) as StateError;
    expect(err.code).toBe('CONTROL_SEQ_REWOUND');
    expect(err.message).toContain('#1');
    expect(err.message).toContain('#3');
  });
});

describe('the control.json lock', () => {
  const lock = () => lockPathFor(controlFilePath(dir));
  const holder = (pid: number) => JSON.stringify({ pid, host: os.hostname(), token: 'someone' });

  it('breaks a lock older than 10 s and removes it afterwards', () => {
    fs.writeFileSync(lock(), holder(process.ppid));
    const old = (Date.now() - 11_000) / 1000;
    fs.utimesSync(lock(), old, old);
    expect(appendControlCommand(dir, 'kill', null, T0).seq).toBe(1);
    expect(fs.existsSync(lock())).toBe(false);
  });

  it('breaks a fresh lock at once when its owner process no longer exists', () => {
    fs.writeFileSync(lock(), holder(2 ** 22 + 12345)); // above Linux pid_max defaults: never a live pid
    expect(appendControlCommand(dir, 'pause', null, T0).seq).toBe(1);
  });

  it('waits for a fresh lock of a live process, then fails with CONTROL_LOCKED and leaves that lock alone', () => {
    fs.writeFileSync(lock(), holder(process.ppid));
    const clock = new VirtualClock(Date.now());
    // The virtual lock clock advances only when read: each retry moves it 40 ms, so the wait is bounded by reads.
    const ticking = { now: () => (clock.advance(40), clock.now()) };
    const err = thrown(() => appendControlCommand(dir, 'kill', null, T0, { lockClock: ticking, lockWaitMs: 400 })) as StateError;
    expect(err.code).toBe('CONTROL_LOCKED');
    expect(err.message).toContain(lock());
    expect(fs.readFileSync(lock(), 'utf8')).toBe(holder(process.ppid));
    expect(fs.existsSync(controlFilePath(dir))).toBe(false);
  });

  it('removes temp files left by a writer killed before its rename', () => {
    appendControlCommand(dir, 'pause', null, T0);
    const orphan = path.join(dir, '.control.json.999999.abcdef.tmp');
    fs.writeFileSync(orphan, '{"version":1,"comm');
    fs.writeFileSync(path.join(dir, 'other.json'), '{}');
    appendControlCommand(dir, 'resume', null, T0);
    expect(fs.readdirSync(dir).sort()).toEqual(['control.json', 'other.json']);
  });
});
