/**
 * Turning a cycle's proposals and portfolio lines into TradeDecisions and order requests.
 * Pure functions used by the supervisor machine.
 */
import type { PortfolioLine, PortfolioResult } from '../pipeline/portfolio.ts';
import type { TradeDecision } from '../core/types.ts';
import type { OrderRequest } from '../brokers/types.ts';
import type { SymbolProposal } from './stages.ts';

export interface PlannedOrder {
  request: OrderRequest;
  horizon: string | null;
  riskReducing: boolean;
}

export function clientOrderId(runId: string, cycle: number, symbol: string, n: number): string {
  return `${runId}-${cycle}-${symbol}-${n}`;
}

/** One decision per proposal, in proposal (configured symbol) order. */
export function buildDecisions(proposals: readonly SymbolProposal[], result: PortfolioResult): TradeDecision[] {
  const lines = new Map<string, PortfolioLine>(result.lines.map((l) => [l.symbol, l]));
  return proposals.map((p) => {
    const line = lines.get(p.symbol);
    const trace = { ...p.trace };
    if (line) {
      trace.portfolio = {
        currentWeight: line.currentWeight,
        proposedWeight: line.proposedWeight,
        normalizedWeight: line.normalizedWeight,
        grossFactor: line.grossFactor,
        banded: line.banded,
        riskAdjustedWeight: line.riskAdjustedWeight,
        riskReason: line.riskReason,
        shares: line.shares,
        price: p.price,
      };
    }
    const action = line ? line.action : 'HOLD';
    const blockedByGate = p.blocked && action !== 'TRADE';
    return {
      symbol: p.symbol,
      cycle: p.cycle,
      ts: p.ts,
      action: blockedByGate ? 'BLOCKED' : action,
      shares: action === 'TRADE' && line ? line.shares : 0,
      reason: blockedByGate || !line || line.action === 'HOLD' && p.reason !== 'entry_long' && p.reason !== 'entry_short' ? p.reason : line.reason,
      horizon: p.horizon,
      targetWeight: line ? line.riskAdjustedWeight : p.targetWeight,
      currentWeight: line ? line.currentWeight : p.currentWeight,
      alpha: p.alpha,
      trace,
    } satisfies TradeDecision;
  });
}

export function planOrders(runId: string, cycle: number, tsMs: number, result: PortfolioResult, proposals: readonly SymbolProposal[]): PlannedOrder[] {
  const horizonOf = new Map(proposals.map((p) => [p.symbol, p.horizon]));
  const perSymbol = new Map<string, number>();
  return result.orders.map((order) => {
    const n = (perSymbol.get(order.symbol) ?? 0) + 1;
    perSymbol.set(order.symbol, n);
    return {
      request: {
        clientOrderId: clientOrderId(runId, cycle, order.symbol, n),
        symbol: order.symbol,
        side: order.shares > 0 ? 'buy' : 'sell',
        qty: Math.abs(order.shares),
        type: 'market',
        timeInForce: 'day',
        reduceOnly: order.riskReducing || undefined,
        tsMs,
      },
      horizon: horizonOf.get(order.symbol) ?? null,
      riskReducing: order.riskReducing,
    };
  });
}
