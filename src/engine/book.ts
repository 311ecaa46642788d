/**
 * The supervisor's own book: cash, positions with their opening horizon and time, marks. Updated
 * from fills with the same position rule as the paper broker (src/brokers/position.ts), so both
 * agree; reconciliation compares them with the broker's view. Plain JSON (persisted).
 */
import { applyFillToPosition } from '../brokers/position.ts';
import type { Fill } from '../brokers/types.ts';

export interface BookPosition {
  symbol: string;
  shares: number;
  avgEntryPrice: number;
  openedAtMs: number;
  horizon: string;
  /** Entry notional and costs since opening: the realised net return for the bandit. */
  entryNotional: number;
  realisedPnl: number;
  fees: number;
}

export interface Book {
  cash: number;
  positions: Record<string, BookPosition>;
  /** Latest mid per symbol, for marking. */
  marks: Record<string, number>;
  feesPaid: number;
  realisedPnl: number;
}

export interface ClosedPosition {
  symbol: string;
  horizon: string;
  /** Realised net return over the position's life, in bps of its entry notional (after fees). */
  netReturnBps: number;
}

export function createBook(cash: number): Book {
  return { cash, positions: {}, marks: {}, feesPaid: 0, realisedPnl: 0 };
}

/** PV = cash + sum(shares * mark); a position without a mark is valued at its entry price. */
export function portfolioValue(book: Book): number {
  let value = book.cash;
  for (const p of Object.values(book.positions)) value += p.shares * (book.marks[p.symbol] ?? p.avgEntryPrice);
  return value;
}

export function grossExposure(book: Book, pv: number): number {
  let gross = 0;
  for (const p of Object.values(book.positions)) gross += Math.abs(p.shares * (book.marks[p.symbol] ?? p.avgEntryPrice));
  return pv > 0 ? gross / pv : 0;
}

export function netExposure(book: Book, pv: number): number {
  let net = 0;
  for (const p of Object.values(book.positions)) net += p.shares * (book.marks[p.symbol] ?? p.avgEntryPrice);
  return pv > 0 ? net / pv : 0;
}

export function weightOf(book: Book, symbol: string, pv: number): number {
  const p = book.positions[symbol];
  if (!p || pv <= 0) return 0;
  return (p.shares * (book.marks[symbol] ?? p.avgEntryPrice)) / pv;
}

/** Book one fill: cash moves by notional and fee (cash includes fees); returns a closed position if any. */
export function applyFill(book: Book, fill: Fill, horizon: string | null, nowMs: number): ClosedPosition | null {
  const previous = book.positions[fill.symbol] ?? null;
  const notional = fill.qty * fill.price;
  book.cash += fill.side === 'buy' ? -notional - fill.fee : notional - fill.fee;
  book.feesPaid += fill.fee;
  const before = previous ? { symbol: previous.symbol, qty: previous.shares, avgEntryPrice: previous.avgEntryPrice } : null;
  const { position, realisedPnl } = applyFillToPosition(before, fill.side, fill.qty, fill.price, fill.symbol);
  book.realisedPnl += realisedPnl;
  let closed: ClosedPosition | null = null;
  const flipped = previous !== null && position !== null && Math.sign(position.qty) !== Math.sign(previous.shares);
  if (previous && (position === null || flipped)) {
    // The fee of a flipping fill is split pro rata between the closed part and the new position.
    const closedShare = Math.abs(previous.shares) / fill.qty;
    const totalPnl = previous.realisedPnl + realisedPnl - previous.fees - fill.fee * Math.min(1, closedShare);
    closed = {
      symbol: fill.symbol,
      horizon: previous.horizon,
      netReturnBps: previous.entryNotional > 0 ? (totalPnl / previous.entryNotional) * 1e4 : 0,
    };
  }
  if (position === null) {
    delete book.positions[fill.symbol];
  } else if (previous === null || flipped) {
    const openFee = flipped ? fill.fee * (1 - Math.min(1, Math.abs(previous!.shares) / fill.qty)) : fill.fee;
    book.positions[fill.symbol] = {
      symbol: fill.symbol,
      shares: position.qty,
      avgEntryPrice: position.avgEntryPrice,
      openedAtMs: nowMs,
      horizon: horizon ?? '5m',
      entryNotional: Math.abs(position.qty) * position.avgEntryPrice,
      realisedPnl: 0,
      fees: openFee,
    };
  } else {
    const adding = Math.abs(position.qty) > Math.abs(previous.shares);
    book.positions[fill.symbol] = {
      ...previous,
      shares: position.qty,
      avgEntryPrice: position.avgEntryPrice,
      entryNotional: adding ? previous.entryNotional + notional : previous.entryNotional,
      realisedPnl: previous.realisedPnl + realisedPnl,
      fees: previous.fees + fill.fee,
    };
  }
  return closed;
}
