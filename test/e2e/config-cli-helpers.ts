import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../src/config/loader.ts';

const execFileAsync = promisify(execFile);
export const BIN = join(PACKAGE_ROOT, 'src', 'cli', 'live-trading.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any LT_ override the test runner might have, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LT_')));
  return { ...env, ...extra };
}

/** Run a command to completion and return its exit code and output (never throws on exit != 0). */
export async function runCommand(file: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { cwd: options.cwd ?? PACKAGE_ROOT, env: cleanEnv(options.env), timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `node src/cli/live-trading.mjs <args>`, the CLI exactly as a user runs it. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runCommand(process.execPath, [BIN, ...args], options);
}
