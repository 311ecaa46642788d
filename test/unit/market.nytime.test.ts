import { describe, expect, it } from 'vitest';
import { NyTime, nyOffsetMs } from '../../src/market/index.ts';
import { formatYmd, parseYmd } from '../../src/market/nytime.ts';

const HOUR = 3_600_000;

describe('New York time conversion', () => {
  it('knows EDT (UTC-4) in October 2013 and EST (UTC-5) in January 2011', () => {
    expect(nyOffsetMs(Date.parse('2013-10-07T13:30:00Z'))).toBe(-4 * HOUR);
    expect(nyOffsetMs(Date.parse('2011-01-03T14:30:00Z'))).toBe(-5 * HOUR);
  });

  it('maps 09:30 New York to 13:30Z in summer and 14:30Z in winter', () => {
    const ny = new NyTime();
    expect(ny.toUtc(20131007, 9.5 * HOUR)).toBe(Date.parse('2013-10-07T13:30:00Z'));
    expect(ny.toUtc(20110103, 9.5 * HOUR)).toBe(Date.parse('2011-01-03T14:30:00Z'));
    expect(ny.toUtc(19980102, 16 * HOUR)).toBe(Date.parse('1998-01-02T21:00:00Z'));
  });

  it('switches on the DST dates themselves (2013-03-10 spring, 2013-11-03 autumn)', () => {
    const ny = new NyTime();
    expect(ny.toUtc(20130310, 1 * HOUR)).toBe(Date.parse('2013-03-10T06:00:00Z'));
    expect(ny.toUtc(20130310, 4 * HOUR)).toBe(Date.parse('2013-03-10T08:00:00Z'));
    expect(ny.toUtc(20131103, 4 * HOUR)).toBe(Date.parse('2013-11-03T09:00:00Z'));
    // the pre-2007 rule: DST started on the first Sunday of April
    expect(ny.toUtc(20060402, 4 * HOUR)).toBe(Date.parse('2006-04-02T08:00:00Z'));
    expect(ny.toUtc(20060401, 4 * HOUR)).toBe(Date.parse('2006-04-01T09:00:00Z'));
  });

  it('gives the same answers through the per-day fast path, DST days included', () => {
    const ny = new NyTime();
    for (const ymd of [20130310, 20131103, 20131007, 20110103]) {
      const fast = ny.dayToUtc(ymd);
      for (let t = 0; t < 24 * HOUR; t += 15 * 60_000) expect(fast(t)).toBe(ny.toUtc(ymd, t));
    }
  });

  it('round-trips UTC to New York date and time of day', () => {
    const ny = new NyTime();
    for (const iso of ['2013-10-07T13:31:00Z', '2011-01-04T04:59:00Z', '2008-03-10T13:31:00Z']) {
      const { ymd, msOfDay } = ny.toNy(Date.parse(iso));
      expect(ny.toUtc(ymd, msOfDay)).toBe(Date.parse(iso));
    }
    expect(ny.toNy(Date.parse('2011-01-04T04:59:00Z'))).toEqual({ ymd: 20110103, msOfDay: 23 * HOUR + 59 * 60_000 });
  });

  it('parses only real calendar dates', () => {
    expect(parseYmd('2013-10-07')).toBe(20131007);
    expect(parseYmd('20131007')).toBe(20131007);
    expect(parseYmd('2013-02-30')).toBeNaN();
    expect(parseYmd('yesterday')).toBeNaN();
    expect(formatYmd(20131007)).toBe('2013-10-07');
  });
});
