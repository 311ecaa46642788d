/**
 * Symbol actor: one per symbol (id and systemId `symbol:<SYM>`). Holds the symbol's bars, latest
 * quote and rolling windows; on `clock.cycle` it walks the pipeline stages and sends
 * `symbol.proposed` to the supervisor. A fault (bad data, model error) moves only this actor to
 * `faulted` and is escalated; the next cycle retries.
 */
import { assign, enqueueActions, setup, type AnyActorRef } from 'xstate';
import type { Bar, Quote } from '../src/core/types.ts';
import { isPositivePrice } from '../src/core/types.ts';
import {
  arbitrateStage,
  barrierStage,
  blendStage,
  faultProposal,
  gateSpreadStage,
  predictStage,
  sizingStage,
  startWork,
  type CycleInput,
  type StageParams,
  type SymbolProposal,
  type SymbolWork,
} from '../src/engine/stages.ts';
import { ingestBar, type SymbolState, type SymbolStateLimits } from '../src/engine/symbolState.ts';
import type { SymbolStore } from '../src/engine/symbolStore.ts';

export interface SymbolContext {
  symbol: string;
  /** Consecutive faulted cycles and the last fault (the windows live in the SymbolStore). */
  faults: number;
  lastFault: string | null;
  /** This cycle's scratch; null between cycles so snapshots stay small. */
  work: SymbolWork | null;
  /** The stage gatingSpread chose next. */
  next: 'predicting' | 'sizing' | 'proposed' | null;
  fault: string | null;
  tradingMode: 'active' | 'reducing' | 'halted';
}

export interface SymbolInput {
  symbol: string;
}

export type SymbolEvent =
  | { type: 'market.barClosed'; bar: Bar; quote: Quote | null }
  | { type: 'market.quoteUpdated'; quote: Quote }
  | { type: 'clock.cycle'; input: CycleInput }
  | { type: 'risk.killSwitchTripped'; mode: 'reducing' | 'halted'; reason: string }
  | { type: 'risk.killSwitchCleared' };

/** What the supervisor and the engine hear from a symbol actor. */
export type SymbolReport =
  | { type: 'symbol.proposed'; proposal: SymbolProposal }
  | { type: 'symbol.faulted'; symbol: string; cycle: number; error: string };

export interface SymbolDeps {
  params: StageParams;
  limits: SymbolStateLimits;
  /** This actor's windows: only its own transitions read or change its entry. */
  store: SymbolStore;
}

function badBarField(bar: Bar): string | null {
  for (const field of ['open', 'high', 'low', 'close'] as const) if (!isPositivePrice(bar[field])) return `${field}=${bar[field]}`;
  if (!Number.isFinite(bar.volume) || bar.volume < 0) return `volume=${bar.volume}`;
  if (!Number.isFinite(bar.ts)) return `ts=${bar.ts}`;
  return null;
}

