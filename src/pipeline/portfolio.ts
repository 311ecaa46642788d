/**
 * Portfolio construction (SPEC 4.8, with the per-order risk checks of 4.9): the supervisor's
 * once-per-cycle step from the symbols' proposed target weights to share orders.
 */
import type { RiskParams, SizingParams } from '../config/schema.ts';
import { DataError } from '../core/errors.ts';
import type { DecisionAction, PortfolioTrace } from '../core/types.ts';
import type { TradingMode } from './risk.ts';

export interface PortfolioPosition {
  symbol: string;
  shares: number;
  /** Mid used for marking and sizing. */
  price: number;
}

export interface PortfolioProposal {
  symbol: string;
  targetWeight: number;
  isExit: boolean;
}

export interface PortfolioInput {
  pv: number;
  /** Current gross exposure (fraction of PV); default sum |shares*price| / PV over `positions`. */
  grossExposure?: number;
  /** Every symbol with a position or a proposal, shares 0 when flat (its price sizes the order). */
  positions: readonly PortfolioPosition[];
  proposals: readonly PortfolioProposal[];
  tradingMode: TradingMode;
  flatten: boolean;
}

export interface PortfolioOrder {
  symbol: string;
  shares: number;
  reason: string;
  riskReducing: boolean;
}

/** One symbol's line: the decision trace's portfolio part (core PortfolioTrace) plus the outcome. */
export interface PortfolioLine extends Omit<PortfolioTrace, 'price'> {
  symbol: string;
  action: DecisionAction;
  reason: string;
}

export interface PortfolioResult {
  orders: PortfolioOrder[];
  lines: PortfolioLine[];
}

/** Share counts within this of an integer are that integer: (0 - w)*PV/price must close exactly. */
const SHARE_SNAP = 1e-9;
/** Gross comparisons tolerate float noise so a target exactly at the limit is not "above" it. */
const GROSS_EPS = 1e-12;

function badPrice(what: string, value: number, symbol?: string): DataError {
  return new DataError('BAD_PRICE', `${what} must be finite and > 0, got ${value}${symbol ? ` for ${symbol}` : ''}`, {
    input: symbol ?? String(value),
    hint: 'mark positions with a valid mid; a symbol without a usable quote cannot be sized',
  });
}

/** factor = gross_target / sum|w| when sum|w| > gross_target, else 1. */
export function grossFactor(weights: readonly number[], grossTarget: number): number {
  const gross = weights.reduce((s, w) => s + Math.abs(w), 0);
  return gross > grossTarget && gross > 0 ? grossTarget / gross : 1;
}

/** w_i * grossFactor(w): scales all targets down together when their gross exceeds the target. */
export function grossNormalize(weights: readonly number[], grossTarget: number): number[] {
  const factor = grossFactor(weights, grossTarget);
  return weights.map((w) => w * factor);
}

/** |target - current| < band keeps current; a full exit to exactly 0 is never banded. */
export function noTradeBand(target: number, current: number, band: number): { weight: number; banded: boolean } {
  if (target === 0 && current !== 0) return { weight: 0, banded: false };
  if (Math.abs(target - current) < band) return { weight: current, banded: true };
  return { weight: target, banded: false };
}

/** Truncate toward zero, snapping float noise (99.9999999999 -> 100); never -0. */
function truncateShares(raw: number): number {
  const nearest = Math.round(raw);
  const whole = Math.abs(raw - nearest) < SHARE_SNAP * Math.max(1, Math.abs(raw)) ? nearest : Math.trunc(raw);
  return whole === 0 ? 0 : whole;
}

/** shares = (target - current) * PV / price, truncated toward zero unless fractional. */
export function sharesToTrade(targetWeight: number, currentWeight: number, pv: number, price: number, fractional: boolean): number {
  if (!Number.isFinite(price) || price <= 0) throw badPrice('price', price);
  if (!Number.isFinite(pv) || pv <= 0) throw badPrice('portfolio value', pv);
  if (!Number.isFinite(targetWeight) || !Number.isFinite(currentWeight)) {
    throw new DataError('BAD_WEIGHT', `weights must be finite, got target ${targetWeight} current ${currentWeight}`);
  }
  const raw = ((targetWeight - currentWeight) * pv) / price;
  if (fractional) return raw === 0 ? 0 : raw;
  return truncateShares(raw);
}

