/**
 * Reconciliation (SPEC 8): compare the engine's book with the broker's account before trading.
 *
 * When: before the first cycle of every boot (fresh or restored from a snapshot, the engine's
 * `reconciling` state) and after every broker reconnect, since fills, cancels or manual trades
 * may have happened while the engine was not listening.
 *
 * Invariants checked (every mismatch is reported, in this order, deterministically):
 * - Positions, per symbol over the union of both sides sorted by symbol: signed shares must
 *   agree within `qty_tolerance` (a side without the symbol counts as 0 shares and is reported
 *   as null). Average entry prices are not compared: brokers compute them differently (fees,
 *   FIFO vs average cost) and they do not change what is at risk.
 * - Cash: `|engine - broker| <= cash_tolerance`.
 * - Open orders: every order the broker reports open must be one the engine tracks
 *   (`unknown_open_order`: placed by someone else, or by us and never persisted), and every
 *   order the engine tracks as open must be open at the broker (`missing_open_order`: filled,
 *   canceled or expired unseen; the caller resolves it by `getOrder(clientOrderId)`).
 * A difference exactly at a tolerance passes (float rounding of 1e-9 relative is forgiven, so
 * 0.31 - 0.30 against 0.01 passes as it should).
 *
 * Modes: `strict` + mismatches -> `refuse` (the caller throws ReconciliationError; no trading);
 * `warn` -> trade on with the engine's view, logging every mismatch; `sync` -> `syncedBook` is
 * the book with the broker's positions (qty, avgEntryPrice) and cash; positions the broker does
 * not hold are removed, new or flipped ones open at `nowMs` on `defaultHorizon`, others keep
 * their opening time, horizon and running P&L. Orders are never synced: they are reported, and
 * cancelling or adopting an unknown order is the caller's decision.
 *
 * Pure: no I/O, no clock; the input book is never modified.
 */
import type { LiveTradingConfig } from '../config/schema.ts';
import { BrokerError, ConfigError, StateError } from '../core/errors.ts';
import type { Book, BookPosition } from '../engine/book.ts';
import { isTerminalStatus, type BrokerOrder, type BrokerPosition } from '../brokers/types.ts';

export type ReconcileParams = LiveTradingConfig['reconciliation'];

export interface ReconcileInput {
  book: Book;
  brokerPositions: BrokerPosition[];
  brokerCash: number;
  brokerOpenOrders: BrokerOrder[];
  /** Client order ids the engine holds as open (submitted, accepted, partially filled, unresolved). */
  knownOpenOrderIds: string[];
  /** Engine-clock time: the opening time of positions adopted in sync mode. */
  nowMs: number;
  /** Horizon given to positions adopted in sync mode (their exit clock runs on it). */
  defaultHorizon: string;
}

export type MismatchKind = 'position' | 'cash' | 'unknown_open_order' | 'missing_open_order';

export interface Mismatch {
  kind: MismatchKind;
  symbol?: string;
  engine: number | string | null;
  broker: number | string | null;
  detail: string;
}

export type ReconcileAction = 'none' | 'refuse' | 'warn' | 'sync';

export interface ReconcileResult {
  ok: boolean;
  mismatches: Mismatch[];
  action: ReconcileAction;
  syncedBook: Book | null;
}

const ACTION_FOR_MODE: Record<ReconcileParams['mode'], ReconcileAction> = { strict: 'refuse', warn: 'warn', sync: 'sync' };

/** reconcile(input, params) = the mismatches between book and broker, and what the mode says to do. */
export function reconcile(input: ReconcileInput, params: ReconcileParams): ReconcileResult {
  validate(input, params);
  const brokerBySymbol = new Map(input.brokerPositions.map((p) => [p.symbol, p]));
  const mismatches: Mismatch[] = [
    ...positionMismatches(input.book, brokerBySymbol, params.qty_tolerance),
    ...cashMismatches(input.book.cash, input.brokerCash, params.cash_tolerance),
    ...orderMismatches(input.brokerOpenOrders, input.knownOpenOrderIds),
  ];
  const ok = mismatches.length === 0;
  const action = ok ? 'none' : ACTION_FOR_MODE[params.mode];
  const syncedBook = action === 'sync' ? syncBook(input, brokerBySymbol) : null;
  return { ok, mismatches, action, syncedBook };
}

/** exceeds(diff, tol, scale) = diff - tol > 1e-9 * max(1, scale): beyond the tolerance by more than rounding. */
function exceeds(diff: number, tolerance: number, scale: number): boolean {
  return diff - tolerance > 1e-9 * Math.max(1, scale);
}

/** Signed-share mismatch per symbol over the sorted union of both sides (absent = 0, reported null). */
function positionMismatches(book: Book, broker: Map<string, BrokerPosition>, tolerance: number): Mismatch[] {
  const symbols = [...new Set([...Object.keys(book.positions), ...broker.keys()])].sort();
  const found: Mismatch[] = [];
  for (const symbol of symbols) {
    const engineQty = book.positions[symbol]?.shares ?? null;
    const brokerQty = broker.get(symbol)?.qty ?? null;
    const diff = Math.abs((engineQty ?? 0) - (brokerQty ?? 0));
    if (!exceeds(diff, tolerance, Math.max(Math.abs(engineQty ?? 0), Math.abs(brokerQty ?? 0)))) continue;
    const where = engineQty === null ? 'only the broker holds it' : brokerQty === null ? 'only the engine holds it' : `differ by ${round(diff)}`;
    found.push({ kind: 'position', symbol, engine: engineQty, broker: brokerQty, detail: `${symbol} shares: engine ${engineQty ?? 'none'}, broker ${brokerQty ?? 'none'} (${where}; tolerance ${tolerance})` });
  }
  return found;
}

