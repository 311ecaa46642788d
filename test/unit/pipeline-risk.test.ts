import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultConfig } from '../../src/config/schema.ts';
import { DataError } from '../../src/core/errors.ts';
import {
  initialRiskState,
  killActionMode,
  riskMetrics,
  riskReducer,
  type RiskEvent,
  type RiskResult,
  type RiskState,
} from '../../src/pipeline/risk.ts';

const params = defaultConfig().risk;
const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(1e-6);
const spec6 = (actual: number, printed: number) => expect(Number(actual.toPrecision(6))).toBe(printed);

const mark = (pv: number, tradingDay = '2024-03-04', tsMs = 0): RiskEvent => ({ type: 'risk.pvMarked', pv, tsMs, tradingDay });

/** Feed events in order, returning every step's result. */
function run(events: RiskEvent[], p = params, start: RiskState = initialRiskState()): RiskResult[] {
  const out: RiskResult[] = [];
  let state = start;
  for (const e of events) {
    const r = riskReducer(state, e, p);
    out.push(r);
    state = r.state;
  }
  return out;
}

describe('daily loss (SPEC 4.9 worked example, day_start 100,000)', () => {
  it('takes day_start from the first mark of the trading day', () => {
    const [r] = run([mark(100_000)]);
    expect(r.state.dayStartPv).toBe(100_000);
    expect(r.state.tradingDay).toBe('2024-03-04');
  });

  it('PV 98,100 (-1.9 %) does not trip; 97,900 (-2.1 %) trips daily_loss', () => {
    const [, ok, trip] = run([mark(100_000), mark(98_100), mark(97_900)]);
    expect(ok.tripped).toBeNull();
    close(riskMetrics(ok.state, 98_100).dailyPnlPct, -1.9);
    expect(trip.tripped?.kind).toBe('daily_loss');
    close(trip.tripped!.dailyPnlPct, -2.1);
    expect(trip.state.killSwitch).toMatchObject({ tripped: true, kind: 'daily_loss', tradingDay: '2024-03-04' });
  });

  it('does not trip at exactly -max_daily_loss_pct (strict)', () => {
    expect(run([mark(100_000), mark(98_000)])[1].tripped).toBeNull();
  });
});

describe('drawdown (SPEC 4.9 worked example)', () => {
  it('path 100k,104k,110k,101k,99k is ok at 10.0000 %, 98.9k trips at 10.0909 %', () => {
    const results = run([100_000, 104_000, 110_000, 101_000, 99_000, 98_900].map((pv) => mark(pv)));
    expect(results.slice(0, 5).every((r) => r.tripped === null)).toBe(true);
    expect(results[4].state.peakPv).toBe(110_000);
    spec6(riskMetrics(results[4].state, 99_000).drawdownPct, 10);
    const trip = results[5].tripped!;
    expect(trip.kind).toBe('drawdown');
    spec6(trip.drawdownPct, 10.0909);
    close(trip.drawdownPct, (11_100 / 110_000) * 100);
  });
});

