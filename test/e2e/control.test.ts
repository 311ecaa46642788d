/**
 * Operator control against a running process: pause / resume / kill / reset-kill through
 * `live-trading control`, applied at the next cycle boundary; SIGTERM finishes the cycle, persists
 * and exits 0.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv } from './config-cli-helpers.ts';
import { runLive, SHARED_LEAN, tempDir } from './run-helpers.ts';

function cycleOf(line: string): number | null {
  const m = /^cycle +(\d+) /.exec(line);
  return m ? Number(m[1]) : null;
}

describe('live-trading control against a running engine', () => {
  it('pauses, resumes, kills with a reason and resets the kill; SIGTERM exits 0', async () => {
    const dir = tempDir('control');
    const stateDir = path.join(dir, 'state');
    const args = ['run', '--dry-run', '--data', 'replay', '--data-dir', SHARED_LEAN, '--symbols', 'SPY,AIG,BAC,IBM', '--start', '2013-10-08', '--end', '2013-10-08', '--speed', '1200', '--log-dir', path.join(dir, 'logs'), '--state-dir', stateDir, '--log-level', 'warn'];
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lastCycle = () => [...lines].reverse().map(cycleOf).find((c) => c !== null && c !== undefined) ?? 0;
    const waitFor = async (predicate: () => boolean, what: string, ms = 20_000) => {
      const deadline = Date.now() + ms;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last lines: ${lines.slice(-5).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const control = async (...words: string[]) => {
      const r = await runLive(['control', ...words, '--state-dir', stateDir]);
      expect(r.code, r.stderr).toBe(0);
    };

    await waitFor(() => lastCycle() >= 30, 'cycle 30');
    await control('pause');
    await waitFor(() => lines.includes('operator: pause'), 'the pause');
    const pausedAt = lastCycle();
    await new Promise((r) => setTimeout(r, 1500));
    expect(lastCycle()).toBe(pausedAt);
    expect(child.exitCode).toBeNull();

    await control('resume');
    await waitFor(() => lastCycle() >= pausedAt + 10, 'cycles after resume');

    await control('kill', '--reason', 'desk says stop');
    await waitFor(() => lines.includes('operator: kill (desk says stop)'), 'the kill');
    await waitFor(() => lines.some((l) => /\[reducing\]/.test(l)), 'a cycle in the reducing region');
    const log = () => fs.readFileSync(path.join(dir, 'logs', 'live-trading.log'), 'utf8');
    await waitFor(() => /"level":60.*desk says stop/.test(log()), 'a fatal kill-switch log line');

    await control('reset-kill');
    await waitFor(() => lines.includes('operator: reset-kill'), 'the reset');
    const afterReset = lastCycle();
    await waitFor(() => lastCycle() > afterReset + 2, 'cycles after the reset');
    const tail = lines.filter((l) => (cycleOf(l) ?? 0) > afterReset + 1);
    expect(tail.every((l) => !/\[reducing\]/.test(l))).toBe(true);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.readdirSync(stateDir).some((f) => /^state-\d{10}\.json$/.test(f))).toBe(true);
    const decisions = fs.readFileSync(path.join(dir, 'logs', 'decisions.jsonl'), 'utf8');
    expect(decisions.endsWith('\n')).toBe(true);
  }, 90_000);
});
