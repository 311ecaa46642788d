/**
 * Position arithmetic shared by the paper broker and the supervisor's own book: one rule for
 * signed positions with an average entry price, so both books agree to the last bit.
 */
import { DataError } from '../core/errors.ts';
import type { Quote } from '../core/types.ts';
import type { BrokerPosition, OrderSide } from './types.ts';

/** Signed position after a fill: adds re-average, reductions keep the average, a flip restarts at the fill price. */
export function applyFillToPosition(
  position: BrokerPosition | null,
  side: OrderSide,
  qty: number,
  price: number,
  symbol: string | undefined = position?.symbol,
): { position: BrokerPosition | null; realisedPnl: number } {
  if (!(Number.isFinite(qty) && qty > 0) || !(Number.isFinite(price) && price > 0)) {
    throw new DataError('INVALID_FILL', `fill qty ${qty} at price ${price} is not a positive finite number`, {
      input: `${side} ${qty} @ ${price}`,
      hint: 'fills must have qty > 0 and price > 0',
    });
  }
  if (!symbol) {
    throw new DataError('INVALID_FILL', 'opening a position from flat needs a symbol', {
      hint: 'pass the symbol as the fifth argument when position is null',
    });
  }
  const current = position?.qty ?? 0;
  const delta = side === 'buy' ? qty : -qty;
  let next = current + delta;
  // Fractional quantities can leave float dust (0.1+0.2-0.3); treat it as flat.
  if (Math.abs(next) <= 1e-9 * Math.max(Math.abs(current), qty)) next = 0;

  if (current === 0 || !position) {
    return { position: { symbol, qty: next, avgEntryPrice: price }, realisedPnl: 0 };
  }
  if (Math.sign(delta) === Math.sign(current)) {
    const avgEntryPrice = (Math.abs(current) * position.avgEntryPrice + qty * price) / (Math.abs(current) + qty);
    return { position: { symbol, qty: next, avgEntryPrice }, realisedPnl: 0 };
  }
  const closedQty = Math.min(qty, Math.abs(current));
  const realisedPnl = closedQty * (price - position.avgEntryPrice) * Math.sign(current);
  if (next === 0) return { position: null, realisedPnl };
  const avgEntryPrice = Math.sign(next) === Math.sign(current) ? position.avgEntryPrice : price;
  return { position: { symbol, qty: next, avgEntryPrice }, realisedPnl };
}

/** A quote is usable when bid and ask are finite, positive and not crossed (bid <= ask). */
export function quoteProblem(quote: Quote): string | null {
  const { bid, ask } = quote;
  if (!Number.isFinite(bid) || !Number.isFinite(ask)) return `non-finite quote bid ${bid} ask ${ask}`;
  if (bid <= 0 || ask <= 0) return `non-positive quote bid ${bid} ask ${ask}`;
  if (bid > ask) return `crossed quote bid ${bid} > ask ${ask}`;
  return null;
}
