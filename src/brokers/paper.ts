/**
 * Paper broker (SPEC 9): market orders fill immediately and completely at the current quote,
 * BUY at `ask*(1+slippage_bps/1e4)`, SELL at `bid*(1-slippage_bps/1e4)`, fee = notional*fee_bps/1e4,
 * and cash includes fees. Prices are kept in full float64 (the journal tests compare to the formula).
 *
 * Rules that the SPEC leaves open, decided here:
 * - Buying power (Reg-T style 50 % margin, both sides): an order that increases |position| or
 *   flips it is accepted only if, after the fill, gross exposure sum|qty*mark| <= 2 * equity.
 *   A pure reduction is always allowed, so a risk flatten works even when over-leveraged.
 * - Marks are quote mids; a position whose symbol has no valid quote is marked at its average
 *   entry price.
 * - Idempotent submit: a clientOrderId seen before returns the booked result again (accepted with
 *   the same fills, or the same rejection) and books nothing. This is what makes re-running an
 *   in-flight submit after a snapshot restore safe. Same id with different symbol/side/qty is
 *   rejected `DUPLICATE_CLIENT_ORDER_ID` and not recorded (the first order stays).
 * - Only the last 1000 terminal orders are kept (paper orders are never open), so idempotency
 *   covers the last 1000 client order ids.
 * - A reduce-only order that would flip the position is rejected (not capped).
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { StateError } from '../core/errors.ts';
import { applyFillToPosition, quoteProblem } from './position.ts';
import {
  BrokerError,
  BrokerOrderSchema,
  BrokerPositionSchema,
  FillSchema,
  type Broker,
  type BrokerAccount,
  type BrokerOrder,
  type BrokerPosition,
  type CancelResult,
  type Fill,
  type MarketPriceSource,
  type OrderRequest,
  type SubmitResult,
} from './types.ts';

export type PaperRejectCode =
  | 'NO_QUOTE'
  | 'BAD_QUOTE'
  | 'SHORT_NOT_ALLOWED'
  | 'INSUFFICIENT_BUYING_POWER'
  | 'INVALID_QTY'
  | 'INVALID_ORDER'
  | 'DUPLICATE_CLIENT_ORDER_ID'
  | 'REDUCE_ONLY_VIOLATION';

/** Gross exposure may be at most this multiple of equity (50 % initial margin). */
export const PAPER_MAX_LEVERAGE = 2;
/** Terminal orders kept in state (and therefore the idempotency window). */
export const PAPER_MAX_TERMINAL_ORDERS = 1000;

const PaperOrderRecordSchema = z.object({ order: BrokerOrderSchema, fills: z.array(FillSchema) });
export const PaperBrokerStateSchema = z.object({
  version: z.literal(1),
  cash: z.number(),
  positions: z.array(BrokerPositionSchema),
  realisedPnl: z.record(z.string(), z.number()),
  feesPaid: z.number(),
  orders: z.array(PaperOrderRecordSchema),
  orderSeq: z.number().int().nonnegative(),
  executionSeq: z.number().int().nonnegative(),
});
/** Plain JSON: persisted inside the engine snapshot. */
export type PaperBrokerState = z.infer<typeof PaperBrokerStateSchema>;
type PaperOrderRecord = z.infer<typeof PaperOrderRecordSchema>;

type Rejected = Extract<SubmitResult, { outcome: 'rejected' }>;

export interface PaperBrokerOptions {
  initialCash: number;
  slippageBps: number;
  feeBps: number;
  allowShort: boolean;
  quotes: MarketPriceSource;
  clock: Clock;
  /** Prefix of broker order ids (`<p>-P<n>`) and execution ids (`<p>-E<n>`); default `paper`. */
  idPrefix?: string;
  /** Allow fractional quantities; default false (whole shares, SPEC 4.8). */
  fractionalShares?: boolean;
  /** Restore from `toJSON()` output; `initialCash` is then ignored. */
  state?: PaperBrokerState;
}

export class PaperBroker implements Broker {
  readonly name = 'paper' as const;
  private readonly opts: PaperBrokerOptions;
  private readonly prefix: string;
  private state: PaperBrokerState;
  private readonly byClientId = new Map<string, PaperOrderRecord>();
  private closed = false;

