/**
 * The only way the engine learns the time. `SystemClock` is the single place in the code base
 * that reads the wall clock (a test enforces this); replay, backtests and tests use
 * `VirtualClock`, which moves only when told to.
 */
export interface Clock {
  /** UTC epoch milliseconds. */
  now(): number;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

/** Monotonic wall-time for measuring durations (benchmarks, latency logs), never for decisions. */
export function monotonicMs(): number {
  return performance.now();
}

export class VirtualClock implements Clock {
  private current: number;
  constructor(startMs = 0) {
    this.current = startMs;
  }
  now(): number {
    return this.current;
  }
  /** Move to `ms`; time never goes backwards. */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`VirtualClock.set: non-finite time ${ms}`);
    if (ms > this.current) this.current = ms;
  }
  advance(deltaMs: number): void {
    if (!(deltaMs >= 0)) throw new RangeError(`VirtualClock.advance: negative or NaN delta ${deltaMs}`);
    this.current += deltaMs;
  }
}

const NY_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The trading day is the America/New_York calendar date, `YYYY-MM-DD`. */
export function tradingDay(epochMs: number): string {
  return NY_DATE.format(epochMs);
}

export function isoUtc(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
