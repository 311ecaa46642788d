/**
 * Replay pacing, kept out of the sources so they stay synchronous and testable: each item is
 * held back by (its ts - the previous item's ts) / speed ms on an injected scheduler, so tests
 * run it in virtual time (TestScheduler) and `'max'` passes items straight through.
 * Note: with a synchronous source, concatMap buffers the not-yet-due items (they are already
 * in memory in the source anyway).
 */
import { asyncScheduler, concatMap, defer, map, of, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { UsageError } from '../core/errors.ts';

/** delay_i = (ts_i - ts_{i-1}) / speed; the first item and any non-increasing ts go at once. */
export function paced<T extends { ts: number }>(speed: number | 'max', scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) {
    throw new UsageError('INVALID_SPEED', `replay speed must be a positive number or 'max', got ${String(speed)}`, {
      input: String(speed),
      hint: "e.g. --speed 60 (one market minute per second) or --speed max",
    });
  }
  return (source) => {
    if (speed === 'max') return source;
    return defer(() => {
      let previous: number | null = null;
      return source.pipe(
        concatMap((item) => {
          const wait = previous === null ? 0 : (item.ts - previous) / speed;
          previous = item.ts;
          return wait > 0 ? timer(wait, scheduler).pipe(map(() => item)) : of(item);
        }),
      );
    });
  };
}