  constructor(opts: PaperBrokerOptions) {
    for (const key of ['initialCash', 'slippageBps', 'feeBps'] as const) {
      if (!Number.isFinite(opts[key]) || opts[key] < 0) {
        throw new StateError('PAPER_BAD_OPTION', `paper broker ${key} must be finite and >= 0, got ${opts[key]}`, {
          input: String(opts[key]),
        });
      }
    }
    this.opts = opts;
    this.prefix = opts.idPrefix ?? 'paper';
    if (opts.state) {
      const parsed = PaperBrokerStateSchema.safeParse(opts.state);
      if (!parsed.success) {
        throw new StateError('PAPER_STATE_INVALID', `paper broker state is invalid: ${parsed.error.message}`, {
          hint: 'restore from an older snapshot generation or start with --fresh',
        });
      }
      this.state = structuredClone(parsed.data);
    } else {
      this.state = {
        version: 1, cash: opts.initialCash, positions: [], realisedPnl: {}, feesPaid: 0,
        orders: [], orderSeq: 0, executionSeq: 0,
      };
    }
    for (const record of this.state.orders) this.byClientId.set(record.order.clientOrderId, record);
  }

  async submitOrder(req: OrderRequest): Promise<SubmitResult> {
    this.assertOpen();
    const existing = this.byClientId.get(req.clientOrderId);
    if (existing) return this.replay(existing, req);
    const invalid = this.validate(req);
    if (invalid) {
      if (invalid.code === 'INVALID_ORDER' && !req.clientOrderId) return this.rejection(req, invalid.code, invalid.reason);
      return this.reject(req, invalid.code, invalid.reason);
    }
    const quote = this.opts.quotes(req.symbol);
    if (!quote) return this.reject(req, 'NO_QUOTE', `no quote for ${req.symbol}`);
    const problem = quote.symbol === req.symbol ? quoteProblem(quote) : `quote is for ${quote.symbol}`;
    if (problem) return this.reject(req, 'BAD_QUOTE', `${req.symbol}: ${problem}`);

    const slip = this.opts.slippageBps / 1e4;
    const price = req.side === 'buy' ? quote.ask * (1 + slip) : quote.bid * (1 - slip);
    const notional = req.qty * price;
    const fee = (notional * this.opts.feeBps) / 1e4;
    const before = this.position(req.symbol);
    const currentQty = before?.qty ?? 0;
    const after = applyFillToPosition(before, req.side, req.qty, price, req.symbol);
    const nextQty = after.position?.qty ?? 0;
    const reduces = currentQty !== 0 && Math.sign(nextQty) !== -Math.sign(currentQty) && Math.abs(nextQty) < Math.abs(currentQty);

    if (req.reduceOnly && !reduces) {
      return this.reject(req, 'REDUCE_ONLY_VIOLATION',
        `reduce-only ${req.side} ${req.qty} ${req.symbol} would take the position from ${currentQty} to ${nextQty}`);
    }
    if (!this.opts.allowShort && nextQty < 0 && !reduces) {
      return this.reject(req, 'SHORT_NOT_ALLOWED', `${req.side} ${req.qty} ${req.symbol} would leave a short of ${nextQty}`);
    }
    if (!reduces) {
      const cashAfter = this.state.cash + (req.side === 'buy' ? -(notional + fee) : notional - fee);
      const marks = this.marks({ [req.symbol]: (quote.bid + quote.ask) / 2 });
      const positionsAfter = this.state.positions.filter((p) => p.symbol !== req.symbol);
      if (after.position) positionsAfter.push(after.position);
      const gross = positionsAfter.reduce((sum, p) => sum + Math.abs(p.qty * marks(p)), 0);
      const equityAfter = cashAfter + positionsAfter.reduce((sum, p) => sum + p.qty * marks(p), 0);
      if (!(gross <= PAPER_MAX_LEVERAGE * equityAfter)) {
        return this.reject(req, 'INSUFFICIENT_BUYING_POWER',
          `gross exposure ${gross.toFixed(2)} after the fill would exceed ${PAPER_MAX_LEVERAGE} x equity ${equityAfter.toFixed(2)}`);
      }
    }
    return this.book(req, price, notional, fee, after);
  }

