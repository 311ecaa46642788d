/**
 * The latched kill switch through the actors (SPEC 3, 4.9): a scripted loss path trips the daily
 * loss limit, the supervisor's trading region leaves `active`, the engine hears it, and later
 * orders obey kill_action. Operator kill/reset and the next-day clear of a daily-loss trip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KillAction, LiveTradingConfig } from '../../src/config/schema.ts';
import type { EngineContext } from '../../machines/engine.machine.ts';
import type { CycleReport } from '../../src/engine/TradingEngine.ts';
import { createHarness, directionScript, signedQty, testConfig, zigzag, type Harness } from './helpers.ts';

/** 2024-01-03 09:31 New York: the next trading day of the harness session. */
const NEXT_DAY_MS = Date.UTC(2024, 0, 3, 14, 31);
/** 2024-01-03 03:00 UTC is still 2024-01-02 (22:00) in New York. */
const SAME_NY_DAY_AFTER_UTC_MIDNIGHT_MS = Date.UTC(2024, 0, 3, 3, 0);

let h: Harness | null = null;
afterEach(async () => {
  await h?.engine.stop();
  h = null;
});

/** Larger positions (~7 % each) and a 1 % daily loss limit so a 3 %/minute slide trips it. */
function lossConfig(killAction: KillAction, edit?: (c: LiveTradingConfig) => void): LiveTradingConfig {
  return testConfig((c) => {
    c.sizing.z_max = 1;
    c.sizing.max_weight = 0.2;
    c.risk.max_daily_loss_pct = 1;
    c.risk.kill_action = killAction;
    edit?.(c);
  });
}

/** Zig-zag while warming up and entering long (cycle 7), then -3 % a minute while the script stays long. */
const falling = (_symbol: string, step: number) => (step <= 7 ? zigzag(100, step) : 101 * 0.97 ** (step - 7));

interface LossRun {
  harness: Harness;
  /** Reports from the trip cycle on, each with the book positions at its start. */
  after: { report: CycleReport; bookBefore: Record<string, number> }[];
  tripReport: CycleReport;
}

/** Run until the kill switch trips (at most 14 cycles), then `extra` more cycles. */
async function runLossPath(config: LiveTradingConfig, extra: number, options: { flipAfterTrip?: boolean; price?: typeof falling } = {}): Promise<LossRun> {
  let flipAt: number | null = null;
  const script = directionScript((_s, cycle) => (flipAt !== null && cycle >= flipAt ? -1 : 1));
  const harness = await createHarness({ config, price: options.price ?? falling, script });
  h = harness;
  const after: LossRun['after'] = [];
  let tripReport: CycleReport | null = null;
  for (let i = 0; i < 14 && tripReport === null; i++) {
    const bookBefore = harness.bookPositions();
    const report = (await harness.step())!;
    if (report.result.tradingState !== 'active') {
      tripReport = report;
      after.push({ report, bookBefore });
    }
  }
  if (tripReport === null) throw new Error('the loss path never tripped the kill switch');
  if (options.flipAfterTrip) flipAt = tripReport.result.cycle + 2;
  for (let i = 0; i < extra; i++) {
    const bookBefore = harness.bookPositions();
    after.push({ report: (await harness.step())!, bookBefore });
  }
  return { harness, after, tripReport };
}

function engineKill(harness: Harness): EngineContext['killSwitch'] {
  return (harness.engine.engineActor.getSnapshot().context as EngineContext).killSwitch;
}

