/**
 * Order actor behaviour with a fake broker, spawned (like the supervisor does) by a tiny parent
 * that records what the order reports: fills booked once, definitive outcomes, ambiguous outcomes
 * resolved by a query and never by a second submit, and a submit in flight at snapshot time that
 * runs again on restore without booking twice.
 */
import { describe, expect, it, vi } from 'vitest';
import { assign, createActor, setup, spawnChild, waitFor, type AnyActorRef } from 'xstate';
import { createOrderMachine, type OrderContext, type OrderEvent, type OrderReport } from '../../machines/order.machine.ts';
import type { Broker, BrokerOrder, Fill, OrderRequest, SubmitResult } from '../../src/brokers/types.ts';

const ID = 'run-1-7-AAA-0';
const REQUEST: OrderRequest = { clientOrderId: ID, symbol: 'AAA', side: 'buy', qty: 10, type: 'market', timeInForce: 'day', tsMs: 1_000 };

function brokerOrder(status: BrokerOrder['status'], filledQty: number, extra: Partial<BrokerOrder> = {}): BrokerOrder {
  return { clientOrderId: ID, brokerOrderId: 'B-42', symbol: 'AAA', side: 'buy', qty: 10, filledQty, avgFillPrice: filledQty > 0 ? 100 : null, status, submittedAtMs: 1_000, updatedAtMs: 1_500, ...extra };
}

function fill(executionId: string, qty: number, cumulativeQty: number, price = 100): Fill {
  return { executionId, clientOrderId: ID, symbol: 'AAA', side: 'buy', qty, price, fee: 0.1, tsMs: 1_500, cumulativeQty };
}

/** A broker whose submit answer is scripted; it counts every submit and query. */
class FakeBroker implements Broker {
  readonly name = 'paper' as const;
  readonly submits: OrderRequest[] = [];
  queries = 0;
  readonly orders = new Map<string, BrokerOrder>();
  fills: Fill[] = [];
  constructor(private readonly onSubmit: (req: OrderRequest, broker: FakeBroker) => Promise<SubmitResult>) {}
  submitOrder(req: OrderRequest): Promise<SubmitResult> {
    this.submits.push(req);
    return this.onSubmit(req, this);
  }
  async getOrder(clientOrderId: string) {
    this.queries += 1;
    return this.orders.get(clientOrderId) ?? null;
  }
  async getFills() {
    return [...this.fills];
  }
  async cancelOrder() {
    return { ok: true };
  }
  async getOpenOrders() {
    return [];
  }
  async getPositions() {
    return [];
  }
  async getAccount() {
    return { cash: 0 };
  }
  async close() {}
}

/** Parent that spawns one order actor with the supervisor's ids and keeps its reports in context. */
function parentMachine(broker: Broker) {
  return setup({
    types: {} as { context: { reports: OrderReport[] }; events: OrderReport },
    actors: { order: createOrderMachine({ broker }) },
  }).createMachine({
    context: { reports: [] },
    entry: spawnChild('order', { id: `order:${ID}`, systemId: `order:${ID}`, input: { request: REQUEST, horizon: '15m', riskReducing: false } }),
    on: {
      'order.fillReported': { actions: assign({ reports: ({ context, event }) => [...context.reports, event] }) },
      'order.settled': { actions: assign({ reports: ({ context, event }) => [...context.reports, event] }) },
    },
  });
}

type OrderSnapshot = { value: unknown; context: OrderContext };

async function run(broker: FakeBroker, until: (s: OrderSnapshot) => boolean) {
  const parent = createActor(parentMachine(broker)).start();
  const order = parent.system.get(`order:${ID}`) as AnyActorRef;
  const visited: unknown[] = [order.getSnapshot().value];
  order.subscribe((s: OrderSnapshot) => visited.push(s.value));
  const final = (await waitFor(order, until, { timeout: 2_000 })) as OrderSnapshot;
  return { parent, order, final, visited, reports: () => parent.getSnapshot().context.reports };
}

const settledStates = (reports: OrderReport[]) => reports.filter((r) => r.type === 'order.settled').map((r) => (r.type === 'order.settled' ? r.state : null));
const reportedFills = (reports: OrderReport[]) => reports.filter((r) => r.type === 'order.fillReported');
const inState = (state: string) => (s: OrderSnapshot) => s.value === state;

