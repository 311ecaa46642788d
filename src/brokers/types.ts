/**
 * The broker abstraction (SPEC 9). Every adapter (paper, alpaca, ibkr) implements `Broker`.
 *
 * Outcome semantics follow NautilusTrader: a submit either has a definitive answer (`accepted`
 * with the fills known so far, or `rejected` with a typed code) or it is `ambiguous` (timeout,
 * dropped response, lost connection): the order may or may not exist at the broker, so the
 * caller must resolve it with `getOrder(clientOrderId)` and never re-send blindly.
 * Business rejections are results, not exceptions; transport problems outside `submitOrder`
 * are thrown as `BrokerError` with `outcome: 'definitive' | 'ambiguous'`.
 *
 * Fills are tracked by cumulative filled quantity (`Fill.cumulativeQty`, `BrokerOrder.filledQty`);
 * `executionId` only de-duplicates a fill seen twice (stream + query, replay after reconnect).
 *
 * Order, fill and position shapes are zod schemas because they cross boundaries (snapshots,
 * journals, adapter responses); the TypeScript types are inferred from them.
 */
import { z } from 'zod';
import type { Quote } from '../core/types.ts';

export { BrokerError } from '../core/errors.ts';

export const OrderSideSchema = z.enum(['buy', 'sell']);
export type OrderSide = z.infer<typeof OrderSideSchema>;

export interface OrderRequest {
  /** Deterministic `<run>-<cycle>-<symbol>-<n>`, persisted before the order is sent. */
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  /** > 0; whole shares unless the broker was configured for fractional shares. */
  qty: number;
  type: 'market';
  timeInForce: 'day';
  /** Refuse the order if it would increase |position| or flip its sign. */
  reduceOnly?: boolean;
  /** Engine clock time of the submit (UTC epoch ms). */
  tsMs: number;
}

export const BrokerOrderStatusSchema = z.enum([
  'accepted',
  'partially_filled',
  'filled',
  'canceled',
  'rejected',
  'expired',
]);
export type BrokerOrderStatus = z.infer<typeof BrokerOrderStatusSchema>;

/** Statuses after which nothing more happens to an order (late fills aside, see the order FSM). */
export const TERMINAL_ORDER_STATUSES: readonly BrokerOrderStatus[] = ['filled', 'canceled', 'rejected', 'expired'];

export function isTerminalStatus(status: BrokerOrderStatus): boolean {
  return TERMINAL_ORDER_STATUSES.includes(status);
}

export const BrokerOrderSchema = z.object({
  clientOrderId: z.string(),
  brokerOrderId: z.string(),
  symbol: z.string(),
  side: OrderSideSchema,
  qty: z.number(),
  filledQty: z.number(),
  avgFillPrice: z.number().nullable(),
  status: BrokerOrderStatusSchema,
  /** Typed rejection code (e.g. `INSUFFICIENT_BUYING_POWER`), set when status is `rejected`. */
  rejectCode: z.string().optional(),
  rejectReason: z.string().optional(),
  submittedAtMs: z.number(),
  updatedAtMs: z.number(),
});
export type BrokerOrder = z.infer<typeof BrokerOrderSchema>;

export const FillSchema = z.object({
  /** Unique per execution at the broker; used only to de-duplicate. */
  executionId: z.string(),
  clientOrderId: z.string(),
  symbol: z.string(),
  side: OrderSideSchema,
  /** Quantity of this execution (> 0). */
  qty: z.number(),
  price: z.number(),
  fee: z.number(),
  tsMs: z.number(),
  /** Order's cumulative filled quantity after this execution: the authoritative progress. */
  cumulativeQty: z.number(),
});
export type Fill = z.infer<typeof FillSchema>;

export const BrokerPositionSchema = z.object({
  symbol: z.string(),
  /** Signed shares: negative = short. */
  qty: z.number(),
  avgEntryPrice: z.number(),
});
export type BrokerPosition = z.infer<typeof BrokerPositionSchema>;

export interface BrokerAccount {
  cash: number;
  equity?: number;
  buyingPower?: number;
}

export type SubmitResult =
  | { outcome: 'accepted'; order: BrokerOrder; fills: Fill[] }
  | { outcome: 'rejected'; order: BrokerOrder; code: string; reason: string }
  | { outcome: 'ambiguous'; clientOrderId: string; error: string };

export interface CancelResult {
  ok: boolean;
  order?: BrokerOrder;
  reason?: string;
}

export interface Broker {
  readonly name: 'paper' | 'alpaca' | 'ibkr';
  /** Never throws for a business rejection; `ambiguous` for timeouts / lost responses. */
  submitOrder(req: OrderRequest): Promise<SubmitResult>;
  cancelOrder(clientOrderId: string): Promise<CancelResult>;
  /** Query by client order id (this is how an ambiguous submit is resolved); null = unknown. */
  getOrder(clientOrderId: string): Promise<BrokerOrder | null>;
  getOpenOrders(): Promise<BrokerOrder[]>;
  getPositions(): Promise<BrokerPosition[]>;
  getAccount(): Promise<BrokerAccount>;
  /** Fills after the given execution id (all known fills without one), oldest first, for reconciliation. */
  getFills?(sinceExecutionId?: string): Promise<Fill[]>;
  close(): Promise<void>;
}

/** Current quote of a symbol as the broker sees it; null when there is none. */
export type MarketPriceSource = (symbol: string) => Quote | null;
