/**
 * Portfolio/risk supervisor (systemId `supervisor`). Collects a cycle's proposals, builds the
 * portfolio, checks risk, sends orders through order actors (one at a time, risk-reducing first)
 * and books fills. Trading permission is its own region, `trading: active | reducing | halted`,
 * apart from the engine lifecycle: a halted supervisor still marks positions and takes data.
 */
import { and, assign, enqueueActions, not, setup, stopChild, type AnyActorRef } from 'xstate';
import type { LiveTradingConfig } from '../src/config/schema.ts';
import { tradingDay } from '../src/core/clock.ts';
import type { CycleResult, TradeDecision } from '../src/core/types.ts';
import type { Fill } from '../src/brokers/types.ts';
import { Exp3IX, type Exp3IXState } from '../src/learning/exp3ix.ts';
import { constructPortfolio, type PortfolioPosition } from '../src/pipeline/portfolio.ts';
import { initialRiskState, riskMetrics, riskReducer, type RiskState, type RiskTrip } from '../src/pipeline/risk.ts';
import { applyFill, createBook, portfolioValue, weightOf, type Book } from '../src/engine/book.ts';
import { buildDecisions, planOrders, type PlannedOrder } from '../src/engine/decisions.ts';
import type { SymbolProposal } from '../src/engine/stages.ts';
import type { OrderMachine, OrderReport } from './order.machine.ts';
import type { OrderState } from './order.transitions.ts';

export type TradingRegion = 'active' | 'reducing' | 'halted';

/** How long a canceled order stays open for a late fill (engine time). */
export const CANCEL_GRACE_MS = 5 * 60_000;

export interface OrderRecord {
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  riskReducing: boolean;
  state: OrderState | 'submitting';
  rejectCode: string | null;
  rejectReason: string | null;
  cycle: number;
  tsMs: number;
  /** Engine time the cancel was confirmed (the late-fill grace period runs from here). */
  canceledAtMs?: number;
}

export interface EngineEventRecord {
  event_type: string;
  timestamp: number;
  severity: 'info' | 'warning' | 'error' | 'fatal';
  message: string;
  data: Record<string, unknown>;
}

export interface SupervisorContext {
  runId: string;
  symbols: string[];
  cycle: number;
  ts: number;
  expected: string[];
  proposals: SymbolProposal[];
  book: Book;
  risk: RiskState;
  bandit: Exp3IXState;
  flattenPending: boolean;
  queue: PlannedOrder[];
  /** Orders not yet final, by client order id (bounded: final ones leave at cycle end). */
  openOrders: Record<string, OrderRecord>;
  /** This cycle's journal material, handed to the engine with cycle.completed. */
  decisions: TradeDecision[];
  cycleOrders: OrderRecord[];
  cycleFills: Fill[];
  cycleEvents: EngineEventRecord[];
  lastTrip: RiskTrip | null;
}

export interface SupervisorInput {
  runId: string;
  symbols: string[];
  initialCash: number;
  horizons: string[];
}

export type SupervisorEvent =
  | { type: 'cycle.started'; cycle: number; ts: number; symbols: string[]; marks: Record<string, number> }
  | { type: 'symbol.proposed'; proposal: SymbolProposal }
  | OrderReport
  | { type: 'trading.kill'; reason: string; ts: number }
  | { type: 'trading.resetKill'; ts: number }
  | { type: 'risk.killSwitchTripped' }
  | { type: 'risk.killSwitchCleared' }
  | { type: 'reconciliation.synced'; book: Book };

export interface CycleCompletedEvent {
  type: 'cycle.completed';
  result: CycleResult;
  orders: OrderRecord[];
  fills: Fill[];
  events: EngineEventRecord[];
}

export interface SupervisorDeps {
  config: LiveTradingConfig;
  orderMachine: OrderMachine;
}

function killEvent(ts: number, trip: RiskTrip, mode: TradingRegion): EngineEventRecord {
  return {
    event_type: 'kill_switch',
    timestamp: ts,
    severity: 'fatal',
    message: `kill switch tripped (${trip.kind}): ${trip.reason}; trading ${mode}`,
    data: { ...trip, mode },
  };
}