describe('daily-loss kill switch on a scripted loss path', () => {
  it('reduce_only: the trading region leaves active, the engine and the symbols are told, a fatal event is emitted', async () => {
    const { harness, tripReport } = await runLossPath(lossConfig('reduce_only'), 0);
    expect(harness.engine.supervisorValue().trading).toBe('reducing');
    const kill = harness.engine.getStateSummary().killSwitch;
    expect(kill).toMatchObject({ tripped: true, kind: 'daily_loss', tradingDay: '2024-01-02' });
    expect(harness.engine.getStateSummary().risk.dailyPnlPct).toBeLessThan(-1);
    expect(engineKill(harness).active).toBe(true);
    expect(engineKill(harness).reason).toMatch(/daily loss/);
    const fatal = harness.events.filter((e) => e.severity === 'fatal');
    expect(fatal.map((e) => e.event_type)).toEqual(['kill_switch']);
    expect(fatal[0].data).toMatchObject({ kind: 'daily_loss', mode: 'reducing' });
    expect(tripReport.events.some((e) => e.severity === 'fatal' && e.event_type === 'kill_switch')).toBe(true);
    for (const symbol of harness.symbols) expect(harness.engine.symbolState(symbol).context.tradingMode).toBe('reducing');
  });

  it('reduce_only: from the trip cycle on, every order shrinks a held position and never flips it', async () => {
    const { harness, after } = await runLossPath(lossConfig('reduce_only'), 8, { flipAfterTrip: true });
    let reductions = 0;
    for (const { report, bookBefore } of after) {
      const seen = new Set<string>();
      for (const order of report.orders) {
        expect(seen.has(order.symbol), `one order per symbol in cycle ${report.result.cycle}`).toBe(false);
        seen.add(order.symbol);
        const held = bookBefore[order.symbol] ?? 0;
        const delta = signedQty(order);
        expect(held, `${order.clientOrderId} trades a symbol that is held`).not.toBe(0);
        expect(Math.sign(delta), `${order.clientOrderId} reduces`).toBe(-Math.sign(held));
        expect(Math.abs(delta), `${order.clientOrderId} stops at flat`).toBeLessThanOrEqual(Math.abs(held));
        expect(order.riskReducing).toBe(true);
        reductions += 1;
      }
      for (const d of report.result.decisions) {
        const held = bookBefore[d.symbol] ?? 0;
        if (d.action === 'TRADE') expect(Math.abs(held + d.shares)).toBeLessThan(Math.abs(held));
      }
    }
    // The script turns short two cycles after the trip: the reduction is capped at flat.
    expect(reductions).toBeGreaterThan(0);
    const capped = after.flatMap((a) => a.report.result.decisions).filter((d) => d.reason === 'reduce_only_capped');
    expect(capped.length).toBeGreaterThan(0);
    expect(harness.bookPositions()).toEqual({});
    expect(await harness.brokerPositions()).toEqual({});
  });

  it('flatten: every position is closed in the trip cycle, then nothing but reductions (none left)', async () => {
    const { harness, after, tripReport } = await runLossPath(lossConfig('flatten'), 5);
    const held = after[0].bookBefore;
    expect(Object.keys(held).length).toBe(3);
    expect(tripReport.orders.map((o) => [o.symbol, signedQty(o), o.state])).toEqual(
      harness.symbols.map((s) => [s, -held[s], 'filled']),
    );
    for (const d of tripReport.result.decisions) expect(d.reason).toBe('kill_switch_flatten');
    expect(harness.engine.supervisorValue().trading).toBe('reducing');
    expect(after.slice(1).flatMap((a) => a.report.orders)).toEqual([]);
    expect(harness.bookPositions()).toEqual({});
    expect(await harness.brokerPositions()).toEqual({});
  });

  it('block: trading halts and no order at all is sent after the trip; positions are kept and still marked', async () => {
    const { harness, after } = await runLossPath(lossConfig('block'), 5);
    expect(harness.engine.supervisorValue().trading).toBe('halted');
    expect(after.flatMap((a) => a.report.orders)).toEqual([]);
    for (const { report } of after) {
      expect(report.result.tradingState).toBe('halted');
      for (const d of report.result.decisions) expect(d.action).toBe('BLOCKED');
    }
    expect(harness.bookPositions()).toEqual(after[0].bookBefore);
    const last = after.at(-1)!.report.result.portfolioValue;
    expect(last).toBeLessThan(after[0].report.result.portfolioValue);
    expect(engineKill(harness).active).toBe(true);
    expect(harness.events.filter((e) => e.severity === 'fatal')).toHaveLength(1);
  });
});

