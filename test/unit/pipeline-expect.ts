/**
 * Assertions shared by the pipeline unit tests.
 *
 * The SPEC quotes its worked examples to 6 significant digits, i.e. up to 5e-6 relative
 * rounding (1.41421 vs sqrt 2 is 2.5e-6 off), so a flat 1e-6 relative check would fail on a
 * correct result. `expectSpecDigits` therefore asserts the exact thing the SPEC states: the
 * result printed to 6 significant digits equals the quoted number. Numbers the tests compute
 * themselves at full precision use `expectRel` at 1e-6 relative.
 */
import { expect } from 'vitest';

export function expectRel(actual: number | null | undefined, expected: number, tolerance = 1e-6): void {
  expect(actual).not.toBeNull();
  expect(actual).not.toBeUndefined();
  const a = actual as number;
  expect(Number.isFinite(a)).toBe(true);
  if (expected === 0) expect(Math.abs(a)).toBeLessThan(tolerance);
  else expect(Math.abs(a - expected) / Math.abs(expected)).toBeLessThan(tolerance);
}

export function expectSpecDigits(actual: number | null | undefined, quoted: number, digits = 6): void {
  expect(actual).not.toBeNull();
  expect(actual).not.toBeUndefined();
  expect((actual as number).toPrecision(digits)).toBe(quoted.toPrecision(digits));
}

export function expectAllSpecDigits(actual: readonly number[], quoted: readonly number[]): void {
  expect(actual).toHaveLength(quoted.length);
  actual.forEach((a, i) => expectSpecDigits(a, quoted[i]));
}
