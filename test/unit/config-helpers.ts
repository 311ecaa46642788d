import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigErrors } from '../../src/core/errors.ts';

/** Write `files` (name -> content) into a fresh temp dir; returns the dir. */
export function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lt-config-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** A temp live_trading.yaml (and symbols.yaml beside it when given); returns its path. */
export function tempConfig(content: string, symbols?: string): string {
  const dir = tempDir(symbols === undefined ? { 'live_trading.yaml': content } : { 'live_trading.yaml': content, 'symbols.yaml': symbols });
  return join(dir, 'live_trading.yaml');
}

/** The one-line messages of the ConfigErrors `run` throws; fails the test if it throws nothing else. */
export function configErrorLines(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigErrors);
    return (error as ConfigErrors).lines();
  }
  throw new Error('expected ConfigErrors, got none');
}