describe('the latch', () => {
  /** Falls after the entry, then recovers far above the day's start. */
  const fallThenRecover = (symbol: string, step: number) => (step <= 11 ? falling(symbol, step) : zigzag(120, step));

  it('stays tripped on later cycles of the same day after PV recovers; resetKill() clears it and trading resumes', async () => {
    const { harness, after } = await runLossPath(lossConfig('reduce_only'), 6, { price: fallThenRecover });
    const last = after.at(-1)!.report;
    expect(last.result.portfolioValue).toBeGreaterThan(100_000);
    expect(harness.engine.getStateSummary().risk.dailyPnlPct).toBeGreaterThan(0);
    expect(harness.engine.getStateSummary().killSwitch.tripped).toBe(true);
    expect(harness.engine.supervisorValue().trading).toBe('reducing');
    expect(last.result.tradingState).toBe('reducing');

    harness.engine.resetKill();
    expect(harness.engine.getStateSummary().killSwitch.tripped).toBe(false);
    expect(harness.engine.supervisorValue().trading).toBe('active');
    expect(engineKill(harness)).toEqual({ active: false, reason: null });
    expect(harness.events.some((e) => e.event_type === 'kill_switch_cleared')).toBe(true);
    const next = (await harness.step())!;
    expect(next.result.tradingState).toBe('active');
    expect(harness.engine.getStateSummary().killSwitch.tripped).toBe(false);
  });

  it('a daily-loss trip clears at the next America/New_York trading day, not at UTC midnight', async () => {
    const { harness } = await runLossPath(lossConfig('reduce_only'), 1);
    await harness.step({ ts: SAME_NY_DAY_AFTER_UTC_MIDNIGHT_MS });
    expect(harness.engine.getStateSummary().killSwitch.tripped).toBe(true);
    expect(harness.engine.supervisorValue().trading).toBe('reducing');

    const report = (await harness.step({ ts: NEXT_DAY_MS }))!;
    expect(harness.engine.getStateSummary().killSwitch.tripped).toBe(false);
    expect(harness.engine.supervisorValue().trading).toBe('active');
    expect(report.result.tradingState).toBe('active');
    expect(engineKill(harness).active).toBe(false);
    const cleared = harness.events.filter((e) => e.event_type === 'kill_switch_cleared');
    expect(cleared).toHaveLength(1);
    expect(report.events.map((e) => e.event_type)).toContain('kill_switch_cleared');
    for (const symbol of harness.symbols) expect(harness.engine.symbolState(symbol).context.tradingMode).toBe('active');
  });

  it('without daily_loss_resets_next_day the daily-loss trip survives the next day', async () => {
    const { harness } = await runLossPath(lossConfig('reduce_only', (c) => (c.risk.daily_loss_resets_next_day = false)), 1);
    const report = (await harness.step({ ts: NEXT_DAY_MS }))!;
    expect(report.result.tradingState).toBe('reducing');
    expect(harness.engine.getStateSummary().killSwitch).toMatchObject({ tripped: true, kind: 'daily_loss' });
  });
});

describe('operator kill', () => {
  const price = (_s: string, step: number) => zigzag(100, step);

  it('kill(reason) latches with the reason, is announced as fatal and told to the engine; only resetKill clears it', async () => {
    h = await createHarness({ price, script: directionScript(() => 1) });
    await h.run(3);
    h.engine.kill('fat finger');
    expect(h.engine.getStateSummary().killSwitch).toMatchObject({ tripped: true, kind: 'manual', reason: 'fat finger' });
    expect(h.engine.supervisorValue().trading).toBe('reducing');
    expect(engineKill(h)).toEqual({ active: true, reason: 'fat finger' });
    const fatal = h.events.filter((e) => e.severity === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0].data).toMatchObject({ kind: 'manual', reason: 'fat finger' });

    // A manual kill is not a daily-loss trip: the next trading day does not clear it.
    const report = (await h.step({ ts: NEXT_DAY_MS }))!;
    expect(report.result.tradingState).toBe('reducing');
    expect(report.orders).toEqual([]);
    expect(h.engine.getStateSummary().killSwitch.reason).toBe('fat finger');

    h.engine.resetKill();
    expect(h.engine.supervisorValue().trading).toBe('active');
    expect(engineKill(h)).toEqual({ active: false, reason: null });
  });

  it("kill() without a reason latches with reason 'manual'", async () => {
    h = await createHarness({ price, script: directionScript(() => 1) });
    await h.run(1);
    h.engine.kill();
    expect(h.engine.getStateSummary().killSwitch).toMatchObject({ tripped: true, kind: 'manual', reason: 'manual' });
  });

  it('no order increases a position while an operator kill is latched, although the script wants longs', async () => {
    h = await createHarness({ price, script: directionScript(() => 1) });
    await h.run(3);
    h.engine.kill('maintenance');
    const reports = await h.run(6);
    expect(reports.flatMap((r) => r!.orders)).toEqual([]);
    const entries = reports.flatMap((r) => r!.result.decisions).filter((d) => d.trace.arbitration?.edge);
    expect(entries.length).toBeGreaterThan(0);
    for (const d of entries) expect([d.action, d.reason]).toEqual(['BLOCKED', 'kill_switch_reduce_only']);
  });
});
