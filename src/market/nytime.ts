/**
 * America/New_York wall time <-> UTC epoch ms, via the runtime's tz database (Intl), so DST
 * rules of every year (1987-2006 and 2007+) come right without a hand-kept table.
 * US DST switches happen at 02:00 local, which is always a whole UTC hour, so the offset is
 * constant within each UTC hour; `NyTime` caches it per hour (Intl is ~1-2 us a call).
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const NY_PARTS = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** offset = NY wall clock - UTC at the instant `utcMs` (-4 h in EDT, -5 h in EST). */
export function nyOffsetMs(utcMs: number): number {
  const seconds = Math.floor(utcMs / 1000) * 1000;
  const f: Record<string, number> = {};
  for (const part of NY_PARTS.formatToParts(seconds)) {
    if (part.type !== 'literal') f[part.type] = Number(part.value);
  }
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return wall - seconds;
}

/** `YYYYMMDD` as a number, e.g. 20131007; compares like the date. */
export type Ymd = number;

/** 'YYYY-MM-DD' or 'YYYYMMDD' -> Ymd; NaN when it is not a real calendar date. */
export function parseYmd(text: string): Ymd {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text.trim());
  if (!m) return Number.NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return Number.NaN;
  return y * 10_000 + mo * 100 + d;
}

/** Ymd -> 'YYYY-MM-DD'. */
export function formatYmd(ymd: Ymd): string {
  const s = String(ymd);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

/** Ymd -> epoch ms of 00:00 UTC on that date (calendar arithmetic only). */
function ymdUtcMidnight(ymd: Ymd): number {
  return Date.UTC(Math.floor(ymd / 10_000), (Math.floor(ymd / 100) % 100) - 1, ymd % 100);
}

/** Converter with a per-UTC-hour offset cache; one instance per data source (no globals). */
export class NyTime {
  private readonly offsets = new Map<number, number>();

  /** NY offset at `utcMs`, cached per UTC hour. */
  offset(utcMs: number): number {
    const hour = Math.floor(utcMs / HOUR_MS);
    let off = this.offsets.get(hour);
    if (off === undefined) {
      off = nyOffsetMs(hour * HOUR_MS);
      this.offsets.set(hour, off);
    }
    return off;
  }

  /** utc = wall - offset(utc): guess with EST, correct once if the guess lands in EDT. */
  toUtc(ymd: Ymd, msOfDay: number): number {
    const wall = ymdUtcMidnight(ymd) + msOfDay;
    const guess = wall + 5 * HOUR_MS;
    const off = this.offset(guess);
    const utc = wall - off;
    const off2 = this.offset(utc);
    return off2 === off ? utc : wall - off2;
  }

  /**
   * A fast converter for one NY date: the offset at noon holds for every time from 03:00 on
   * (DST switches at 02:00); earlier times take the exact path.
   */
  dayToUtc(ymd: Ymd): (msOfDay: number) => number {
    const midnight = ymdUtcMidnight(ymd);
    const noonOffset = this.offset(this.toUtc(ymd, 12 * HOUR_MS));
    return (msOfDay) => (msOfDay >= 3 * HOUR_MS ? midnight + msOfDay - noonOffset : this.toUtc(ymd, msOfDay));
  }

  /** NY calendar date and ms after NY midnight of the instant `utcMs`. */
  toNy(utcMs: number): { ymd: Ymd; msOfDay: number } {
    const wall = utcMs + this.offset(utcMs);
    const days = Math.floor(wall / DAY_MS);
    const d = new Date(days * DAY_MS);
    return {
      ymd: d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate(),
      msOfDay: wall - days * DAY_MS,
    };
  }
}

/** Regular session 09:30-16:00 ET as ms after midnight: a bar STARTING in [open, close) is in it. */
export const SESSION_OPEN_MS = 9.5 * HOUR_MS;
export const SESSION_CLOSE_MS = 16 * HOUR_MS;
