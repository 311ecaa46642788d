/**
 * Restart behaviour (SPEC 8): a latched kill switch survives a crash; a truncated, invalid-JSON or
 * wrong-checksum newest snapshot falls back to the previous generation with an error in the log;
 * all generations corrupt -> a refusal that explains --fresh; --fresh moves the files aside.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLive, SHARED_LEAN, tempDir } from './run-helpers.ts';

const base = (dir: string, extra: string[] = []) => ['run', '--dry-run', '--data', 'replay', '--data-dir', SHARED_LEAN, '--symbols', 'SPY,IBM', '--start', '2013-10-08', '--end', '2013-10-08', '--log-dir', path.join(dir, 'logs'), '--state-dir', path.join(dir, 'state'), '--log-level', 'warn', ...extra];
const snapshots = (dir: string) => fs.readdirSync(path.join(dir, 'state')).filter((f) => /^state-\d{10}\.json$/.test(f)).sort();

describe('restart from snapshots', () => {
  it('keeps a tripped kill switch latched across a restart until reset-kill', async () => {
    const dir = tempDir('latch');
    expect((await runLive(base(dir, ['--max-cycles', '40']))).code).toBe(0);
    expect((await runLive(['control', 'kill', '--reason', 'before crash', '--state-dir', path.join(dir, 'state')])).code).toBe(0);
    const killed = await runLive(base(dir, ['--max-cycles', '5']));
    expect(killed.stdout).toContain('operator: kill (before crash)');
    // A new process: the latch comes back from the snapshot.
    const restarted = await runLive(base(dir, ['--max-cycles', '5']));
    expect(restarted.code).toBe(0);
    const cycles = restarted.stdout.split('\n').filter((l) => /^cycle +\d/.test(l));
    expect(cycles).toHaveLength(5);
    expect(cycles.every((l) => l.includes('[reducing]'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'logs', 'summary.json'), 'utf8')).kill_switch).toMatchObject({ tripped: true, kind: 'manual', reason: 'before crash' });
    expect((await runLive(['control', 'reset-kill', '--state-dir', path.join(dir, 'state')])).code).toBe(0);
    const reset = await runLive(base(dir, ['--max-cycles', '5']));
    const after = reset.stdout.split('\n').filter((l) => /^cycle +\d/.test(l));
    expect(after.some((l) => !l.includes('[reducing]'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'logs', 'summary.json'), 'utf8')).kill_switch.tripped).toBe(false);
  }, 90_000);

  for (const [name, damage] of [
    ['truncated', (file: string) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))],
    ['invalid JSON', (file: string) => fs.writeFileSync(file, '{"schemaVersion": 1, oops')],
    ['wrong checksum', (file: string) => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/"cash":(\d)/, '"cash":9$1'))],
  ] as const) {
    it(`a ${name} newest snapshot restarts from the previous generation and logs an error`, async () => {
      const dir = tempDir('corrupt');
      expect((await runLive(base(dir, ['--max-cycles', '30']))).code).toBe(0);
      const files = snapshots(dir);
      const newest = path.join(dir, 'state', files[files.length - 1]);
      damage(newest);
      const r = await runLive(base(dir, ['--max-cycles', '3']));
      expect(r.code, r.stderr).toBe(0);
      // The previous generation was cycle 29: the next cycle run is 30 again.
      expect(r.stdout.split('\n').find((l) => /^cycle +\d/.test(l))).toMatch(/^cycle +30 /);
      const log = fs.readFileSync(path.join(dir, 'logs', 'live-trading.log'), 'utf8');
      expect(log).toMatch(/"level":50.*state-0000000030\.json/);
    }, 60_000);
  }

  it('refuses to start when every generation is corrupt, explaining --fresh; --fresh starts over', async () => {
    const dir = tempDir('allbad');
    expect((await runLive(base(dir, ['--max-cycles', '6']))).code).toBe(0);
    for (const f of snapshots(dir)) fs.writeFileSync(path.join(dir, 'state', f), 'garbage');
    const r = await runLive(base(dir, ['--max-cycles', '2']));
    expect(r.code).toBe(1);
    // The log (and console) name each rejected generation; the user's error is the one last line.
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('ERROR: snapshot rejected'))).toHaveLength(5);
    expect(lines[lines.length - 1]).toMatch(/^STATE_CORRUPT: no valid snapshot in .*Start with --fresh/);
    const fresh = await runLive(base(dir, ['--max-cycles', '2', '--fresh']));
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^cycle +1 /m);
    expect(fs.readdirSync(path.join(dir, 'state')).some((f) => f.startsWith('discarded-'))).toBe(true);
  }, 60_000);
});
