import { LiveTradingError } from './errors.ts';

/** The horizons the engine knows, in processing order (by minutes). */
export const HORIZONS = ['5m', '10m', '15m', '30m', '60m', '1d'] as const;
export type Horizon = (typeof HORIZONS)[number];

/** Minutes of one regular US equity session: `1d` means one session, not 24 h. */
export const SESSION_MINUTES = 390;

/** Freshness time constant tau per horizon, in seconds (SPEC 1). */
export const FRESHNESS_TAU_SECONDS: Readonly<Record<Horizon, number>> = {
  '5m': 150,
  '10m': 300,
  '15m': 450,
  '30m': 900,
  '60m': 1800,
  '1d': 7200,
};

const HORIZON_PATTERN = /^(\d+)([mhd])$/;

/**
 * Parsed valid horizons. Every symbol asks for the same few horizons many times a cycle, and the
 * regex was ~1 % of a cycle; the cache only holds strings that parsed (bounded by MAX_CACHED).
 */
const minutesCache = new Map<string, number>();
const MAX_CACHED = 256;

/** `<n>m` = n, `<n>h` = 60n, `<n>d` = 390n trading minutes. Throws on anything else. */
export function horizonMinutes(horizon: string): number {
  const cached = minutesCache.get(horizon);
  if (cached !== undefined) return cached;
  const minutes = parseHorizonMinutes(horizon);
  if (minutesCache.size < MAX_CACHED) minutesCache.set(horizon, minutes);
  return minutes;
}

function parseHorizonMinutes(horizon: string): number {
  const match = HORIZON_PATTERN.exec(horizon);
  if (!match) {
    throw new LiveTradingError('HORIZON_INVALID', `invalid horizon '${horizon}'`, {
      input: horizon,
      hint: 'use <n>m, <n>h or <n>d, e.g. 5m, 60m, 1d',
    });
  }
  const n = Number(match[1]);
  if (n <= 0) {
    throw new LiveTradingError('HORIZON_INVALID', `invalid horizon '${horizon}': must be positive`, {
      input: horizon,
    });
  }
  const unit = match[2];
  return unit === 'm' ? n : unit === 'h' ? 60 * n : SESSION_MINUTES * n;
}

export function isHorizon(value: string): value is Horizon {
  return (HORIZONS as readonly string[]).includes(value);
}

/**
 * Holding-time limits use calendar time: `1d` is 24 h, intraday horizons their own minutes.
 */
export function horizonCalendarMs(horizon: string): number {
  const match = HORIZON_PATTERN.exec(horizon);
  if (match && match[2] === 'd') return Number(match[1]) * 24 * 60 * 60_000;
  return horizonMinutes(horizon) * 60_000;
}

/** Sort horizons by minutes (ties cannot occur among distinct valid horizons). */
export function sortHorizons<T extends string>(horizons: readonly T[]): T[] {
  return [...horizons].sort((a, b) => horizonMinutes(a) - horizonMinutes(b));
}