describe('latch', () => {
  const tripped = () => run([mark(100_000), mark(97_900)])[1].state;

  it('stays tripped after a recovery and keeps the original reason on a second breach', () => {
    const state = tripped();
    const [recovered, second] = run([mark(100_500), mark(80_000)], params, state);
    expect(recovered.state.killSwitch).toEqual(state.killSwitch);
    expect(second.state.killSwitch).toEqual(state.killSwitch);
    expect(second.tripped).toBeNull();
  });

  it('clears a daily-loss latch on the next trading day when daily_loss_resets_next_day', () => {
    const [r] = run([mark(97_900, '2024-03-05')], params, tripped());
    expect(r.cleared).toEqual({ kind: 'daily_loss', by: 'next_day' });
    expect(r.state.killSwitch.tripped).toBe(false);
    expect(r.state.dayStartPv).toBe(97_900);
  });

  it('keeps a daily-loss latch on the next day without the flag', () => {
    const p = { ...params, daily_loss_resets_next_day: false };
    const [r] = run([mark(97_900, '2024-03-05')], p, tripped());
    expect(r.cleared).toBeNull();
    expect(r.state.killSwitch.kind).toBe('daily_loss');
  });

  it('never clears a drawdown latch on a new day', () => {
    const state = run([100_000, 110_000, 98_000].map((pv) => mark(pv)))[2].state;
    expect(state.killSwitch.kind).toBe('drawdown');
    const [r] = run([mark(120_000, '2024-03-05')], params, state);
    expect(r.state.killSwitch.tripped).toBe(true);
  });

  it('latches a manual kill with its reason (default "manual") and ignores a second kill', () => {
    const [r, again] = run([
      { type: 'risk.manualKill', reason: 'operator says stop', tsMs: 5 },
      { type: 'risk.manualKill', reason: 'other', tsMs: 6 },
    ]);
    expect(r.tripped).toMatchObject({ kind: 'manual', reason: 'operator says stop' });
    expect(r.state.killSwitch).toMatchObject({ tripped: true, kind: 'manual', trippedAtMs: 5 });
    expect(again.tripped).toBeNull();
    expect(again.state.killSwitch.reason).toBe('operator says stop');
    expect(run([{ type: 'risk.manualKill', reason: '', tsMs: 1 }])[0].state.killSwitch.reason).toBe('manual');
  });

  it('operator reset clears any latch, keeps day_start and re-bases the peak to the last PV', () => {
    const state = run([100_000, 110_000, 98_000].map((pv) => mark(pv)))[2].state;
    const [reset, next] = run([{ type: 'risk.operatorReset', tsMs: 9 }, mark(97_000)], params, state);
    expect(reset.cleared).toEqual({ kind: 'drawdown', by: 'operator' });
    expect(reset.state.killSwitch.tripped).toBe(false);
    expect(reset.state.peakPv).toBe(98_000);
    expect(reset.state.dayStartPv).toBe(100_000);
    // -3 % on the day is still beyond the daily limit: the reset does not re-base day_start.
    expect(next.tripped?.kind).toBe('daily_loss');
  });

  it('operator reset of an untripped switch changes nothing', () => {
    const state = run([mark(100_000)])[0].state;
    expect(riskReducer(state, { type: 'risk.operatorReset', tsMs: 1 }, params)).toEqual({ state, tripped: null, cleared: null });
  });

  it('state is plain JSON (survives a snapshot round trip)', () => {
    const state = tripped();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe('bad input', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY, 0, -5])('throws a DataError for PV %s without changing state', (pv) => {
    const state = run([mark(100_000)])[0].state;
    const before = JSON.stringify(state);
    expect(() => riskReducer(state, mark(pv), params)).toThrow(DataError);
    expect(JSON.stringify(state)).toBe(before);
  });

  it('throws when the trading day goes backwards', () => {
    const state = run([mark(100_000, '2024-03-05')])[0].state;
    expect(() => riskReducer(state, mark(100_000, '2024-03-04'), params)).toThrow(DataError);
  });
});

describe('killActionMode', () => {
  it('maps reduce_only and flatten to reducing, block to halted, untripped to active', () => {
    expect(killActionMode(params, false)).toBe('active');
    expect(killActionMode({ ...params, kill_action: 'reduce_only' }, true)).toBe('reducing');
    expect(killActionMode({ ...params, kill_action: 'flatten' }, true)).toBe('reducing');
    expect(killActionMode({ ...params, kill_action: 'block' }, true)).toBe('halted');
  });
});

describe('latch properties', () => {
  const pv = fc.double({ min: 1_000, max: 1_000_000, noNaN: true });

  it('a tripped switch stays tripped, unchanged, under any pvMarked sequence on the same day', () => {
    fc.assert(
      fc.property(fc.array(pv, { maxLength: 50 }), fc.constantFrom('daily_loss', 'drawdown', 'manual'), (pvs, kind) => {
        const start =
          kind === 'manual'
            ? run([mark(100_000), { type: 'risk.manualKill', reason: 'x', tsMs: 0 }])[1].state
            : run(kind === 'daily_loss' ? [mark(100_000), mark(97_000)] : [mark(100_000), mark(120_000), mark(105_000)])
                .at(-1)!.state;
        expect(start.killSwitch.kind).toBe(kind);
        for (const r of run(pvs.map((v) => mark(v)), params, start)) {
          expect(r.state.killSwitch).toEqual(start.killSwitch);
          expect(r.tripped).toBeNull();
          expect(r.cleared).toBeNull();
        }
      }),
    );
  });

  it('without operatorReset only a next-day daily-loss clear (with the flag) ever clears the latch', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('mark' as const), pv, newDay: fc.boolean() }),
      fc.record({ kind: fc.constant('kill' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.boolean(), (steps, resetsNextDay) => {
        const p = { ...params, daily_loss_resets_next_day: resetsNextDay };
        let state = initialRiskState();
        let day = 1;
        for (const s of steps) {
          if (s.kind === 'mark' && s.newDay) day += 1;
          const tradingDay = `2024-01-${String(day).padStart(2, '0')}`;
          const event: RiskEvent =
            s.kind === 'mark' ? mark(s.pv, tradingDay) : { type: 'risk.manualKill', reason: 'stop', tsMs: 0 };
          const r = riskReducer(state, event, p);
          if (state.killSwitch.tripped && r.cleared === null) expect(r.state.killSwitch).toEqual(state.killSwitch);
          if (state.killSwitch.tripped && r.cleared !== null) {
            // The only clear without an operator; the same mark may then re-trip on drawdown.
            expect(state.killSwitch.kind).toBe('daily_loss');
            expect(resetsNextDay).toBe(true);
            expect(r.cleared).toEqual({ kind: 'daily_loss', by: 'next_day' });
            expect(tradingDay).not.toBe(state.tradingDay);
          }
          if (!state.killSwitch.tripped) expect(r.cleared).toBeNull();
          state = r.state;
        }
      }),
    );
  });
});
