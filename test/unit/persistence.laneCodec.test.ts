import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StateError } from '../../src/core/errors.ts';
import { LaneReader, LaneWriter, type LaneData } from '../../src/persistence/laneCodec.ts';

type Source = Float32Array | Float64Array | Int32Array | number[];

/** The bits of a value as stored (NaN compared as NaN: its payload carries no meaning). */
function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b);
}

function expectLane(lane: LaneData, source: Source, start: number, end: number): void {
  expect(lane.length).toBe(end - start);
  for (let i = 0; i < lane.length; i++) expect(sameNumber(lane[i], source[start + i])).toBe(true);
}

const f32 = fc.oneof(fc.float({ noDefaultInfinity: false }), fc.constant(NaN), fc.constant(-0));
const f64 = fc.oneof(fc.double(), fc.constant(NaN), fc.constant(-0), fc.float().map(Number));
const lane = fc.oneof(
  fc.array(f32, { maxLength: 40 }).map((v) => Float32Array.from(v) as Source),
  fc.array(f64, { maxLength: 40 }).map((v) => Float64Array.from(v) as Source),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 40 }).map((v) => Int32Array.from(v) as Source),
  fc.array(f64, { maxLength: 40 }) as fc.Arbitrary<Source>,
);

describe('lane stream (packed binary snapshot lanes)', () => {
  it('round-trips every lane bit for bit (NaN, -0, infinities, empty and partial ranges), with the writer reused', () => {
    const writer = new LaneWriter();
    fc.assert(
      fc.property(fc.array(fc.tuple(lane, fc.nat(), fc.nat()), { maxLength: 30 }), (lanes) => {
        writer.reset();
        const ranges = lanes.map(([source, a, b]) => {
          const start = source.length === 0 ? 0 : a % (source.length + 1);
          const end = start + (source.length === 0 ? 0 : b % (source.length - start + 1));
          writer.add(source, start, end);
          return { source, start, end };
        });
        const reader = new LaneReader(writer.bytes().slice());
        for (const { source, start, end } of ranges) {
          const read = reader.next();
          expectLane(read, source, start, end);
          if (source instanceof Int32Array) expect(read).toBeInstanceOf(Int32Array);
          else expect(read instanceof Int32Array).toBe(false);
        }
        reader.finish();
      }),
      { numRuns: 300 },
    );
  });

  it('stores a float64 lane as float32 only when every value is float32-exact, and gives back the same numbers', () => {
    const writer = new LaneWriter();
    writer.reset();
    writer.add(Float64Array.of(0.5, NaN, -0, 3));
    writer.add(Float64Array.of(0.5, 0.1));
    writer.add([1.7e12, 2]);
    const reader = new LaneReader(writer.bytes());
    const narrow = reader.next();
    expect(narrow).toBeInstanceOf(Float32Array);
    expectLane(narrow, [0.5, NaN, -0, 3], 0, 4);
    const wide = reader.next();
    expect(wide).toBeInstanceOf(Float64Array);
    expect(Array.from(wide)).toEqual([0.5, 0.1]);
    expect(Array.from(reader.nextFloat())).toEqual([1.7e12, 2]);
    reader.finish();
  });

  it('gives identical bytes for identical lanes whatever the reused buffer held before (padding is zeroed)', () => {
    const writer = new LaneWriter();
    writer.reset();
    writer.add(new Float64Array(50).fill(0.1));
    const first = (() => {
      const fresh = new LaneWriter();
      fresh.reset();
      fresh.add(Float32Array.of(1, 2, 3));
      fresh.add(Int32Array.of(7));
      return fresh.bytes().slice();
    })();
    writer.reset();
    writer.add(Float32Array.of(1, 2, 3));
    writer.add(Int32Array.of(7));
    expect(writer.bytes()).toEqual(first);
  });

  it('hands out the stream in regions that join to the whole, even when the buffer grows in between', () => {
    const writer = new LaneWriter();
    writer.reset();
    const regions: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      writer.add(new Float64Array(1000 + i).fill(i + 0.1));
      if (i % 7 === 0) regions.push(writer.take().slice());
    }
    regions.push(writer.take().slice());
    expect(Buffer.concat(regions).equals(Buffer.from(writer.bytes()))).toBe(true);
    expect(writer.take().length).toBe(0);
  });

  it('reads a stream that is not 8-byte aligned in memory (a copy is made)', () => {
    const writer = new LaneWriter();
    writer.reset();
    writer.add(Float64Array.of(1.25, 0.1));
    const bytes = writer.bytes();
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(Array.from(new LaneReader(shifted.subarray(3)).next())).toEqual([1.25, 0.1]);
  });

  describe('rejects a stream that does not hold what its reader expects, saying what is wrong', () => {
    function stream(): Uint8Array {
      const writer = new LaneWriter();
      writer.reset();
      writer.add(Float32Array.of(1, 2, 3));
      writer.add(Int32Array.of(4, 5));
      return writer.bytes().slice();
    }
    const reason = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(StateError);
        expect((err as StateError).code).toBe('STATE_LANES_INVALID');
        return (err as Error).message;
      }
      throw new Error('expected a StateError');
    };

    it('wrong magic number or format version, or too short for its header', () => {
      const bad = stream();
      bad[0] ^= 0xff;
      expect(reason(() => new LaneReader(bad))).toMatch(/magic number/);
      const version = stream();
      version[4] = 9;
      expect(reason(() => new LaneReader(version))).toMatch(/format version 9, expected 1/);
      expect(reason(() => new LaneReader(new Uint8Array(5)))).toMatch(/5 bytes, too short/);
    });

    it('a lane running past the end (truncated stream)', () => {
      const cut = stream().subarray(0, 44);
      const reader = new LaneReader(cut.slice());
      reader.next();
      expect(reason(() => reader.next())).toMatch(/lane 1 of 2 values runs past the end of the 44 bytes/);
      const header = new LaneReader(stream().subarray(0, 30).slice());
      header.next();
      expect(reason(() => header.next())).toMatch(/lane 1 starts past the end of the 30 bytes/);
    });

    it('an unknown kind, a lane of the wrong type, bytes left over, and reading past the last lane', () => {
      const kind = stream();
      kind[12] = 7;
      expect(reason(() => new LaneReader(kind).next())).toMatch(/lane 0 has unknown kind 7/);
      expect(reason(() => new LaneReader(stream()).nextInt())).toMatch(/lane 0: expected an int32 lane, found float32/);
      const reader = new LaneReader(stream());
      reader.next();
      expect(reason(() => reader.finish())).toMatch(/16 bytes left after lane 0/);
      reader.next();
      reader.finish();
      expect(reason(() => reader.next())).toMatch(/lane 2 starts past the end/);
    });
  });
});
