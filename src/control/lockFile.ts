/**
 * A cross-process mutex as a lock file, for short read-modify-write sections (control.json).
 *
 * Protocol: the lock is `<file>.lock`, created with O_CREAT|O_EXCL ('wx'), so exactly one
 * process can create it; it holds `{pid, host, token}`. A waiter retries every 5-25 ms (random
 * jitter so waiters do not march in step) for up to `waitMs`, then fails with a typed error.
 *
 * Stale locks (a holder that was SIGKILLed never unlinks): a lock is stale when its mtime is more
 * than 10 s old, or at once when it names a process on this host that no longer exists. Breaking
 * one is itself racy (two waiters may both judge it stale, and the second could unlink the lock
 * the first has just taken), so a breaker first renames the lock to a unique name, which only one
 * waiter can do, and checks that the renamed file is the inode it judged stale; if it is not, it
 * links it back (link fails rather than overwrite, so a third holder is never clobbered).
 *
 * Why hand-written: proper-lockfile would do, but it is async/mkdir-based with its own
 * staleness timer; this is ~100 lines, synchronous (the CLI and the engine's cycle boundary both
 * read-modify-write in one go) and its staleness rule is the one documented above.
 *
 * Time: lock ages compare file mtimes (kernel wall time) with `clock.now()`; callers pass the
 * SystemClock, never a virtual clock (a replay's time would make every lock look stale or new).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../core/clock.ts';
import { StateError } from '../core/errors.ts';

export const LOCK_STALE_MS = 10_000;
export const LOCK_WAIT_MS = 5_000;

export interface LockOptions {
  /** Wall clock for lock ages and the wait deadline (the SystemClock outside tests). */
  clock: Clock;
  waitMs?: number;
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/** lockPathFor(file) = `<file>.lock`. */
export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

/** withFileLock(file, fn) = fn() run while holding `<file>.lock`; the lock is released even if fn throws. */
export function withFileLock<T>(file: string, options: LockOptions, fn: () => T): T {
  const lockPath = lockPathFor(file);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex') };
  acquire(lockPath, owner, options);
  try {
    return fn();
  } finally {
    release(lockPath, owner);
  }
}

// Blocking sleep without a clock read or a busy loop.
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function acquire(lockPath: string, owner: LockOwner, options: LockOptions): void {
  const waitMs = options.waitMs ?? LOCK_WAIT_MS;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const deadline = options.clock.now() + waitMs;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(owner));
      } finally {
        fs.closeSync(fd);
      }
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new StateError('CONTROL_DIR_MISSING', `cannot create ${lockPath}: directory ${path.dirname(lockPath)} does not exist`, {
          input: path.dirname(lockPath),
          hint: 'pass the --state-dir the engine runs with',
          cause: err,
        });
      }
      if (code !== 'EEXIST') throw err;
    }
    if (breakIfStale(lockPath, options.clock, staleMs)) continue;
    if (options.clock.now() > deadline) {
      throw new StateError('CONTROL_LOCKED', `${lockPath} is held by another process (waited ${waitMs} ms)`, {
        input: lockPath,
        hint: `another live-trading control command is writing; retry (a lock older than ${staleMs / 1000} s or of a dead process is broken automatically)`,
      });
    }
    sleepSync(5 + Math.floor(Math.random() * 20));
  }
}

/** How long a lock file may exist without its owner record before it counts as orphaned. */
export const ORPHAN_MS = 1000;

function readOwner(lockPath: string): LockOwner | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') return parsed as LockOwner;
  } catch {
    // Missing, or read between the holder's create and its write: judged by age alone.
  }
  return null;
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** True when a stale lock was removed (or vanished) and the caller should retry at once. */
function breakIfStale(lockPath: string, clock: Clock, staleMs: number): boolean {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(lockPath);
  } catch {
    return true; // released meanwhile
  }
  const owner = readOwner(lockPath);
  const deadOwner = owner !== null && owner.host === os.hostname() && owner.pid !== process.pid && processGone(owner.pid);
  // A holder writes its owner record right after creating the file: a lock still without one
  // after ORPHAN_MS belongs to a process killed in between, and nobody can ever release it.
  const orphan = owner === null && clock.now() - stat.mtimeMs > ORPHAN_MS;
  if (!deadOwner && !orphan && clock.now() - stat.mtimeMs <= staleMs) return false;
  const grave = `${lockPath}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(lockPath, grave);
  } catch {
    return true; // another waiter broke it first
  }
  const moved = fs.statSync(grave);
  if (moved.ino !== stat.ino || moved.dev !== stat.dev) {
    // We took a fresh lock that replaced the stale one between our stat and rename: put it back.
    try {
      fs.linkSync(grave, lockPath);
    } catch {
      // Someone created a newer lock meanwhile; the one we hold was already superseded.
    }
  }
  fs.rmSync(grave, { force: true });
  return true;
}

function release(lockPath: string, owner: LockOwner): void {
  // Only unlink our own lock: if ours was broken as stale, the current one belongs to someone else.
  if (readOwner(lockPath)?.token === owner.token) fs.rmSync(lockPath, { force: true });
}
