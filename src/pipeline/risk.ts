/**
 * Risk limits and the latched kill switch (SPEC 4.9) as a pure reducer. The state is plain JSON
 * because it is persisted in snapshots: a tripped switch survives restarts.
 */
import type { RiskParams } from '../config/schema.ts';
import { DataError } from '../core/errors.ts';

export type KillKind = 'daily_loss' | 'drawdown' | 'manual';

export interface KillSwitchState {
  tripped: boolean;
  kind: KillKind | null;
  reason: string | null;
  trippedAtMs: number | null;
  tradingDay: string | null;
}

export interface RiskState {
  tradingDay: string | null;
  dayStartPv: number | null;
  peakPv: number | null;
  lastPv: number | null;
  killSwitch: KillSwitchState;
}

export type RiskEvent =
  | { type: 'risk.pvMarked'; pv: number; tsMs: number; tradingDay: string }
  | { type: 'risk.manualKill'; reason: string; tsMs: number }
  | { type: 'risk.operatorReset'; tsMs: number };

export interface RiskTrip {
  kind: string;
  reason: string;
  dailyPnlPct: number;
  drawdownPct: number;
}

export interface RiskClear {
  kind: string;
  by: 'operator' | 'next_day';
}

export interface RiskResult {
  state: RiskState;
  tripped: null | RiskTrip;
  cleared: null | RiskClear;
}

export type TradingMode = 'active' | 'reducing' | 'halted';

const CLEAR_LATCH: KillSwitchState = { tripped: false, kind: null, reason: null, trippedAtMs: null, tradingDay: null };
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export function initialRiskState(): RiskState {
  return { tradingDay: null, dayStartPv: null, peakPv: null, lastPv: null, killSwitch: { ...CLEAR_LATCH } };
}

function assertPv(pv: number): void {
  if (typeof pv !== 'number' || !Number.isFinite(pv) || pv <= 0) {
    throw new DataError('BAD_PV', `portfolio value must be finite and > 0, got ${pv}`, {
      input: String(pv),
      hint: 'the kill switch never changes state on a bad portfolio value; check the marks (mid prices)',
    });
  }
}

/**
 * daily = (pv - day_start)*100/day_start; drawdown = (peak - pv)*100/peak with peak >= pv.
 * Multiplying before dividing keeps round examples exact (10.0000 % must not read 10.0000000002).
 */
export function riskMetrics(state: RiskState, pv: number): { dailyPnlPct: number; drawdownPct: number } {
  assertPv(pv);
  const dailyPnlPct = state.dayStartPv === null ? 0 : ((pv - state.dayStartPv) * 100) / state.dayStartPv;
  const peak = Math.max(state.peakPv ?? pv, pv);
  const drawdownPct = ((peak - pv) * 100) / peak;
  return { dailyPnlPct, drawdownPct };
}

/** reduce_only and flatten -> reducing (flatten closes first, then reduce_only); block -> halted. */
export function killActionMode(params: RiskParams, tripped: boolean): TradingMode {
  if (!tripped) return 'active';
  return params.kill_action === 'block' ? 'halted' : 'reducing';
}

/** Which limit the metrics breach, if any. Drawdown wins a double breach: it never auto-clears. */
function breach(m: { dailyPnlPct: number; drawdownPct: number }, params: RiskParams): { kind: KillKind; reason: string } | null {
  const daily = m.dailyPnlPct < -params.max_daily_loss_pct;
  const drawdown = m.drawdownPct > params.max_drawdown_pct;
  const dailyText = `daily loss ${m.dailyPnlPct.toFixed(4)}% < -${params.max_daily_loss_pct}%`;
  const ddText = `drawdown ${m.drawdownPct.toFixed(4)}% > ${params.max_drawdown_pct}%`;
  if (drawdown) return { kind: 'drawdown', reason: daily ? `${ddText}; ${dailyText}` : ddText };
  if (daily) return { kind: 'daily_loss', reason: dailyText };
  return null;
}