  async cancelOrder(clientOrderId: string): Promise<CancelResult> {
    this.assertOpen();
    const record = this.byClientId.get(clientOrderId);
    if (!record) return { ok: false, reason: `unknown client order id ${clientOrderId}` };
    return { ok: false, order: { ...record.order }, reason: `order is already ${record.order.status}` };
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrder | null> {
    const record = this.byClientId.get(clientOrderId);
    return record ? { ...record.order } : null;
  }

  async getOpenOrders(): Promise<BrokerOrder[]> {
    return []; // market orders fill or are rejected synchronously
  }

  async getPositions(): Promise<BrokerPosition[]> {
    return this.state.positions.map((p) => ({ ...p }));
  }

  async getAccount(): Promise<BrokerAccount> {
    const { cash, equity } = this.markToMarket();
    return { cash, equity, buyingPower: PAPER_MAX_LEVERAGE * equity - this.grossExposure() };
  }

  async getFills(sinceExecutionId?: string): Promise<Fill[]> {
    const all = this.state.orders.flatMap((r) => r.fills.map((f) => ({ ...f })));
    const since = sinceExecutionId === undefined ? null : this.executionSeqOf(sinceExecutionId);
    // Ids are `<prefix>-E<n>`: compare sequence numbers so a pruned cursor still works; an id
    // this broker did not issue returns everything (callers de-duplicate by executionId).
    return since === null ? all : all.filter((f) => (this.executionSeqOf(f.executionId) ?? 0) > since);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** cash + sum(qty*mark) with marks at quote mids (average entry price when a quote is missing). */
  markToMarket(): { cash: number; positionsValue: number; equity: number } {
    const marks = this.marks({});
    const positionsValue = this.state.positions.reduce((sum, p) => sum + p.qty * marks(p), 0);
    return { cash: this.state.cash, positionsValue, equity: this.state.cash + positionsValue };
  }

  equity(): number {
    return this.markToMarket().equity;
  }

  /** Realised P&L before fees, of one symbol or all symbols. */
  realisedPnl(symbol?: string): number {
    if (symbol !== undefined) return this.state.realisedPnl[symbol] ?? 0;
    return Object.values(this.state.realisedPnl).reduce((a, b) => a + b, 0);
  }

  feesPaid(): number {
    return this.state.feesPaid;
  }

  toJSON(): PaperBrokerState {
    return structuredClone(this.state);
  }

  private validate(req: OrderRequest): { code: PaperRejectCode; reason: string } | null {
    if (!req.clientOrderId || !req.symbol) return { code: 'INVALID_ORDER', reason: 'clientOrderId and symbol are required' };
    if (req.side !== 'buy' && req.side !== 'sell') return { code: 'INVALID_ORDER', reason: `unknown side ${String(req.side)}` };
    if (req.type !== 'market' || req.timeInForce !== 'day') {
      return { code: 'INVALID_ORDER', reason: `paper broker supports market/day orders only, got ${req.type}/${req.timeInForce}` };
    }
    if (!Number.isFinite(req.qty) || req.qty <= 0) return { code: 'INVALID_QTY', reason: `qty must be finite and > 0, got ${req.qty}` };
    if (!this.opts.fractionalShares && !Number.isInteger(req.qty)) {
      return { code: 'INVALID_QTY', reason: `qty ${req.qty} is fractional but fractional shares are disabled` };
    }
    return null;
  }

  private replay(record: PaperOrderRecord, req: OrderRequest): SubmitResult {
    const o = record.order;
    if (o.symbol !== req.symbol || o.side !== req.side || o.qty !== req.qty) {
      return this.rejection(req, 'DUPLICATE_CLIENT_ORDER_ID',
        `client order id ${req.clientOrderId} already used for ${o.side} ${o.qty} ${o.symbol}`);
    }
    if (o.status === 'rejected') {
      return { outcome: 'rejected', order: { ...o }, code: o.rejectCode ?? 'REJECTED', reason: o.rejectReason ?? '' };
    }
    return { outcome: 'accepted', order: { ...o }, fills: record.fills.map((f) => ({ ...f })) };
  }

  /** A rejection that is not recorded (the id is missing or belongs to another order). */
  private rejection(req: OrderRequest, code: PaperRejectCode, reason: string): Rejected {
    const now = this.opts.clock.now();
    const order: BrokerOrder = {
      clientOrderId: req.clientOrderId, brokerOrderId: '', symbol: req.symbol, side: req.side, qty: req.qty,
      filledQty: 0, avgFillPrice: null, status: 'rejected', rejectCode: code, rejectReason: reason,
      submittedAtMs: req.tsMs, updatedAtMs: now,
    };
    return { outcome: 'rejected', order, code, reason };
  }

  private reject(req: OrderRequest, code: PaperRejectCode, reason: string): SubmitResult {
    const result = this.rejection(req, code, reason);
    result.order.brokerOrderId = `${this.prefix}-P${++this.state.orderSeq}`;
    this.record({ order: { ...result.order }, fills: [] });
    return result;
  }

  private book(
    req: OrderRequest,
    price: number,
    notional: number,
    fee: number,
    after: { position: BrokerPosition | null; realisedPnl: number },
  ): SubmitResult {
    const now = this.opts.clock.now();
    const s = this.state;
    s.cash += req.side === 'buy' ? -(notional + fee) : notional - fee;
    s.feesPaid += fee;
    s.realisedPnl[req.symbol] = (s.realisedPnl[req.symbol] ?? 0) + after.realisedPnl;
    s.positions = s.positions.filter((p) => p.symbol !== req.symbol);
    if (after.position) s.positions.push(after.position);
    s.positions.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    const order: BrokerOrder = {
      clientOrderId: req.clientOrderId, brokerOrderId: `${this.prefix}-P${++s.orderSeq}`, symbol: req.symbol,
      side: req.side, qty: req.qty, filledQty: req.qty, avgFillPrice: price, status: 'filled',
      submittedAtMs: req.tsMs, updatedAtMs: now,
    };
    const fill: Fill = {
      executionId: `${this.prefix}-E${++s.executionSeq}`, clientOrderId: req.clientOrderId, symbol: req.symbol,
      side: req.side, qty: req.qty, price, fee, tsMs: now, cumulativeQty: req.qty,
    };
    this.record({ order, fills: [fill] });
    return { outcome: 'accepted', order: { ...order }, fills: [{ ...fill }] };
  }

  private record(record: PaperOrderRecord): void {
    this.state.orders.push(record);
    this.byClientId.set(record.order.clientOrderId, record);
    while (this.state.orders.length > PAPER_MAX_TERMINAL_ORDERS) {
      const dropped = this.state.orders.shift()!;
      this.byClientId.delete(dropped.order.clientOrderId);
    }
  }

  private position(symbol: string): BrokerPosition | null {
    const p = this.state.positions.find((x) => x.symbol === symbol);
    return p ? { ...p } : null;
  }

  /** Mark of a position: override, else the current quote mid, else its average entry price. */
  private marks(overrides: Record<string, number>): (p: BrokerPosition) => number {
    return (p) => {
      if (overrides[p.symbol] !== undefined) return overrides[p.symbol];
      const q = this.opts.quotes(p.symbol);
      return q && q.symbol === p.symbol && quoteProblem(q) === null ? (q.bid + q.ask) / 2 : p.avgEntryPrice;
    };
  }

  private grossExposure(): number {
    const marks = this.marks({});
    return this.state.positions.reduce((sum, p) => sum + Math.abs(p.qty * marks(p)), 0);
  }

  private executionSeqOf(executionId: string): number | null {
    const head = `${this.prefix}-E`;
    if (!executionId.startsWith(head)) return null;
    const n = Number(executionId.slice(head.length));
    return Number.isInteger(n) ? n : null;
  }

  private assertOpen(): void {
    if (this.closed) throw new BrokerError('BROKER_CLOSED', 'paper broker is closed', 'definitive');
  }
}