export function createSupervisorMachine(deps: SupervisorDeps) {
  const { config } = deps;
  const risk = config.risk;
  const tripMode: TradingRegion = risk.kill_action === 'block' ? 'halted' : 'reducing';

  const pvOf = (context: SupervisorContext) => portfolioValue(context.book);
  // The trading region follows the latch; read the latch, since self.getSnapshot() lags inside a transition.
  const modeOf = (context: SupervisorContext): TradingRegion => (context.risk.killSwitch.tripped ? tripMode : 'active');

  /** Feed a PV mark to the risk reducer; returns the context update and whether it tripped/cleared. */
  const markRisk = (context: SupervisorContext, ts: number) => {
    const pv = pvOf(context);
    const result = riskReducer(context.risk, { type: 'risk.pvMarked', pv, tsMs: ts, tradingDay: tradingDay(ts) }, risk);
    return result;
  };

  return setup({
    types: {} as { context: SupervisorContext; input: SupervisorInput; events: SupervisorEvent },
    actors: { order: deps.orderMachine },
    actions: {
      startCycle: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'cycle.started') return;
        const book: Book = { ...context.book, marks: { ...context.book.marks, ...event.marks } };
        const next = { ...context, book };
        // Canceled orders wait a grace period for late fills, then leave (absolute deadline, checked here).
        const openOrders = { ...context.openOrders };
        for (const order of Object.values(context.openOrders)) {
          if (order.state === 'canceled' && event.ts >= (order.canceledAtMs ?? order.tsMs) + CANCEL_GRACE_MS) {
            delete openOrders[order.clientOrderId];
            enqueue(stopChild(`order:${order.clientOrderId}`));
          }
        }
        enqueue.assign({ openOrders });
        const result = markRisk(next, event.ts);
        enqueue.assign({
          cycle: event.cycle,
          ts: event.ts,
          expected: event.symbols,
          proposals: [],
          decisions: [],
          cycleOrders: [],
          cycleFills: [],
          cycleEvents: [],
          book,
          risk: result.state,
        });
        if (result.tripped) {
          enqueue.assign({ lastTrip: result.tripped, flattenPending: risk.kill_action === 'flatten' });
          enqueue.raise({ type: 'risk.killSwitchTripped' });
        }
        if (result.cleared) enqueue.raise({ type: 'risk.killSwitchCleared' });
      }),
      // Appended in place: copying the array per proposal made a cycle quadratic in the symbols.
      // The array is this cycle's scratch (emptied at cycle end, never read from an old snapshot).
      storeProposal: assign(({ context, event }) => {
        if (event.type === 'symbol.proposed' && event.proposal.cycle === context.cycle) context.proposals.push(event.proposal);
        return {};
      }),
      construct: enqueueActions(({ context, enqueue }) => {
        const trading = modeOf(context);
        const pv = pvOf(context);
        const order = new Map(context.expected.map((s, i) => [s, i]));
        const proposals = [...context.proposals].sort((a, b) => (order.get(a.symbol) ?? 0) - (order.get(b.symbol) ?? 0));
        const priced = proposals.filter((p) => p.priceOk && p.price !== null);
        const positions: PortfolioPosition[] = [];
        const seen = new Set<string>();
        for (const p of priced) {
          positions.push({ symbol: p.symbol, shares: context.book.positions[p.symbol]?.shares ?? 0, price: p.price! });
          seen.add(p.symbol);
        }
        // Positions whose symbol has no usable quote this cycle keep their shares untouched.
        for (const pos of Object.values(context.book.positions)) {
          if (!seen.has(pos.symbol)) positions.push({ symbol: pos.symbol, shares: pos.shares, price: context.book.marks[pos.symbol] ?? pos.avgEntryPrice });
        }
        const result = constructPortfolio(
          {
            pv,
            positions,
            proposals: priced.map((p) => ({ symbol: p.symbol, targetWeight: p.targetWeight, isExit: p.isExit })),
            tradingMode: trading,
            flatten: context.flattenPending,
          },
          config.sizing,
          config.risk,
        );
        // Unpriced symbols never trade: their decision is the gate's, with no portfolio line.
        const pricedSymbols = new Set(priced.map((p) => p.symbol));
        const decisions = buildDecisions(proposals, { orders: result.orders, lines: result.lines.filter((l) => pricedSymbols.has(l.symbol)) });
        enqueue.assign({
          decisions,
          queue: planOrders(context.runId, context.cycle, context.ts, result, proposals),
          flattenPending: false,
        });
      }),
      spawnNextOrder: enqueueActions(({ context, enqueue }) => {
        const trading = modeOf(context);
        let queue = context.queue;
        // A trip during this cycle's execution: only risk-reducing orders still go out.
        if (trading !== 'active') queue = queue.filter((o) => o.riskReducing && trading === 'reducing');
        const next = queue[0];
        if (!next) {
          enqueue.assign({ queue: [] });
          return;
        }
        const record: OrderRecord = {
          clientOrderId: next.request.clientOrderId,
          symbol: next.request.symbol,
          side: next.request.side,
          qty: next.request.qty,
          riskReducing: next.riskReducing,
          state: 'submitting',
          rejectCode: null,
          rejectReason: null,
          cycle: context.cycle,
          tsMs: context.ts,
        };
        enqueue.assign({ queue: queue.slice(1), openOrders: { ...context.openOrders, [record.clientOrderId]: record } });
        enqueue.spawnChild('order', {
          id: `order:${record.clientOrderId}`,
          systemId: `order:${record.clientOrderId}`,
          input: { request: next.request, horizon: next.horizon, riskReducing: next.riskReducing },
        });
      }),
      bookFill: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'order.fillReported') return;
        const book: Book = { ...context.book, positions: { ...context.book.positions } };
        const closed = applyFill(book, event.fill, event.horizon, context.ts);
        let bandit = context.bandit;
        if (closed && config.online_learning.enabled && bandit.arms.includes(closed.horizon)) {
          const learner = new Exp3IX({ arms: bandit.arms, eta: config.online_learning.eta, gamma: config.online_learning.gamma, rewardScaleBps: config.online_learning.reward_scale_bps, state: bandit });
          learner.update(closed.horizon, closed.netReturnBps);
          bandit = learner.toJSON();
        }
        const result = markRisk({ ...context, book }, context.ts);
        enqueue.assign({ book, bandit, risk: result.state, cycleFills: [...context.cycleFills, event.fill] });
        if (result.tripped) {
          enqueue.assign({ lastTrip: result.tripped, flattenPending: risk.kill_action === 'flatten' });
          enqueue.raise({ type: 'risk.killSwitchTripped' });
        }
      }),
      recordSettled: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'order.settled') return;
        const record = context.openOrders[event.clientOrderId];
        if (!record) return;
        const updated: OrderRecord = {
          ...record,
          state: event.state,
          rejectCode: event.rejectCode,
          rejectReason: event.rejectReason,
          ...(event.state === 'canceled' && record.canceledAtMs === undefined ? { canceledAtMs: context.ts } : {}),
        };
        const openOrders = { ...context.openOrders };
        const final = event.state === 'filled' || event.state === 'rejected' || event.state === 'expired';
        if (final) {
          delete openOrders[event.clientOrderId];
          enqueue(stopChild(`order:${event.clientOrderId}`));
        } else {
          openOrders[event.clientOrderId] = updated;
        }
        const others = context.cycleOrders.filter((o) => o.clientOrderId !== event.clientOrderId);
        enqueue.assign({ openOrders, cycleOrders: [...others, updated] });
      }),
      // reconciliation.mode sync: the broker's positions and cash become the book.
      adoptBook: assign(({ event }) => (event.type === 'reconciliation.synced' ? { book: event.book } : {})),
      latchManualKill: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'trading.kill') return;
        const result = riskReducer(context.risk, { type: 'risk.manualKill', reason: event.reason, tsMs: event.ts }, risk);
        enqueue.assign({ risk: result.state });
        if (result.tripped) {
          enqueue.assign({ lastTrip: result.tripped, flattenPending: risk.kill_action === 'flatten' });
          enqueue.raise({ type: 'risk.killSwitchTripped' });
        }
      }),
      resetKill: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'trading.resetKill') return;
        const result = riskReducer(context.risk, { type: 'risk.operatorReset', tsMs: event.ts }, risk);
        enqueue.assign({ risk: result.state, flattenPending: false });
        if (result.cleared) enqueue.raise({ type: 'risk.killSwitchCleared' });
      }),
      announceTrip: enqueueActions(({ context, enqueue, system }) => {
        const trip = context.lastTrip ?? { kind: 'manual', reason: context.risk.killSwitch.reason ?? 'manual', dailyPnlPct: 0, drawdownPct: 0 };
        const event = killEvent(context.ts, trip, tripMode);
        enqueue.assign({ cycleEvents: [...context.cycleEvents, event] });
        enqueue.sendParent({ type: 'risk.killSwitchTripped', event });
        for (const symbol of context.symbols) {
          const ref = system.get(`symbol:${symbol}`) as AnyActorRef | undefined;
          if (ref) enqueue.sendTo(ref, { type: 'risk.killSwitchTripped', mode: tripMode, reason: trip.reason });
        }
      }),
      announceClear: enqueueActions(({ context, enqueue, system }) => {
        const event: EngineEventRecord = { event_type: 'kill_switch_cleared', timestamp: context.ts, severity: 'warning', message: 'kill switch cleared; trading active', data: {} };
        enqueue.assign({ cycleEvents: [...context.cycleEvents, event], lastTrip: null });
        enqueue.sendParent({ type: 'risk.killSwitchCleared', event });
        for (const symbol of context.symbols) {
          const ref = system.get(`symbol:${symbol}`) as AnyActorRef | undefined;
          if (ref) enqueue.sendTo(ref, { type: 'risk.killSwitchCleared' });
        }
      }),
      completeCycle: enqueueActions(({ context, enqueue }) => {
        const trading = modeOf(context);
        const pv = pvOf(context);
        const count = (action: string) => context.decisions.filter((d) => d.action === action).length;
        const completed: CycleCompletedEvent = {
          type: 'cycle.completed',
          result: {
            cycle: context.cycle,
            ts: context.ts,
            portfolioValue: pv,
            cash: context.book.cash,
            trades: count('TRADE'),
            holds: count('HOLD'),
            blocked: count('BLOCKED'),
            decisions: context.decisions,
            tradingState: trading,
          },
          orders: context.cycleOrders,
          fills: context.cycleFills,
          events: context.cycleEvents,
        };
        enqueue.sendParent(completed);
        // The cycle's material now belongs to the engine (journals); keep the snapshot small.
        enqueue.assign({ proposals: [], decisions: [], cycleOrders: [], cycleFills: [], cycleEvents: [] });
      }),
    },
    guards: {
      allProposalsIn: ({ context }) => context.proposals.length >= context.expected.length,
      queueEmpty: ({ context }) => context.queue.length === 0,
      noOrderSubmitting: ({ context }) => Object.values(context.openOrders).every((o) => o.state !== 'submitting'),
      tripBlocks: () => risk.kill_action === 'block',
      killLatched: ({ context }) => context.risk.killSwitch.tripped,
    },
  }).createMachine({
    id: 'supervisor',
    description: 'Portfolio construction, risk limits and the latched kill switch; sends orders and books fills.',
    context: ({ input }) => ({
      runId: input.runId,
      symbols: input.symbols,
      cycle: 0,
      ts: 0,
      expected: [],
      proposals: [],
      book: createBook(input.initialCash),
      risk: initialRiskState(),
      bandit: { arms: input.horizons, logWeights: input.horizons.map(() => 0), samples: 0 },
      flattenPending: false,
      queue: [],
      openOrders: {},
      decisions: [],
      cycleOrders: [],
      cycleFills: [],
      cycleEvents: [],
      lastTrip: null,
    }),
    type: 'parallel',
    states: {
      trading: {
        description: 'Trading permission, apart from the engine lifecycle.',
        initial: 'active',
        states: {
          active: {
            description: 'All orders allowed within the risk limits.',
            always: [
              { guard: and(['killLatched', 'tripBlocks']), target: 'halted', actions: 'announceTrip' },
              { guard: 'killLatched', target: 'reducing', actions: 'announceTrip' },
            ],
          },
          reducing: {
            description: 'Kill switch latched (reduce_only or flatten): only orders that shrink a position, never flipping it.',
            always: [
              { guard: and(['tripBlocks', 'killLatched']), target: 'halted' },
              { guard: not('killLatched'), target: 'active', actions: 'announceClear' },
            ],
          },
          halted: {
            description: 'Kill switch latched (block): nothing is sent but cancels; positions are still marked.',
            always: { guard: not('killLatched'), target: 'active', actions: 'announceClear' },
          },
        },
        on: {
          'trading.kill': { actions: 'latchManualKill' },
          'trading.resetKill': { actions: 'resetKill' },
        },
      },
      cycle: {
        description: 'One cycle: collect proposals, construct, execute.',
        initial: 'idle',
        states: {
          idle: {
            description: 'Between cycles.',
            on: { 'cycle.started': { target: 'collecting', actions: 'startCycle' } },
          },
          collecting: {
            description: 'Waiting for every symbol actor of this cycle to propose (or fault).',
            always: { guard: 'allProposalsIn', target: 'constructing' },
            on: { 'symbol.proposed': { actions: 'storeProposal' } },
          },
          constructing: {
            description: 'Gross normalisation, no-trade band, caps and kill-switch rules (SPEC 4.8-4.9).',
            entry: 'construct',
            always: 'executing',
          },
          executing: {
            description: 'Orders go out one at a time, risk-reducing first; fills are booked and re-checked.',
            entry: 'spawnNextOrder',
            always: { guard: and(['queueEmpty', 'noOrderSubmitting']), target: 'idle', actions: 'completeCycle' },
            on: {
              'order.fillReported': { actions: 'bookFill' },
              'order.settled': { actions: ['recordSettled', 'spawnNextOrder'] },
            },
          },
        },
      },
    },
    on: {
      'order.fillReported': { actions: 'bookFill' },
      'order.settled': { actions: 'recordSettled' },
      'reconciliation.synced': { actions: 'adoptBook' },
    },
  });
}

export type SupervisorMachine = ReturnType<typeof createSupervisorMachine>;

export function riskStatus(context: SupervisorContext) {
  const pv = portfolioValue(context.book);
  return { pv, ...riskMetrics(context.risk, pv) };
}

export { weightOf };
