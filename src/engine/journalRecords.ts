/**
 * Journal records: what decisions.jsonl, orders.jsonl and fills.jsonl hold. Only engine-clock
 * times (ISO-8601 Z) and deterministic ids, so two runs on the same data are byte-identical.
 */
import { isoUtc } from '../core/clock.ts';
import type { TradeDecision } from '../core/types.ts';
import type { Fill } from '../brokers/types.ts';
import type { OrderRecord } from '../../machines/supervisor.machine.ts';

export function decisionRecord(d: TradeDecision) {
  return {
    cycle: d.cycle,
    ts: isoUtc(d.ts),
    symbol: d.symbol,
    action: d.action,
    shares: d.shares,
    reason: d.reason,
    horizon: d.horizon,
    target_weight: d.targetWeight,
    current_weight: d.currentWeight,
    alpha: d.alpha,
    trace: d.trace,
  };
}

export function orderRecord(o: OrderRecord) {
  return {
    cycle: o.cycle,
    ts: isoUtc(o.tsMs),
    client_order_id: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    qty: o.qty,
    risk_reducing: o.riskReducing,
    state: o.state,
    reject_code: o.rejectCode,
    reject_reason: o.rejectReason,
  };
}

export function fillRecord(f: Fill, cycle: number) {
  return {
    cycle,
    ts: isoUtc(f.tsMs),
    execution_id: f.executionId,
    client_order_id: f.clientOrderId,
    symbol: f.symbol,
    side: f.side,
    qty: f.qty,
    price: f.price,
    fee: f.fee,
    cumulative_qty: f.cumulativeQty,
  };
}
