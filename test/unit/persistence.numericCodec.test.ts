import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNumbers, encodeNumbers } from '../../src/persistence/numericCodec.ts';

describe('numeric codec for snapshots', () => {
  it('round-trips any JSON document with number arrays exactly (float32 and float64)', () => {
    // -0 is excluded: plain JSON (used for short arrays) turns it into 0, the codec keeps it.
    const double = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));
    const doc = fc.record({
      f64: fc.array(double, { minLength: 0, maxLength: 40 }),
      f32: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : Math.fround(x))), { minLength: 16, maxLength: 40 }),
      mixed: fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 20 }),
      nested: fc.dictionary(fc.string(), fc.array(double, { maxLength: 20 })),
    });
    fc.assert(
      fc.property(doc, (d) => {
        const back = decodeNumbers(JSON.parse(JSON.stringify(encodeNumbers(d))));
        expect(back).toEqual(JSON.parse(JSON.stringify(d)));
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('stores float32-exact windows in 4 bytes a value and others in 8', () => {
    const f32 = Array.from({ length: 100 }, (_, i) => Math.fround(i / 7));
    const f64 = Array.from({ length: 100 }, (_, i) => i / 7);
    expect(encodeNumbers(f32)).toHaveProperty('$f32');
    expect(encodeNumbers(f64)).toHaveProperty('$f64');
    expect(JSON.stringify(encodeNumbers(f32)).length).toBeLessThan(JSON.stringify(f32).length / 2.5);
  });

  it('stores tables of equal-width rows (numbers or null) column by column, exactly', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i, 100 + i / 3, i % 7 === 0 ? null : Math.fround(i / 11)]);
    const encoded = encodeNumbers(rows) as { $cols: unknown[]; rows: number };
    expect(encoded.rows).toBe(50);
    expect(encoded.$cols[0]).toHaveProperty('$f32');
    expect(encoded.$cols[1]).toHaveProperty('$f64');
    expect(decodeNumbers(JSON.parse(JSON.stringify(encoded)))).toEqual(rows);
    expect(JSON.stringify(encoded).length).toBeLessThan(JSON.stringify(rows).length * 0.7);
    // Ragged rows, or cells that are not numbers, stay plain.
    expect(encodeNumbers([[1, 2], [3], [4, 5], [6, 7]])).toEqual([[1, 2], [3], [4, 5], [6, 7]]);
  });

  it('leaves short arrays and arrays with nulls as plain JSON', () => {
    expect(encodeNumbers([1, 2, 3])).toEqual([1, 2, 3]);
    const withNull = [...Array.from({ length: 20 }, () => 1), null];
    expect(encodeNumbers(withNull)).toEqual(withNull);
  });
});