export function createSymbolMachine(deps: SymbolDeps) {
  const { params, limits, store } = deps;
  const stateOf = (context: SymbolContext): SymbolState => store.get(context.symbol);
  /** Run one stage; an exception becomes this symbol's fault instead of stopping the actor. */
  const stage = (context: SymbolContext, name: string, run: (state: SymbolState, work: SymbolWork) => void): Partial<SymbolContext> => {
    if (context.fault !== null || context.work === null) return {};
    context.work.trace.stage = name;
    try {
      run(stateOf(context), context.work);
      return {};
    } catch (error) {
      return { fault: error instanceof Error ? error.message : String(error) };
    }
  };

  return setup({
    types: {} as { context: SymbolContext; input: SymbolInput; events: SymbolEvent },
    actions: {
      ingestBar: assign(({ context, event }) => {
        if (event.type !== 'market.barClosed') return {};
        const bad = badBarField(event.bar);
        if (bad !== null) return { fault: `bad bar for ${context.symbol} at ${event.bar.ts}: ${bad}` };
        const state = stateOf(context);
        const last = state.bars.ts[state.bars.ts.length - 1];
        if (last !== undefined && event.bar.ts <= last) return { fault: `out-of-order bar for ${context.symbol}: ${event.bar.ts} <= ${last}` };
        ingestBar(state, event.bar, limits);
        if (event.quote) state.quote = event.quote;
        return {};
      }),
      storeQuote: assign(({ context, event }) => {
        if (event.type === 'market.quoteUpdated') stateOf(context).quote = event.quote;
        return {};
      }),
      startCycle: assign(({ context, event }) =>
        event.type === 'clock.cycle' ? { work: startWork(stateOf(context), event.input, params), fault: null, next: null } : {},
      ),
      runSpreadGate: assign(({ context }) => {
        if (context.work === null) return {};
        try {
          return { next: gateSpreadStage(stateOf(context), context.work, params) };
        } catch (error) {
          return { fault: error instanceof Error ? error.message : String(error) };
        }
      }),
      runPrediction: assign(({ context }) => stage(context, 'predicting', (state, work) => predictStage(state, work, params))),
      runBlending: assign(({ context }) => stage(context, 'blending', (state, work) => blendStage(state, work, params))),
      runArbitration: assign(({ context }) => stage(context, 'arbitrating', (state, work) => arbitrateStage(state, work, params))),
      runBarrierGate: assign(({ context }) => stage(context, 'gatingBarrier', (state, work) => barrierStage(state, work, params))),
      runSizing: assign(({ context }) => stage(context, 'sizing', (state, work) => sizingStage(state, work, params))),
      sendProposal: enqueueActions(({ context, enqueue, system }) => {
        const proposal = context.work?.proposal;
        if (!proposal) return;
        proposal.trace.stage = 'proposed';
        const report: SymbolReport = { type: 'symbol.proposed', proposal };
        enqueue.sendTo(system.get('supervisor') as AnyActorRef, report);
      }),
      reportFault: enqueueActions(({ context, enqueue, system }) => {
        const error = context.fault ?? 'unknown fault';
        const input = context.work?.input;
        enqueue.assign({ faults: context.faults + 1, lastFault: error });
        if (input) {
          const report: SymbolReport = { type: 'symbol.proposed', proposal: faultProposal(stateOf(context), input, error, params) };
          enqueue.sendTo(system.get('supervisor') as AnyActorRef, report);
        }
        const escalation: SymbolReport = { type: 'symbol.faulted', symbol: context.symbol, cycle: input?.cycle ?? -1, error };
        enqueue.sendParent(escalation);
      }),
      clearWork: assign({ work: null, next: null }),
      clearFaults: assign(({ context }) => (context.faults === 0 ? {} : { faults: 0 })),
      setTradingMode: assign(({ event }) =>
        event.type === 'risk.killSwitchTripped' ? { tradingMode: event.mode } : event.type === 'risk.killSwitchCleared' ? { tradingMode: 'active' as const } : {},
      ),
    },
    guards: {
      faultRaised: ({ context }) => context.fault !== null,
      proposalReady: ({ context }) => context.next === 'proposed',
      gateBlocked: ({ context }) => context.next === 'sizing',
    },
  }).createMachine({
    id: 'symbol',
    description: 'One symbol: bars, quote and rolling windows; runs the per-symbol pipeline each cycle.',
    context: ({ input }) => ({ symbol: input.symbol, faults: 0, lastFault: null, work: null, next: null, fault: null, tradingMode: 'active' }),
    initial: 'idle',
    on: {
      'market.quoteUpdated': { actions: 'storeQuote' },
      'risk.killSwitchTripped': { actions: 'setTradingMode' },
      'risk.killSwitchCleared': { actions: 'setTradingMode' },
    },
    states: {
      idle: {
        description: 'Waiting for data and the first cycle.',
        on: {
          'market.barClosed': [{ actions: 'ingestBar', target: 'checkingBar' }],
          'clock.cycle': { target: 'gatingSpread', actions: 'startCycle' },
        },
      },
      checkingBar: {
        description: 'A bar just arrived: a bad one faults this symbol only.',
        always: [{ guard: 'faultRaised', target: 'faulted' }, { target: 'idle' }],
      },
      gatingSpread: {
        description: 'Spread and quote-age gate, then volatility (SPEC 4.1-4.2).',
        entry: 'runSpreadGate',
        always: [
          { guard: 'faultRaised', target: 'faulted' },
          { guard: 'proposalReady', target: 'proposed' },
          { guard: 'gateBlocked', target: 'sizing' },
          { target: 'predicting' },
        ],
      },
      predicting: {
        description: 'Standardize raw model outputs, confidence and alpha per (horizon, family) (SPEC 4.3).',
        entry: 'runPrediction',
        always: [{ guard: 'faultRaised', target: 'faulted' }, { target: 'blending' }],
      },
      blending: {
        description: 'Ridge risk-parity weights with temperature, blended alpha per horizon (SPEC 4.4).',
        entry: 'runBlending',
        always: [{ guard: 'faultRaised', target: 'faulted' }, { target: 'arbitrating' }],
      },
      arbitrating: {
        description: 'Cost-aware horizon selection, long and short (SPEC 4.5).',
        entry: 'runArbitration',
        always: [{ guard: 'faultRaised', target: 'faulted' }, { target: 'gatingBarrier' }],
      },
      gatingBarrier: {
        description: 'Barrier gate from peak/valley models (SPEC 4.6).',
        entry: 'runBarrierGate',
        always: [{ guard: 'faultRaised', target: 'faulted' }, { target: 'sizing' }],
      },
      sizing: {
        description: 'Vol-scaled target for an entry, else the exit rules (SPEC 4.7).',
        entry: 'runSizing',
        always: [{ guard: 'faultRaised', target: 'faulted' }, { target: 'proposed' }],
      },
      proposed: {
        description: 'Target weight and trace sent to the supervisor; waiting for the next cycle.',
        entry: ['sendProposal', 'clearWork', 'clearFaults'],
        on: {
          'market.barClosed': { actions: 'ingestBar', target: 'checkingBar' },
          'clock.cycle': { target: 'gatingSpread', actions: 'startCycle' },
        },
      },
      faulted: {
        description: 'Bad data or a model error for this symbol only; escalated, retried next cycle.',
        entry: ['reportFault', 'clearWork'],
        on: {
          'market.barClosed': { actions: 'ingestBar', target: 'checkingBar' },
          'clock.cycle': { target: 'gatingSpread', actions: 'startCycle' },
        },
      },
    },
  });
}

export type SymbolMachine = ReturnType<typeof createSymbolMachine>;