function onPvMarked(state: RiskState, event: Extract<RiskEvent, { type: 'risk.pvMarked' }>, params: RiskParams): RiskResult {
  assertPv(event.pv);
  if (typeof event.tradingDay !== 'string' || event.tradingDay === '') {
    throw new DataError('BAD_TRADING_DAY', `trading day must be a non-empty string, got ${String(event.tradingDay)}`, {
      input: String(event.tradingDay),
    });
  }
  const prevDay = state.tradingDay;
  if (prevDay !== null && ISO_DAY.test(prevDay) && ISO_DAY.test(event.tradingDay) && event.tradingDay < prevDay) {
    // A day going backwards would re-base day_start and could clear a latch: refuse it loudly.
    throw new DataError('TRADING_DAY_BACKWARDS', `trading day went backwards: ${prevDay} -> ${event.tradingDay}`, {
      input: event.tradingDay,
      hint: 'risk events must arrive in time order from one clock',
    });
  }

  let next: RiskState = { ...state, killSwitch: { ...state.killSwitch }, lastPv: event.pv };
  let cleared: RiskClear | null = null;
  if (prevDay !== event.tradingDay) {
    next.tradingDay = event.tradingDay;
    next.dayStartPv = event.pv; // PV at the first cycle of the trading day
    const latch = next.killSwitch;
    if (latch.tripped && latch.kind === 'daily_loss' && params.daily_loss_resets_next_day) {
      cleared = { kind: 'daily_loss', by: 'next_day' };
      next.killSwitch = { ...CLEAR_LATCH };
    }
  }
  next.peakPv = Math.max(next.peakPv ?? event.pv, event.pv);

  if (next.killSwitch.tripped) return { state: next, tripped: null, cleared };
  const metrics = riskMetrics(next, event.pv);
  const hit = breach(metrics, params);
  if (hit === null) return { state: next, tripped: null, cleared };
  next = {
    ...next,
    killSwitch: { tripped: true, kind: hit.kind, reason: hit.reason, trippedAtMs: event.tsMs, tradingDay: event.tradingDay },
  };
  return { state: next, tripped: { kind: hit.kind, reason: hit.reason, ...metrics }, cleared };
}

/**
 * Latched kill switch: pvMarked re-bases day_start on a new trading day, tracks the peak and trips
 * on a breach; manualKill latches; operatorReset clears. Once tripped it stays tripped (a second
 * breach keeps the original reason) until an operator reset, or the next trading day for a
 * daily-loss trip with daily_loss_resets_next_day.
 *
 * operatorReset keeps day_start (the daily-loss budget is per trading day, so a daily-loss latch
 * reset the same day re-trips on the next mark if the loss is still beyond the limit) and
 * re-bases the peak to the last PV, so a drawdown latch does not re-trip at once: the operator
 * accepts the loss so far and drawdown is measured from here.
 */
export function riskReducer(state: RiskState, event: RiskEvent, params: RiskParams): RiskResult {
  switch (event.type) {
    case 'risk.pvMarked':
      return onPvMarked(state, event, params);
    case 'risk.manualKill': {
      if (state.killSwitch.tripped) return { state, tripped: null, cleared: null };
      const reason = event.reason && event.reason.trim() !== '' ? event.reason : 'manual';
      const metrics = state.lastPv === null ? { dailyPnlPct: 0, drawdownPct: 0 } : riskMetrics(state, state.lastPv);
      return {
        state: {
          ...state,
          killSwitch: { tripped: true, kind: 'manual', reason, trippedAtMs: event.tsMs, tradingDay: state.tradingDay },
        },
        tripped: { kind: 'manual', reason, ...metrics },
        cleared: null,
      };
    }
    case 'risk.operatorReset': {
      if (!state.killSwitch.tripped) return { state, tripped: null, cleared: null };
      return {
        state: { ...state, peakPv: state.lastPv ?? state.peakPv, killSwitch: { ...CLEAR_LATCH } },
        tripped: null,
        cleared: { kind: state.killSwitch.kind ?? 'manual', by: 'operator' },
      };
    }
    default: {
      const unknown: never = event;
      throw new DataError('UNKNOWN_RISK_EVENT', `unknown risk event ${JSON.stringify(unknown)}`);
    }
  }
}
