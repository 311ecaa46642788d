/**
 * The order machine against its table (SPEC 3, ARCHITECTURE "Decisions already taken"): every
 * (state, event) pair of ORDER_STATES x ORDER_EVENTS is tried on a live actor restored into that
 * state. An allowed pair lands exactly on ORDER_TRANSITIONS[state][event]; a refused one leaves the
 * state alone and is appended to `context.refused`, as is an event no state knows.
 */
import { describe, expect, it } from 'vitest';
import { createActor, createMachine, type AnyActorRef } from 'xstate';
import { createOrderMachine, type OrderEvent } from '../../machines/order.machine.ts';
import {
  ORDER_EVENTS,
  ORDER_STATES,
  ORDER_TRANSITIONS,
  TERMINAL_ORDER_STATES,
  isAllowed,
  type OrderEventType,
  type OrderState,
} from '../../machines/order.transitions.ts';
import type { Broker, Fill, OrderRequest } from '../../src/brokers/types.ts';

const REQUEST: OrderRequest = { clientOrderId: 'run-1-AAA-0', symbol: 'AAA', side: 'buy', qty: 10, type: 'market', timeInForce: 'day', tsMs: 1_000 };

/** Every call hangs: a state restored into `submitting`/`unresolved` must not move on its own. */
const hang = () => new Promise<never>(() => {});
const hangingBroker: Broker = {
  name: 'paper',
  submitOrder: hang,
  cancelOrder: hang,
  getOrder: hang,
  getOpenOrders: hang,
  getPositions: hang,
  getAccount: hang,
  getFills: hang,
  close: async () => {},
};
const machine = createOrderMachine({ broker: hangingBroker });

function fill(executionId: string, qty: number, cumulativeQty: number): Fill {
  return { executionId, clientOrderId: REQUEST.clientOrderId, symbol: 'AAA', side: 'buy', qty, price: 100, fee: 0.1, tsMs: 2_000, cumulativeQty };
}

/** A well-formed event of each type (payloads as the machine's actions expect them). */
function eventOf(type: OrderEventType): OrderEvent {
  switch (type) {
    case 'order.rejected':
      return { type, code: 'INSUFFICIENT_BUYING_POWER', reason: 'not enough cash' };
    case 'order.partiallyFilled':
      return { type, fill: fill('x-1', 4, 4) };
    case 'order.filled':
      return { type, fill: fill('x-2', 10, 10) };
    case 'order.canceled':
      return { type, graceMs: 30_000, nowMs: 5_000 };
    case 'order.outcomeUnknown':
      return { type, error: 'timeout' };
    default:
      return { type } as OrderEvent;
  }
}

/** A started order actor restored into `state`, child of a parent that swallows its reports. */
function orderAt(state: OrderState) {
  const parent = createActor(createMachine({ on: { '*': {} } })).start();
  const input = { request: REQUEST, horizon: '15m', riskReducing: false };
  const context = createActor(machine, { input }).getSnapshot().context;
  const snapshot = machine.resolveState({ value: state, context });
  // The input is unused on a restore (the snapshot carries the context); the types want it.
  const actor = createActor(machine, { snapshot, input, parent: parent as AnyActorRef });
  actor.start();
  return actor;
}

describe('order machine: every (state, event) pair against ORDER_TRANSITIONS', () => {
  const pairs = ORDER_STATES.flatMap((state) => ORDER_EVENTS.map((event) => [state, event] as const));

  it('covers all 81 pairs of the 9 states and 9 events', () => {
    expect(ORDER_STATES).toHaveLength(9);
    expect(ORDER_EVENTS).toHaveLength(9);
    expect(pairs).toHaveLength(81);
  });

  it.each(pairs)('in %s, %s moves exactly as the table says (or is refused and recorded)', (state, event) => {
    const actor = orderAt(state);
    expect(actor.getSnapshot().value).toBe(state);
    actor.send(eventOf(event));
    const snap = actor.getSnapshot();
    const target = ORDER_TRANSITIONS[state][event];
    expect(snap.status).toBe('active');
    if (target !== undefined) {
      expect(snap.value).toBe(target);
      expect(snap.context.refused).toEqual([]);
    } else {
      expect(snap.value).toBe(state);
      expect(snap.context.refused).toEqual([{ state, event }]);
    }
  });
});

describe('order machine: events outside the table', () => {
  it.each(ORDER_STATES.map((s) => [s]))('in %s, an unknown event type is recorded in refused, never dropped', (state) => {
    const actor = orderAt(state);
    actor.send({ type: 'order.teleported' } as unknown as OrderEvent);
    actor.send({ type: 'clock.cycle' } as unknown as OrderEvent);
    expect(actor.getSnapshot().value).toBe(state);
    expect(actor.getSnapshot().context.refused).toEqual([
      { state, event: 'order.teleported' },
      { state, event: 'clock.cycle' },
    ]);
  });

  it('keeps every refusal in arrival order across states', () => {
    const actor = orderAt('accepted');
    actor.send(eventOf('order.submitted')); // refused
    actor.send(eventOf('order.canceled')); // accepted -> canceled
    actor.send(eventOf('order.expired')); // refused in canceled
    actor.send(eventOf('order.filled')); // late fill: canceled -> filled
    actor.send(eventOf('order.canceled')); // refused in filled
    const snap = actor.getSnapshot();
    expect(snap.value).toBe('filled');
    expect(snap.context.refused).toEqual([
      { state: 'accepted', event: 'order.submitted' },
      { state: 'canceled', event: 'order.expired' },
      { state: 'filled', event: 'order.canceled' },
    ]);
  });
});

describe('order machine: the graph is the table', () => {
  it('each state handles exactly the table events of its row (besides xstate.* and order.outcomeApplied)', () => {
    for (const state of ORDER_STATES) {
      const node = machine.root.states[state]!;
      const handled = [...node.transitions.keys()].filter((e) => (ORDER_EVENTS as readonly string[]).includes(e)).sort();
      const allowed = ORDER_EVENTS.filter((e) => isAllowed(state, e)).sort();
      expect(handled, state).toEqual(allowed);
    }
  });

  it('terminal states (filled, rejected, expired) allow no event; canceled still takes a late fill', () => {
    expect([...TERMINAL_ORDER_STATES].sort()).toEqual(['expired', 'filled', 'rejected']);
    for (const state of TERMINAL_ORDER_STATES) expect(ORDER_EVENTS.filter((e) => isAllowed(state, e)), state).toEqual([]);
    expect(ORDER_TRANSITIONS.canceled['order.filled']).toBe('filled');
    expect(ORDER_TRANSITIONS.canceled['order.partiallyFilled']).toBe('canceled');
  });

  it('an ambiguous submit can only be resolved by the broker, never by a new submit', () => {
    expect(ORDER_TRANSITIONS.submitting['order.outcomeUnknown']).toBe('unresolved');
    expect(ORDER_TRANSITIONS.unresolved['order.submitted']).toBeUndefined();
    expect(ORDER_TRANSITIONS.unresolved['order.outcomeUnknown']).toBeUndefined();
  });
});