describe('order actor: definitive submit outcomes', () => {
  it('accepted with a complete fill: ends filled, books the fill once and reports fillReported then settled(filled)', async () => {
    const broker = new FakeBroker(async () => ({ outcome: 'accepted', order: brokerOrder('filled', 10), fills: [fill('E1', 10, 10, 101.5)] }));
    const { final, reports } = await run(broker, inState('filled'));
    expect(final.context.filledQty).toBe(10);
    expect(final.context.avgFillPrice).toBe(101.5);
    expect(final.context.brokerOrderId).toBe('B-42');
    expect(final.context.executionIds).toEqual(['E1']);
    expect(reports().map((r) => r.type)).toEqual(['order.fillReported', 'order.settled']);
    expect(reportedFills(reports())[0]).toMatchObject({ clientOrderId: ID, horizon: '15m', fill: { executionId: 'E1', qty: 10 } });
    expect(settledStates(reports())).toEqual(['filled']);
    expect(broker.queries).toBe(1); // the query by client order id comes first
    expect(broker.submits).toHaveLength(1);
  });

  it('accepted with a partial fill: partiallyFilled, then a later fill completes it at the quantity-weighted price', async () => {
    const broker = new FakeBroker(async () => ({ outcome: 'accepted', order: brokerOrder('partially_filled', 4), fills: [fill('E1', 4, 4, 100)] }));
    const { order, final, reports } = await run(broker, inState('partiallyFilled'));
    expect(final.context.filledQty).toBe(4);
    expect(settledStates(reports())).toEqual(['partiallyFilled']);
    order.send({ type: 'order.filled', fill: fill('E2', 6, 10, 101) } satisfies OrderEvent);
    const done = order.getSnapshot() as OrderSnapshot;
    expect(done.value).toBe('filled');
    expect(done.context.filledQty).toBe(10);
    // (4 * 100 + 6 * 101) / 10 = 100.6
    expect(Math.abs(done.context.avgFillPrice! - 100.6) / 100.6).toBeLessThan(1e-12);
    expect(reportedFills(reports())).toHaveLength(2);
  });

  it('rejected: ends rejected with the broker code and reason, reported to the parent, no fill', async () => {
    const broker = new FakeBroker(async () => ({ outcome: 'rejected', order: brokerOrder('rejected', 0), code: 'INSUFFICIENT_BUYING_POWER', reason: 'needs 1000, has 10' }));
    const { final, reports } = await run(broker, inState('rejected'));
    expect(final.context.rejectCode).toBe('INSUFFICIENT_BUYING_POWER');
    expect(final.context.rejectReason).toBe('needs 1000, has 10');
    expect(reportedFills(reports())).toEqual([]);
    expect(reports()).toEqual([{ type: 'order.settled', clientOrderId: ID, state: 'rejected', rejectCode: 'INSUFFICIENT_BUYING_POWER', rejectReason: 'needs 1000, has 10' }]);
  });
});

describe('order actor: ambiguous outcomes are resolved by a query, never re-sent', () => {
  it('ambiguous submit that did reach the broker: unresolved, then the query finds it filled', async () => {
    // The broker took the order and filled it, but the response was lost.
    const broker = new FakeBroker(async (req, b) => {
      b.orders.set(req.clientOrderId, brokerOrder('filled', 10));
      b.fills.push(fill('E1', 10, 10));
      return { outcome: 'ambiguous', clientOrderId: req.clientOrderId, error: 'timeout after 10 s' };
    });
    const { final, visited, reports } = await run(broker, inState('filled'));
    expect(visited).toContain('unresolved');
    expect(broker.submits).toHaveLength(1);
    expect(broker.queries).toBe(2); // before the submit, then to resolve it
    expect(final.context.filledQty).toBe(10);
    expect(reportedFills(reports())).toHaveLength(1);
    expect(settledStates(reports())).toEqual(['unresolved', 'filled']);
  });

  it('ambiguous submit the broker never received: rejected NOT_RECEIVED, still submitted exactly once', async () => {
    const broker = new FakeBroker(async (req) => ({ outcome: 'ambiguous', clientOrderId: req.clientOrderId, error: 'connection reset' }));
    const { final, visited, reports } = await run(broker, inState('rejected'));
    expect(visited).toContain('unresolved');
    expect(final.context.rejectCode).toBe('NOT_RECEIVED');
    expect(broker.submits).toHaveLength(1);
    expect(settledStates(reports())).toEqual(['unresolved', 'rejected']);
  });

  it('a submit that throws (transport failure) is ambiguous too: queried, not re-sent', async () => {
    const broker = new FakeBroker(async (req, b) => {
      b.orders.set(req.clientOrderId, brokerOrder('accepted', 0));
      throw new Error('socket hang up');
    });
    const { final, visited } = await run(broker, inState('accepted'));
    expect(visited).toContain('unresolved');
    expect(final.context.brokerOrderId).toBe('B-42');
    expect(broker.submits).toHaveLength(1);
  });
});