/** Working row of one symbol while the steps run. */
interface Row {
  symbol: string;
  price: number | null;
  heldShares: number;
  proposal: PortfolioProposal | null;
  line: PortfolioLine;
}

/** An order shrinks |position| without flipping it. */
function reduces(held: number, delta: number): boolean {
  const after = held + delta;
  return held !== 0 && delta !== 0 && after * held >= 0 && Math.abs(after) < Math.abs(held);
}

function indexRows(input: PortfolioInput): Row[] {
  const bySymbol = new Map<string, PortfolioPosition>();
  for (const p of input.positions) {
    if (bySymbol.has(p.symbol)) throw new DataError('DUPLICATE_SYMBOL', `position ${p.symbol} listed twice`, { input: p.symbol });
    if (!Number.isFinite(p.price) || p.price <= 0) throw badPrice('price', p.price, p.symbol);
    if (!Number.isFinite(p.shares)) throw new DataError('BAD_POSITION', `shares of ${p.symbol} must be finite, got ${p.shares}`, { input: p.symbol });
    bySymbol.set(p.symbol, p);
  }
  const seen = new Set<string>();
  const rows: Row[] = [];
  const blank = (symbol: string, currentWeight: number): PortfolioLine => ({
    symbol, currentWeight, proposedWeight: currentWeight, normalizedWeight: currentWeight, grossFactor: 1,
    banded: false, riskAdjustedWeight: currentWeight, riskReason: null, shares: 0, action: 'HOLD', reason: 'no_proposal',
  });
  const weightOf = (p: PortfolioPosition | undefined) => (p ? (p.shares * p.price) / input.pv : 0);
  for (const proposal of input.proposals) {
    if (seen.has(proposal.symbol)) throw new DataError('DUPLICATE_SYMBOL', `proposal ${proposal.symbol} listed twice`, { input: proposal.symbol });
    if (!Number.isFinite(proposal.targetWeight)) {
      throw new DataError('BAD_WEIGHT', `target weight of ${proposal.symbol} must be finite, got ${proposal.targetWeight}`, { input: proposal.symbol });
    }
    seen.add(proposal.symbol);
    const pos = bySymbol.get(proposal.symbol);
    rows.push({ symbol: proposal.symbol, price: pos?.price ?? null, heldShares: pos?.shares ?? 0, proposal, line: blank(proposal.symbol, weightOf(pos)) });
  }
  for (const pos of input.positions) {
    if (seen.has(pos.symbol) || pos.shares === 0) continue;
    rows.push({ symbol: pos.symbol, price: pos.price, heldShares: pos.shares, proposal: null, line: blank(pos.symbol, weightOf(pos)) });
  }
  return rows;
}

/**
 * Steps: re-mark current weights; gross-normalise proposals; no-trade band; position cap; gross
 * cap (reductions counted first, then increases in proposal order); shares; kill-switch mode;
 * orders risk-reducing first.
 */
