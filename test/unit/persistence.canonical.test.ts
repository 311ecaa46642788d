import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.ts';
import { canonicalJson, checksumOf, sha256Hex } from '../../src/persistence/canonical.ts';

function thrown(fn: () => unknown): StateError {
  try {
    fn();
  } catch (err) {
    return err as StateError;
  }
  throw new Error('expected a throw');
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined members and writes undefined array slots as null', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: 'x' }, undefined], z: { y: true, x: null } })).toBe(
      '{"a":[1,{"c":"x"},null],"b":1,"z":{"x":null,"y":true}}',
    );
  });

  it('gives the same text whatever the key insertion order', () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('prints numbers as JSON does (shortest round-trip form, -0 as 0) and honours toJSON', () => {
    expect(canonicalJson([0.1, -0, 1e21, 5e-7, 123456789.125])).toBe('[0.1,0,1e+21,5e-7,123456789.125]');
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });

  it('is unchanged by a JSON round trip, so a checksum survives the disk (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses NaN and Infinity with the path where they sit, instead of writing null', () => {
    const err = thrown(() => canonicalJson({ symbols: [{ w: [1, 2, Number.NaN] }] }));
    expect(err).toBeInstanceOf(StateError);
    expect(err.code).toBe('STATE_NOT_JSON');
    expect(err.input).toBe('.symbols[0].w[2]');
    expect(thrown(() => canonicalJson({ x: Infinity })).message).toContain('.x is Infinity');
  });

  it('refuses a Map, a Set, a function and a bigint, which JSON would silently mangle', () => {
    expect(thrown(() => canonicalJson({ m: new Map() })).message).toContain('.m is a Map');
    expect(thrown(() => canonicalJson({ s: new Set([1]) })).message).toContain('.s is a Set');
    expect(thrown(() => canonicalJson({ f: () => 1 })).code).toBe('STATE_NOT_JSON');
    expect(thrown(() => canonicalJson({ n: 10n })).code).toBe('STATE_NOT_JSON');
    expect(thrown(() => canonicalJson(undefined)).code).toBe('STATE_NOT_JSON');
  });
});

describe('sha256Hex / checksumOf', () => {
  it('matches the FIPS 180-2 test vector for "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the canonical text, so key order does not change a checksum but a value does', () => {
    expect(checksumOf({ a: 1, b: 2 })).toBe(sha256Hex('{"a":1,"b":2}'));
    expect(checksumOf({ b: 2, a: 1 })).toBe(checksumOf({ a: 1, b: 2 }));
    expect(checksumOf({ a: 1, b: 2.0000001 })).not.toBe(checksumOf({ a: 1, b: 2 }));
  });
});