describe('order actor: restore safety (query by client order id before any submit)', () => {
  it('an order the broker already has is adopted, not submitted again', async () => {
    const broker = new FakeBroker(async () => {
      throw new Error('must not be called');
    });
    broker.orders.set(ID, brokerOrder('accepted', 0));
    const { final } = await run(broker, inState('accepted'));
    expect(broker.submits).toHaveLength(0);
    expect(final.context.brokerOrderId).toBe('B-42');
  });

  it('a submit in flight when the snapshot was taken runs again on restore and finds the order instead of re-sending', async () => {
    // First life: the broker receives and fills the order, then the process dies before the answer.
    const broker = new FakeBroker((req, b) => {
      b.orders.set(req.clientOrderId, brokerOrder('filled', 10));
      b.fills.push(fill('E1', 10, 10));
      return new Promise<never>(() => {});
    });
    const machine = parentMachine(broker);
    const first = createActor(machine).start();
    await vi.waitFor(() => expect(broker.submits).toHaveLength(1), { timeout: 2_000 });
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
    first.stop();
    expect(persisted.children[`order:${ID}`].snapshot.value).toBe('submitting');

    // Second life: restored from the snapshot; the submit actor runs again with its saved input.
    const second = createActor(machine, { snapshot: persisted }).start();
    const order = second.system.get(`order:${ID}`) as AnyActorRef;
    const final = (await waitFor(order, inState('filled'), { timeout: 2_000 })) as OrderSnapshot;
    expect(broker.submits).toHaveLength(1);
    expect(final.context.executionIds).toEqual(['E1']);
    expect(reportedFills(second.getSnapshot().context.reports)).toHaveLength(1);
  });
});

describe('order actor: fills are de-duplicated by execution id before anything changes', () => {
  it('the same execution delivered twice (stream + query) is booked and reported once', async () => {
    const broker = new FakeBroker(async () => ({ outcome: 'accepted', order: brokerOrder('accepted', 0), fills: [] }));
    const { order, reports } = await run(broker, inState('accepted'));
    order.send({ type: 'order.partiallyFilled', fill: fill('E1', 4, 4) } satisfies OrderEvent);
    order.send({ type: 'order.partiallyFilled', fill: fill('E1', 4, 4) } satisfies OrderEvent);
    const snap = order.getSnapshot() as OrderSnapshot;
    expect(snap.value).toBe('partiallyFilled');
    expect(snap.context.filledQty).toBe(4);
    expect(snap.context.executionIds).toEqual(['E1']);
    expect(reportedFills(reports())).toHaveLength(1);
  });

  it('a duplicate fill inside one submit result is booked once and its refusal names the state it hit (filled)', async () => {
    const twice = fill('E1', 10, 10);
    const broker = new FakeBroker(async () => ({ outcome: 'accepted', order: brokerOrder('filled', 10), fills: [twice, { ...twice }] }));
    const { final, reports } = await run(broker, inState('filled'));
    expect(final.context.filledQty).toBe(10);
    expect(reportedFills(reports())).toHaveLength(1);
    expect(final.context.refused).toEqual([{ state: 'filled', event: 'order.filled' }]);
  });

  it('a late fill after a cancel is still booked; a full one moves canceled -> filled', async () => {
    const broker = new FakeBroker(async () => ({ outcome: 'accepted', order: brokerOrder('accepted', 0), fills: [] }));
    const { order, reports } = await run(broker, inState('accepted'));
    order.send({ type: 'order.canceled', nowMs: 10_000, graceMs: 30_000 } satisfies OrderEvent);
    expect((order.getSnapshot() as OrderSnapshot).context.graceUntilMs).toBe(40_000);
    order.send({ type: 'order.partiallyFilled', fill: fill('E1', 3, 3) } satisfies OrderEvent);
    expect(order.getSnapshot().value).toBe('canceled');
    order.send({ type: 'order.filled', fill: fill('E2', 7, 10) } satisfies OrderEvent);
    const snap = order.getSnapshot() as OrderSnapshot;
    expect(snap.value).toBe('filled');
    expect(snap.context.filledQty).toBe(10);
    expect(reportedFills(reports()).map((r) => (r.type === 'order.fillReported' ? r.fill.executionId : ''))).toEqual(['E1', 'E2']);
  });
});