export function constructPortfolio(input: PortfolioInput, sizing: SizingParams, risk: RiskParams): PortfolioResult {
  const { pv } = input;
  if (!Number.isFinite(pv) || pv <= 0) throw badPrice('portfolio value', pv);
  const rows = indexRows(input);
  const proposed = rows.filter((r) => r.proposal !== null);
  const factor = grossFactor(proposed.map((r) => r.proposal!.targetWeight), sizing.gross_target);
  const cap = risk.max_position_pct / 100;
  const sharesFor = (r: Row, w: number) =>
    // A full exit closes exactly what is held, even a fractional lot in whole-share mode.
    w === 0 ? (r.heldShares === 0 ? 0 : -r.heldShares) : sharesToTrade(w, r.line.currentWeight, pv, r.price!, sizing.fractional_shares);

  // Desired weights: normalise, band, cap.
  const desired = new Map<Row, number>();
  for (const r of proposed) {
    const line = r.line;
    line.proposedWeight = r.proposal!.targetWeight;
    line.normalizedWeight = line.proposedWeight * factor;
    line.grossFactor = factor;
    const band = noTradeBand(line.normalizedWeight, line.currentWeight, sizing.no_trade_band);
    let w = band.weight;
    line.banded = band.banded;
    if (Math.abs(w) > cap) {
      // Risk limits beat the band: a held weight above the cap is cut back even if "banded".
      w = Math.sign(w) * cap;
      line.riskReason = 'position_capped';
      line.banded = false;
    }
    line.riskAdjustedWeight = w;
    if (r.price !== null) desired.set(r, w);
  }

  // Gross cap: every gross-reducing change is counted first, then increases in proposal order.
  let gross = input.grossExposure ?? rows.reduce((s, r) => s + Math.abs(r.line.currentWeight), 0);
  const shares = new Map<Row, number>();
  const increases: Row[] = [];
  for (const [r, w] of desired) {
    const n = sharesFor(r, w);
    const after = r.line.currentWeight + (n * r.price!) / pv;
    const change = Math.abs(after) - Math.abs(r.line.currentWeight);
    if (change > 0) increases.push(r);
    else {
      shares.set(r, n);
      gross += change;
    }
  }
  for (const r of increases) {
    const cur = r.line.currentWeight;
    let n = sharesFor(r, desired.get(r)!);
    let change = Math.abs(cur + (n * r.price!) / pv) - Math.abs(cur);
    if (gross + change > risk.max_gross_exposure + GROSS_EPS) {
      const room = Math.max(0, risk.max_gross_exposure - gross);
      // The point on the way to the target where gross has grown by exactly `room`.
      const w = Math.sign(desired.get(r)!) * (Math.abs(cur) + room);
      r.line.riskAdjustedWeight = w;
      r.line.riskReason = 'gross_capped';
      n = sharesFor(r, w);
      change = Math.abs(cur + (n * r.price!) / pv) - Math.abs(cur);
    }
    shares.set(r, n);
    gross += change;
  }

  const orders: (PortfolioOrder & { rank: number })[] = [];
  rows.forEach((r, rank) => {
    const line = r.line;
    const trade = (n: number, reason: string, riskReducing: boolean) => {
      line.shares = n;
      line.action = 'TRADE';
      line.reason = reason;
      orders.push({ symbol: r.symbol, shares: n, reason, riskReducing, rank });
    };
    const set = (action: DecisionAction, reason: string) => {
      line.action = action;
      line.reason = reason;
      line.shares = 0;
    };
    if (input.tradingMode === 'halted') return set('BLOCKED', 'kill_switch_block');
    if (input.flatten) {
      if (r.heldShares === 0) return set('BLOCKED', 'kill_switch_flatten');
      line.riskAdjustedWeight = 0;
      line.riskReason = 'kill_switch_flatten';
      return trade(-r.heldShares, 'kill_switch_flatten', true);
    }
    if (r.proposal === null) return set('HOLD', 'no_proposal');
    if (r.price === null) return set('BLOCKED', 'no_price');
    if (line.banded) return set('HOLD', 'no_trade_band');
    let n = shares.get(r) ?? 0;
    if (n === 0) return set('HOLD', line.riskReason === 'gross_capped' ? 'gross_capped' : 'below_one_share');
    const defaultReason =
      line.riskReason ??
      (r.proposal.isExit || line.riskAdjustedWeight === 0 ? 'exit' : line.currentWeight === 0 ? 'entry' : 'rebalance');
    if (input.tradingMode === 'reducing') {
      // Reduce-only: the sign must shrink |position|, and the quantity stops at flat (never flips).
      if (r.heldShares === 0 || Math.sign(n) !== -Math.sign(r.heldShares)) return set('BLOCKED', 'kill_switch_reduce_only');
      if (Math.abs(n) > Math.abs(r.heldShares)) {
        n = -r.heldShares;
        line.riskAdjustedWeight = 0;
        line.riskReason = 'reduce_only_capped';
        return trade(n, 'reduce_only_capped', true);
      }
      return trade(n, defaultReason, true);
    }
    return trade(n, defaultReason, reduces(r.heldShares, n));
  });

  orders.sort((a, b) => Number(b.riskReducing) - Number(a.riskReducing) || a.rank - b.rank);
  return {
    orders: orders.map(({ rank: _rank, ...order }) => order),
    lines: rows.map((r) => r.line),
  };
}
