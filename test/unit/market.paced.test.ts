import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.ts';
import { paced } from '../../src/market/index.ts';

const items = [{ ts: 0 }, { ts: 60_000 }, { ts: 120_000 }, { ts: 300_000 }];

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('paced', () => {
  it('delays each slice by (delta ts) / speed in virtual time', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      // speed 60: one market minute per second -> 0 s, 1 s, 2 s, 5 s
      expectObservable(from(items).pipe(paced(60, ts))).toBe('a 999ms b 999ms c 2999ms (d|)', {
        a: items[0],
        b: items[1],
        c: items[2],
        d: items[3],
      });
    });
  });

  it('keeps the schedule relative to the first slice, not to the epoch', () => {
    const ts = scheduler();
    const late = items.map((x) => ({ ts: x.ts + 1_700_000_000_000 }));
    ts.run(({ expectObservable }) => {
      expectObservable(from(late).pipe(paced(120, ts))).toBe('a 499ms b 499ms c 1499ms (d|)', { a: late[0], b: late[1], c: late[2], d: late[3] });
    });
  });

  it("passes everything through synchronously at speed 'max'", async () => {
    const seen: number[] = [];
    from(items).pipe(paced('max')).subscribe((x) => seen.push(x.ts));
    expect(seen).toEqual([0, 60_000, 120_000, 300_000]);
    expect(await lastValueFrom(from(items).pipe(paced('max'), toArray()))).toEqual(items);
  });

  it('rejects a zero, negative or NaN speed', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => paced(bad)).toThrow(UsageError);
  });
});
