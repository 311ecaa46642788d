/**
 * The control file (SPEC 9): how an operator pauses, resumes, kills or resets the kill switch of
 * a running engine from another process. `live-trading control <command>` appends a command to
 * `<state-dir>/control.json`; the engine reads the commands it has not applied yet at each cycle
 * boundary and applies them in order.
 *
 * Format: `{"version": 1, "commands": [{"seq", "command", "reason", "issued_at"}]}`.
 * - `seq` is last seq + 1 (1 for a new file) and strictly increasing: the engine keeps the last
 *   seq it applied (in its snapshot) and asks for `seq > afterSeq`, so several commands issued
 *   between two cycles are all applied, in order, and none twice, across restarts too.
 * - Only the last 100 commands are kept; the file never shrinks to nothing, so numbering never
 *   restarts. Deleting or replacing the file does restart it: the engine then sees a last seq
 *   below the one it applied and gets CONTROL_SEQ_REWOUND (new commands are ambiguous, so they
 *   are refused loudly rather than guessed at).
 *
 * Writes are atomic and durable (temp file in the same directory, fsync, rename, fsync of the
 * directory: DurableJsonFileSync), so a reader (the engine) never sees a half-written file and
 * needs no lock. Writers serialise their read-modify-write on `control.json.lock` (lockFile.ts),
 * so two CLI invocations at once never lose a command. Under the lock every leftover temp file
 * of control.json is garbage from a killed writer and is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isoUtc, SystemClock, type Clock } from '../core/clock.ts';
import { StateError, UsageError } from '../core/errors.ts';
import { DurableJsonFileSync, TEMP_SUFFIX } from '../persistence/durableJsonFile.ts';
import { withFileLock } from './lockFile.ts';

export const CONTROL_FILE_NAME = 'control.json';
export const CONTROL_FILE_VERSION = 1;
export const CONTROL_HISTORY_LIMIT = 100;
export const DEFAULT_KILL_REASON = 'manual';

export const CONTROL_COMMANDS = ['pause', 'resume', 'kill', 'reset-kill'] as const;
export const ControlCommandNameSchema = z.enum(CONTROL_COMMANDS);
export type ControlCommandName = z.infer<typeof ControlCommandNameSchema>;

export const ControlCommandSchema = z.strictObject({
  seq: z.number().int().positive(),
  command: ControlCommandNameSchema,
  reason: z.string().nullable(),
  issued_at: z.iso.datetime(),
});
export type ControlCommand = z.infer<typeof ControlCommandSchema>;

export const ControlFileSchema = z
  .strictObject({
    version: z.literal(CONTROL_FILE_VERSION),
    commands: z.array(ControlCommandSchema),
  })
  .refine((file) => file.commands.every((c, i) => i === 0 || c.seq > file.commands[i - 1]!.seq), {
    message: 'command seq numbers must be strictly increasing',
    path: ['commands'],
  });
export type ControlFile = z.infer<typeof ControlFileSchema>;

export interface AppendOptions {
  /** Wall clock for the lock's staleness and wait deadline; the SystemClock unless a test says otherwise. */
  lockClock?: Clock;
  lockWaitMs?: number;
}

/** controlFilePath(dir) = `<dir>/control.json`. */
export function controlFilePath(stateDir: string): string {
  return path.join(stateDir, CONTROL_FILE_NAME);
}

function corrupt(file: string, problem: string, cause?: unknown): StateError {
  return new StateError('CONTROL_CORRUPT', `${file}: ${problem}`, {
    input: file,
    hint: 'the engine ignores control commands while this file is unreadable; fix it by hand (keep the seq numbers) or restore it',
    cause,
  });
}

/** The whole file, validated; null when there is no file. Throws CONTROL_CORRUPT otherwise. */
export function readControlFile(stateDir: string): ControlFile | null {
  const file = controlFilePath(stateDir);
  let data: unknown;
  try {
    data = new DurableJsonFileSync<unknown>(file).read();
  } catch (err) {
    if (err instanceof StateError) throw corrupt(file, err.message, err);
    throw corrupt(file, `cannot read: ${(err as Error).message}`, err);
  }
  if (data === null) return null;
  const parsed = ControlFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw corrupt(file, `${issue.path.join('.') || '<root>'}: ${issue.message}`, parsed.error);
  }
  return parsed.data;
}

/** readControlCommands(dir, afterSeq) = the file's commands with seq > afterSeq, oldest first; [] without a file. */
export function readControlCommands(stateDir: string, afterSeq: number): ControlCommand[] {
  const file = readControlFile(stateDir);
  if (file === null || file.commands.length === 0) return [];
  const lastSeq = file.commands[file.commands.length - 1]!.seq;
  if (lastSeq < afterSeq) {
    const where = controlFilePath(stateDir);
    throw new StateError('CONTROL_SEQ_REWOUND', `${where}: last command is #${lastSeq} but the engine has already applied #${afterSeq}`, {
      input: where,
      hint: 'the file was deleted or replaced; put the previous file back (commands are refused until then, so none is applied twice)',
    });
  }
  return file.commands.filter((c) => c.seq > afterSeq);
}

/** Append one command (seq = last + 1, history trimmed to the last 100) under the lock; returns it. */
export function appendControlCommand(
  stateDir: string,
  command: ControlCommandName,
  reason: string | null,
  nowMs: number,
  options: AppendOptions = {},
): ControlCommand {
  if (!ControlCommandNameSchema.safeParse(command).success) {
    throw new UsageError('CONTROL_UNKNOWN_COMMAND', `unknown control command '${String(command)}'`, {
      input: String(command),
      hint: `use one of ${CONTROL_COMMANDS.join(', ')}`,
    });
  }
  if (!Number.isFinite(nowMs)) throw new StateError('CONTROL_BAD_TIME', `issued-at time ${nowMs} is not a finite epoch ms`, { input: String(nowMs) });
  const file = controlFilePath(stateDir);
  const lockOptions = { clock: options.lockClock ?? new SystemClock(), ...(options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs }) };
  return withFileLock(file, lockOptions, () => {
    removeOrphanTemps(file);
    const current = readControlFile(stateDir) ?? { version: CONTROL_FILE_VERSION, commands: [] };
    const last = current.commands[current.commands.length - 1];
    const entry: ControlCommand = {
      seq: (last?.seq ?? 0) + 1,
      command,
      reason: normaliseReason(command, reason),
      issued_at: isoUtc(nowMs),
    };
    const next: ControlFile = { version: CONTROL_FILE_VERSION, commands: [...current.commands, entry].slice(-CONTROL_HISTORY_LIMIT) };
    new DurableJsonFileSync<ControlFile>(file, (data) => `${JSON.stringify(data, null, 2)}\n`).write(next);
    return entry;
  });
}

/** A blank reason is no reason; a kill always has one (SPEC 9: default `manual`). */
export function normaliseReason(command: ControlCommandName, reason: string | null): string | null {
  const given = reason === null || reason.trim() === '' ? null : reason.trim();
  return command === 'kill' ? (given ?? DEFAULT_KILL_REASON) : given;
}

// Only a lock holder writes control.json, so while we hold the lock any temp file of it is a
// leftover of a writer killed between create and rename.
function removeOrphanTemps(file: string): void {
  const prefix = `.${path.basename(file)}.`;
  for (const name of fs.readdirSync(path.dirname(file))) {
    if (name.startsWith(prefix) && name.endsWith(TEMP_SUFFIX)) fs.rmSync(path.join(path.dirname(file), name), { force: true });
  }
}
