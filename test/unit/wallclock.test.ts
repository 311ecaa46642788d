/**
 * Nothing but src/core/clock.ts may read the wall clock (SPEC 1): everything else takes an
 * injected Clock, so replays, backtests and restarts are deterministic.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config/loader.ts';

const ALLOWED = new Set(['src/core/clock.ts']);
const SCANNED_DIRS = ['src', 'machines'];

const FORBIDDEN: Array<[string, RegExp]> = [
  ['Date.now', /\bDate\s*\.\s*now\b/],
  ['new Date() without an argument', /\bnew\s+Date\b\s*(\(\s*\)|(?!\s*\())/],
  ['performance.now', /\bperformance\s*\.\s*now\b/],
  ['process.hrtime', /\bprocess\s*\.\s*hrtime\b/],
];

/** Source text with comments blanked out; string and template contents are kept (they can hold calls). */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  let quote: string | null = null;
  while (i < source.length) {
    const ch = source[i] as string;
    const next = source[i + 1];
    if (quote) {
      out += ch;
      if (ch === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (ch === quote) quote = null;
      i += 1;
    } else if (ch === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      if (ch === '"' || ch === "'" || ch === '`') quote = ch;
      out += ch;
      i += 1;
    }
  }
  return out;
}

/** `line: what` for each wall-clock read in the text. */
function findWallClockReads(source: string): string[] {
  const found: string[] = [];
  stripComments(source)
    .split('\n')
    .forEach((line, index) => {
      for (const [what, pattern] of FORBIDDEN) if (pattern.test(line)) found.push(`${index + 1}: ${what}`);
    });
  return found;
}

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : tsFiles(path);
    return /\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('no wall-clock reads outside src/core/clock.ts', () => {
  it('the scanner finds each forbidden form in a planted sample and ignores comments and Date(arg)', () => {
    const sample = [
      'const a = Date.now();',
      'const b = new Date();',
      'const c = performance.now();',
      'const d = process.hrtime.bigint();',
      'const e = new Date;',
      'const ok1 = new Date(ms).toISOString(); // Date.now() in a comment',
      '/* performance.now() in a block comment */ const ok2 = "http://x";',
      'const f = `${Date . now()}`;',
      'const ok3 = new DateRange(); const g = new Date ;',
    ].join('\n');
    expect(findWallClockReads(sample)).toEqual([
      '1: Date.now',
      '2: new Date() without an argument',
      '3: performance.now',
      '4: process.hrtime',
      '5: new Date() without an argument',
      '8: Date.now',
      '9: new Date() without an argument',
    ]);
  });

  it('finds no wall-clock read in any .ts file under src/ and machines/', () => {
    const files = SCANNED_DIRS.flatMap((d) => tsFiles(join(PACKAGE_ROOT, d)));
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.flatMap((path) => {
      const rel = relative(PACKAGE_ROOT, path).split(sep).join('/');
      if (ALLOWED.has(rel)) return [];
      return findWallClockReads(readFileSync(path, 'utf8')).map((hit) => `${rel}:${hit}`);
    });
    expect(offenders).toEqual([]);
  });

  it('the allowed clock file really is where the system clock reads the time', () => {
    expect(findWallClockReads(readFileSync(join(PACKAGE_ROOT, 'src/core/clock.ts'), 'utf8')).length).toBeGreaterThan(0);
  });
});
