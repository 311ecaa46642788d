/**
 * Order actor: one per order, id `order:<clientOrderId>`. The graph comes from the transition
 * table in order.transitions.ts. Submitting queries the broker by client order id first, so a
 * submit that was in flight when a snapshot was taken and runs again on restore never books twice.
 */
import { assign, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import type { Broker, BrokerOrder, Fill, OrderRequest, SubmitResult } from '../src/brokers/types.ts';
import { ORDER_EVENTS, ORDER_STATES, ORDER_TRANSITIONS, type OrderEventType, type OrderState } from './order.transitions.ts';

export interface OrderContext {
  request: OrderRequest;
  /** Horizon the order was opened on (for position metadata and the bandit). */
  horizon: string | null;
  riskReducing: boolean;
  brokerOrderId: string | null;
  filledQty: number;
  avgFillPrice: number | null;
  /** Execution ids already booked: fills are de-duplicated before anything changes. */
  executionIds: string[];
  rejectCode: string | null;
  rejectReason: string | null;
  /** (state, event) pairs the table refused: recorded, never silently dropped. */
  refused: { state: string; event: string }[];
  /** Absolute engine time after which a canceled order stops waiting for late fills. */
  graceUntilMs: number | null;
}

export interface OrderInput {
  request: OrderRequest;
  horizon: string | null;
  riskReducing: boolean;
}

export type OrderEvent =
  | { type: 'order.submitted' }
  | { type: 'order.accepted'; order?: BrokerOrder }
  | { type: 'order.rejected'; code: string; reason: string }
  | { type: 'order.partiallyFilled'; fill: Fill }
  | { type: 'order.filled'; fill?: Fill }
  | { type: 'order.canceled'; graceMs?: number; nowMs?: number }
  | { type: 'order.expired' }
  | { type: 'order.outcomeUnknown'; error: string }
  | { type: 'order.cancelRequested' }
  | { type: 'order.outcomeApplied' };

/** What the supervisor hears from its order actors. */
export type OrderReport =
  | { type: 'order.fillReported'; clientOrderId: string; fill: Fill; horizon: string | null }
  | { type: 'order.settled'; clientOrderId: string; state: OrderState; rejectCode: string | null; rejectReason: string | null };

export interface OrderDeps {
  broker: Broker;
}

/** Query first, then submit: the idempotent submit that makes a re-run after restore safe. */
export async function submitOrQuery(broker: Broker, request: OrderRequest): Promise<SubmitResult> {
  const existing = await broker.getOrder(request.clientOrderId);
  if (existing) {
    if (existing.status === 'rejected') {
      return { outcome: 'rejected', order: existing, code: existing.rejectCode ?? 'REJECTED', reason: existing.rejectReason ?? 'rejected' };
    }
    const fills = broker.getFills ? (await broker.getFills()).filter((f) => f.clientOrderId === request.clientOrderId) : [];
    return { outcome: 'accepted', order: existing, fills };
  }
  return broker.submitOrder(request);
}

function statesFromTable() {
  const states: Record<string, object> = {};
  for (const state of ORDER_STATES) {
    const on: Record<string, object> = {};
    for (const event of ORDER_EVENTS) {
      const target = ORDER_TRANSITIONS[state][event as OrderEventType];
      if (target === undefined) continue;
      on[event] = { target: target === state ? undefined : target, reenter: false, actions: actionsFor(event as OrderEventType) };
    }
    // Raised after a whole outcome (submit result, query result, broker update) has been applied:
    // the supervisor hears the state the order ended in once, not every step on the way.
    on['order.outcomeApplied'] = state === 'submitting' ? {} : { actions: { type: 'reportSettled', params: { state } } };
    // Any pair the table does not allow: recorded with the state it hit, never silently dropped.
    on['*'] = { actions: { type: 'recordRefused', params: { state } } };
    states[state] = {
      description: DESCRIPTIONS[state],
      on,
      ...(state === 'submitting' ? { invoke: SUBMIT_INVOKE } : {}),
      ...(state === 'unresolved' ? { invoke: QUERY_INVOKE } : {}),
    };
  }
  return states;
}

const DESCRIPTIONS: Record<OrderState, string> = {
  submitting: 'Query by client order id, then submit once; the outcome decides the next state.',
  submitted: 'Sent and acknowledged by the transport; waiting for the broker to accept.',
  unresolved: 'Ambiguous submit (timeout or lost response): resolved only by a query by client order id.',
  accepted: 'Working at the broker.',
  partiallyFilled: 'Some quantity filled; fills tracked by cumulative quantity.',
  filled: 'Completely filled.',
  rejected: 'Refused by the broker or the risk checks.',
  canceled: 'Canceled; stays open for a grace period because a late fill can still arrive.',
  expired: 'Expired at the broker (time in force).',
};

function actionsFor(event: OrderEventType): string[] {
  switch (event) {
    case 'order.accepted':
      return ['recordAccepted'];
    case 'order.rejected':
      return ['recordRejection'];
    case 'order.partiallyFilled':
    case 'order.filled':
      return ['bookFill'];
    case 'order.canceled':
      return ['recordCanceled'];
    default:
      return [];
  }
}

const SUBMIT_INVOKE = {
  src: 'submitOrder',
  input: ({ context }: { context: OrderContext }) => ({ request: context.request }),
  onDone: { actions: 'applySubmitResult' },
  onError: { actions: 'raiseOutcomeUnknown' },
};

const QUERY_INVOKE = {
  src: 'queryOrder',
  input: ({ context }: { context: OrderContext }) => ({ clientOrderId: context.request.clientOrderId }),
  onDone: { actions: 'applyQueryResult' },
};

export function createOrderMachine(deps: OrderDeps) {
  return setup({
    types: {} as { context: OrderContext; input: OrderInput; events: OrderEvent },
    actors: {
      submitOrder: fromPromise(async ({ input }: { input: { request: OrderRequest } }) => submitOrQuery(deps.broker, input.request)),
      queryOrder: fromPromise(async ({ input }: { input: { clientOrderId: string } }) => {
        const order = await deps.broker.getOrder(input.clientOrderId);
        const fills = order && deps.broker.getFills ? (await deps.broker.getFills()).filter((f) => f.clientOrderId === input.clientOrderId) : [];
        return { order, fills };
      }),
    },
    actions: {
      recordAccepted: assign(({ context, event }) => {
        const order = event.type === 'order.accepted' ? event.order : undefined;
        return { brokerOrderId: order?.brokerOrderId ?? context.brokerOrderId };
      }),
      recordRejection: assign(({ event }) =>
        event.type === 'order.rejected' ? { rejectCode: event.code, rejectReason: event.reason } : {},
      ),
      recordCanceled: assign(({ event }) =>
        event.type === 'order.canceled' && event.nowMs !== undefined ? { graceUntilMs: event.nowMs + (event.graceMs ?? 60_000) } : {},
      ),
      bookFill: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'order.partiallyFilled' && event.type !== 'order.filled') return;
        const fill = event.fill;
        if (!fill || context.executionIds.includes(fill.executionId)) return;
        const filledQty = context.filledQty + fill.qty;
        const avg = ((context.avgFillPrice ?? 0) * context.filledQty + fill.price * fill.qty) / filledQty;
        enqueue.assign({ filledQty, avgFillPrice: avg, executionIds: [...context.executionIds, fill.executionId] });
        enqueue.sendParent({ type: 'order.fillReported', clientOrderId: context.request.clientOrderId, fill, horizon: context.horizon });
      }),
      applySubmitResult: enqueueActions(({ event, enqueue }) => {
        const result = (event as unknown as { output: SubmitResult }).output;
        if (result.outcome === 'ambiguous') {
          enqueue.raise({ type: 'order.outcomeUnknown', error: result.error });
        } else if (result.outcome === 'rejected') {
          enqueue.raise({ type: 'order.rejected', code: result.code, reason: result.reason });
        } else {
          raiseOrderProgress(enqueue, result.order, result.fills);
        }
        enqueue.raise({ type: 'order.outcomeApplied' });
      }),
      raiseOutcomeUnknown: enqueueActions(({ event, enqueue }) => {
        enqueue.raise({ type: 'order.outcomeUnknown', error: String((event as unknown as { error: unknown }).error) });
        enqueue.raise({ type: 'order.outcomeApplied' });
      }),
      applyQueryResult: enqueueActions(({ event, enqueue }) => {
        const { order, fills } = (event as unknown as { output: { order: BrokerOrder | null; fills: Fill[] } }).output;
        if (!order) {
          enqueue.raise({ type: 'order.rejected', code: 'NOT_RECEIVED', reason: 'the broker has no order with this client order id' });
        } else if (order.status === 'rejected') {
          enqueue.raise({ type: 'order.rejected', code: order.rejectCode ?? 'REJECTED', reason: order.rejectReason ?? 'rejected' });
        } else {
          raiseOrderProgress(enqueue, order, fills);
        }
        enqueue.raise({ type: 'order.outcomeApplied' });
      }),
      // The state comes as a parameter: during a transition, self.getSnapshot() is still the old one.
      reportSettled: sendParent(({ context }, params: { state: OrderState }) => ({
        type: 'order.settled',
        clientOrderId: context.request.clientOrderId,
        state: params.state,
        rejectCode: context.rejectCode,
        rejectReason: context.rejectReason,
      })),
      recordRefused: assign(({ context, event }, params: { state: OrderState }) => ({
        refused: [...context.refused, { state: params.state, event: event.type }],
      })),
    },
  }).createMachine({
    id: 'order',
    description: 'One order at the broker, from submit to a final state; allowed pairs come from one table.',
    context: ({ input }) => ({
      request: input.request,
      horizon: input.horizon,
      riskReducing: input.riskReducing,
      brokerOrderId: null,
      filledQty: 0,
      avgFillPrice: null,
      executionIds: [],
      rejectCode: null,
      rejectReason: null,
      refused: [],
      graceUntilMs: null,
    }),
    initial: 'submitting',
    on: { 'order.outcomeApplied': {} },
    states: statesFromTable() as never,
  });
}

type Enqueue = { raise: (event: OrderEvent) => void };

function raiseOrderProgress(enqueue: Enqueue, order: BrokerOrder, fills: readonly Fill[]): void {
  enqueue.raise({ type: 'order.accepted', order });
  const sorted = [...fills].sort((a, b) => a.cumulativeQty - b.cumulativeQty);
  let complete = false;
  for (const fill of sorted) {
    const done = fill.cumulativeQty >= order.qty - 1e-9;
    complete ||= done;
    enqueue.raise(done ? { type: 'order.filled', fill } : { type: 'order.partiallyFilled', fill });
  }
  // A broker that reports the order filled without its fills: the state follows the broker, the
  // quantity is left to reconciliation (never invented here).
  if (order.status === 'filled' && !complete) enqueue.raise({ type: 'order.filled' });
  if (order.status === 'canceled') enqueue.raise({ type: 'order.canceled' });
  if (order.status === 'expired') enqueue.raise({ type: 'order.expired' });
}

export type OrderMachine = ReturnType<typeof createOrderMachine>;
