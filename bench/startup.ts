/**
 * Startup benchmarks: wall time from spawning a fresh Node process to its first completed cycle.
 *   startup.first_cycle_ms       bench/startup-child.ts (10 symbols, scripted engine)
 *   startup.cli_first_cycle_ms   the real CLI, `run --dry-run --data simulated`, to its first `cycle` line
 * Both include Node start and tsx compiling TypeScript; one unmeasured spawn first fills tsx's
 * compile cache, so the figures are for a warm checkout, as an operator restarting would see.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { summarize, type BenchResult } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** ms from spawn until a stdout line matches; rejects if the child exits first or fails. */
export function timeToLine(args: string[], matches: (line: string) => boolean, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let elapsed: number | null = null;
    let pending = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`startup bench: no matching line within ${timeoutMs} ms from ${args.join(' ')}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (elapsed !== null) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.some(matches)) elapsed = performance.now() - started;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (elapsed !== null && code === 0) resolve(elapsed);
      else reject(new Error(`startup bench: ${args.join(' ')} exited ${code} ${elapsed === null ? 'before the line' : ''}\n${stderr.slice(-2000)}`));
    });
  });
}

async function repeat(runs: number, once: () => Promise<number>): Promise<number[]> {
  await once(); // fills tsx's compile cache; not measured
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return samples;
}

export async function benchStartup(runs = 5): Promise<BenchResult[]> {
  const child = await repeat(runs, () => timeToLine(['--import', 'tsx', 'bench/startup-child.ts'], (l) => l === 'first-cycle'));
  const logDir = mkdtempSync(join(tmpdir(), 'lt-bench-cli-'));
  try {
    let k = 0;
    // A fresh log and state dir per run, so no run resumes from the journal or snapshot of the
    // one before (and nothing lands in the checkout's default state/).
    const cliArgs = (): string[] => {
      const dir = join(logDir, String(k++));
      return ['src/cli/live-trading.mjs', 'run', '--dry-run', '--data', 'simulated', '--symbols', 'SPY,QQQ', '--max-cycles', '1', '--log-dir', dir, '--state-dir', join(dir, 'state')];
    };
    const cli = await repeat(runs, () => timeToLine(cliArgs(), (l) => l.startsWith('cycle')));
    return [summarize('startup.first_cycle_ms', 'ms', child), summarize('startup.cli_first_cycle_ms', 'ms', cli)];
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}