/** Cash mismatch when |engine - broker| > cash_tolerance. */
function cashMismatches(engineCash: number, brokerCash: number, tolerance: number): Mismatch[] {
  const diff = Math.abs(engineCash - brokerCash);
  if (!exceeds(diff, tolerance, Math.max(Math.abs(engineCash), Math.abs(brokerCash)))) return [];
  return [{ kind: 'cash', engine: engineCash, broker: brokerCash, detail: `cash: engine ${round(engineCash)}, broker ${round(brokerCash)} (differ by ${round(diff)}; tolerance ${tolerance})` }];
}

/** Broker-open orders the engine does not know, then engine-known orders the broker does not hold open, each sorted by id. */
function orderMismatches(brokerOpen: BrokerOrder[], knownIds: string[]): Mismatch[] {
  // A terminal order in an "open orders" answer is not open, whatever the adapter returned.
  const open = brokerOpen.filter((o) => !isTerminalStatus(o.status));
  const openIds = new Set(open.map((o) => o.clientOrderId));
  const known = new Set(knownIds);
  const unknown = open
    .filter((o) => !known.has(o.clientOrderId))
    .sort((a, b) => compare(a.clientOrderId, b.clientOrderId))
    .map((o): Mismatch => ({
      kind: 'unknown_open_order',
      symbol: o.symbol,
      engine: null,
      broker: o.clientOrderId,
      detail: `order ${o.clientOrderId} (${o.side} ${o.qty} ${o.symbol}, ${o.status}) is open at the broker but unknown to the engine`,
    }));
  const missing = [...known]
    .filter((id) => !openIds.has(id))
    .sort(compare)
    .map((id): Mismatch => ({ kind: 'missing_open_order', engine: id, broker: null, detail: `order ${id} is open in the engine but not at the broker (query it by client order id)` }));
  return [...unknown, ...missing];
}

/** The book with the broker's positions and cash; metadata kept where the position is the same side. */
function syncBook(input: ReconcileInput, broker: Map<string, BrokerPosition>): Book {
  const synced: Book = structuredClone(input.book);
  synced.cash = input.brokerCash;
  const positions: Record<string, BookPosition> = {};
  for (const symbol of [...broker.keys()].sort()) {
    const held = broker.get(symbol)!;
    if (held.qty === 0) continue;
    const previous = synced.positions[symbol];
    const sameSide = previous !== undefined && Math.sign(previous.shares) === Math.sign(held.qty);
    if (sameSide) {
      const unchanged = previous.shares === held.qty && previous.avgEntryPrice === held.avgEntryPrice;
      positions[symbol] = {
        ...previous,
        shares: held.qty,
        avgEntryPrice: held.avgEntryPrice,
        entryNotional: unchanged ? previous.entryNotional : Math.abs(held.qty) * held.avgEntryPrice,
      };
    } else {
      positions[symbol] = {
        symbol,
        shares: held.qty,
        avgEntryPrice: held.avgEntryPrice,
        openedAtMs: input.nowMs,
        horizon: input.defaultHorizon,
        entryNotional: Math.abs(held.qty) * held.avgEntryPrice,
        realisedPnl: 0,
        fees: 0,
      };
    }
  }
  synced.positions = positions;
  return synced;
}

// Bad numbers never flow into a comparison: a NaN difference is "not > tolerance" and would pass.
function validate(input: ReconcileInput, params: ReconcileParams): void {
  const seen = new Set<string>();
  for (const p of input.brokerPositions) {
    if (seen.has(p.symbol)) throw badBroker(`reports ${p.symbol} twice`, p.symbol);
    seen.add(p.symbol);
    if (!Number.isFinite(p.qty)) throw badBroker(`reports ${p.qty} shares of ${p.symbol}`, p.symbol);
    if (p.qty !== 0 && !(Number.isFinite(p.avgEntryPrice) && p.avgEntryPrice > 0)) throw badBroker(`reports average entry price ${p.avgEntryPrice} for ${p.symbol}`, p.symbol);
  }
  if (!Number.isFinite(input.brokerCash)) throw badBroker(`reports cash ${input.brokerCash}`, 'cash');
  for (const p of Object.values(input.book.positions)) {
    if (!Number.isFinite(p.shares)) throw new StateError('RECONCILIATION_BAD_BOOK', `engine book holds ${p.shares} shares of ${p.symbol}`, { input: p.symbol });
  }
  if (!Number.isFinite(input.book.cash)) throw new StateError('RECONCILIATION_BAD_BOOK', `engine book holds cash ${input.book.cash}`, { input: 'cash' });
  if (!Number.isFinite(input.nowMs)) throw new StateError('RECONCILIATION_BAD_TIME', `reconciliation time ${input.nowMs} is not finite`, { input: String(input.nowMs) });
  for (const [key, value] of [['qty_tolerance', params.qty_tolerance], ['cash_tolerance', params.cash_tolerance]] as const) {
    if (!(Number.isFinite(value) && value >= 0)) throw new ConfigError('live_trading.yaml', `live_trading.reconciliation.${key}`, `must be a finite number >= 0, got ${value}`);
  }
}

function badBroker(problem: string, input: string): BrokerError {
  return new BrokerError('BROKER_BAD_DATA', `broker ${problem}`, 'definitive', { input, hint: 'the broker account data cannot be reconciled; check the adapter and the account' });
}

function round(x: number): number {
  return Number(x.toPrecision(10));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
