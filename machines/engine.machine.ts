/**
 * Engine actor (root): lifecycle only. booting -> loadingModels -> warmingUp -> reconciling ->
 * running <-> paused -> stopping -> stopped, plus failed. Spawns the supervisor and one actor per
 * symbol, forwards market data, runs the batched prediction of each cycle and dispatches
 * `clock.cycle` to the symbol actors. Every boot, fresh or restored, goes through reconciling.
 */
import { assign, enqueueActions, fromPromise, setup, type AnyActorRef } from 'xstate';
import type { Bar, Quote } from '../src/core/types.ts';
import { mid } from '../src/core/types.ts';
import type { LiveTradingConfig } from '../src/config/schema.ts';
import { banditMultiplier, effectiveBlend } from '../src/learning/exp3ix.ts';
import { portfolioValue, weightOf, type Book } from '../src/engine/book.ts';
import type { Predictor, PredictorBatchInput, SymbolPrediction } from '../src/engine/predictor.ts';
import type { CycleInput } from '../src/engine/stages.ts';
import type { SymbolStateLimits } from '../src/engine/symbolState.ts';
import type { SymbolStore } from '../src/engine/symbolStore.ts';
import type { CycleCompletedEvent, EngineEventRecord, SupervisorContext, SupervisorMachine } from './supervisor.machine.ts';
import type { SymbolMachine } from './symbol.machine.ts';

export interface MarketSliceEvent {
  type: 'market.sliceReceived';
  ts: number;
  bars: Bar[];
  quotes: Quote[];
  cursor: { index: number; ts: number } | null;
}

export type EngineEvent =
  | MarketSliceEvent
  | { type: 'clock.cycle'; ts: number }
  | { type: 'engine.pause' }
  | { type: 'engine.resume' }
  | { type: 'engine.stop' }
  | { type: 'engine.restarted' }
  | { type: 'engine.kill'; reason: string; ts: number }
  | { type: 'engine.resetKill'; ts: number }
  | CycleCompletedEvent
  | { type: 'symbol.faulted'; symbol: string; cycle: number; error: string }
  | { type: 'risk.killSwitchTripped'; event: EngineEventRecord }
  | { type: 'risk.killSwitchCleared'; event: EngineEventRecord };

export interface EngineContext {
  runId: string;
  symbols: string[];
  /** Children exist (fresh boot spawns them once; a restored tree already has them). */
  spawned: boolean;
  warmedUp: boolean;
  /** Last completed cycle number; the next cycle is cycle + 1. */
  cycle: number;
  lastCycleTs: number | null;
  /** Position in the market data after the last slice taken in (resume point after a crash). */
  cursor: { index: number; ts: number } | null;
  killSwitch: { active: boolean; reason: string | null };
  faults: number;
  error: string | null;
}

export interface EngineInput {
  runId: string;
  symbols: string[];
}

export interface EngineDeps {
  config: LiveTradingConfig;
  predictor: Predictor;
  symbolMachine: SymbolMachine;
  supervisorMachine: SupervisorMachine;
  limits: SymbolStateLimits;
  store: SymbolStore;
  initialCash: number;
  loadModels: () => Promise<void>;
  warmUp: () => Promise<void>;
  reconcile: () => Promise<void>;
  /** Everything that leaves the machines (journals, logs) goes through these callbacks. */
  onCycleCompleted: (event: CycleCompletedEvent) => void;
  onEvent: (event: EngineEventRecord) => void;
  /** A child actor (supervisor, symbol) stopped with an error: the engine cannot go on. */
  onActorFailed: (actorId: string, error: unknown) => void;
}

function symbolRef(system: { get: (id: string) => unknown }, symbol: string): AnyActorRef {
  return system.get(`symbol:${symbol}`) as AnyActorRef;
}

export function createEngineMachine(deps: EngineDeps) {
  const { config } = deps;
  return setup({
    types: {} as { context: EngineContext; input: EngineInput; events: EngineEvent },
    actors: {
      symbol: deps.symbolMachine,
      supervisor: deps.supervisorMachine,
      loadModels: fromPromise(async () => deps.loadModels()),
      warmUp: fromPromise(async () => deps.warmUp()),
      reconcile: fromPromise(async () => deps.reconcile()),
      predictBatch: fromPromise(async ({ input }: { input: PredictorBatchInput }) => deps.predictor.predict(input)),
    },
    actions: {
      spawnChildren: enqueueActions(({ context, enqueue }) => {
        if (context.spawned) return;
        enqueue.spawnChild('supervisor', {
          id: 'supervisor',
          systemId: 'supervisor',
          input: { runId: context.runId, symbols: context.symbols, initialCash: deps.initialCash, horizons: [...config.horizons] },
        });
        for (const symbol of context.symbols) {
          enqueue.spawnChild('symbol', { id: `symbol:${symbol}`, systemId: `symbol:${symbol}`, input: { symbol } });
        }
        enqueue.assign({ spawned: true });
      }),
      forwardSlice: enqueueActions(({ event, enqueue, system }) => {
        if (event.type !== 'market.sliceReceived') return;
        const quotes = new Map(event.quotes.map((q) => [q.symbol, q]));
        for (const bar of event.bars) {
          const ref = symbolRef(system, bar.symbol);
          if (!ref) continue;
          enqueue.sendTo(ref, { type: 'market.barClosed', bar, quote: quotes.get(bar.symbol) ?? null });
          quotes.delete(bar.symbol);
        }
        for (const quote of quotes.values()) {
          const ref = symbolRef(system, quote.symbol);
          if (ref) enqueue.sendTo(ref, { type: 'market.quoteUpdated', quote });
        }
        enqueue.assign({ cursor: event.cursor });
      }),
      dispatchCycle: enqueueActions(({ context, event, enqueue, system }) => {
        const output = (event as unknown as { output: Map<string, SymbolPrediction> }).output;
        const cycle = context.cycle + 1;
        const ts = context.lastCycleTs!;
        const supervisor = system.get('supervisor') as AnyActorRef;
        const sup = supervisor.getSnapshot().context as SupervisorContext;
        const marks: Record<string, number> = {};
        const symbols = context.symbols;
        for (const symbol of symbols) {
          const quote = deps.store.get(symbol).quote;
          if (quote && Number.isFinite(quote.bid) && Number.isFinite(quote.ask) && quote.bid > 0 && quote.ask >= quote.bid) marks[symbol] = mid(quote);
        }
        const book: Book = { ...sup.book, marks: { ...sup.book.marks, ...marks } };
        const pv = portfolioValue(book);
        const bandit = banditMultipliers(sup, config);
        enqueue.sendTo(supervisor, { type: 'cycle.started', cycle, ts, symbols, marks });
        for (const symbol of symbols) {
          const position = book.positions[symbol];
          const input: CycleInput = {
            cycle,
            ts,
            pv,
            position: position ? { shares: position.shares, weight: weightOf(book, symbol, pv), openedAtMs: position.openedAtMs, horizon: position.horizon } : null,
            prediction: output.get(symbol) ?? { ok: true, outputs: {} },
            bandit,
            crossSectional: (() => {
              const p = output.get(symbol);
              return p && p.ok ? p.crossSectional : undefined;
            })(),
          };
          enqueue.sendTo(symbolRef(system, symbol), { type: 'clock.cycle', input });
        }
      }),
      markCycleStart: assign(({ event }) => (event.type === 'clock.cycle' ? { lastCycleTs: event.ts } : {})),
      completeCycle: enqueueActions(({ event, enqueue }) => {
        if (event.type !== 'cycle.completed') return;
        enqueue.assign({ cycle: event.result.cycle });
        enqueue(() => deps.onCycleCompleted(event));
      }),
      countFault: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'symbol.faulted') return;
        enqueue.assign({ faults: context.faults + 1 });
        enqueue(() =>
          deps.onEvent({ event_type: 'symbol_faulted', timestamp: context.lastCycleTs ?? 0, severity: 'error', message: `symbol ${event.symbol} faulted: ${event.error}`, data: { symbol: event.symbol, cycle: event.cycle } }),
        );
      }),
      recordKill: enqueueActions(({ event, enqueue }) => {
        if (event.type !== 'risk.killSwitchTripped') return;
        enqueue.assign({ killSwitch: { active: true, reason: String(event.event.data.reason ?? event.event.message) } });
        enqueue(() => deps.onEvent(event.event));
      }),
      recordKillCleared: enqueueActions(({ event, enqueue }) => {
        if (event.type !== 'risk.killSwitchCleared') return;
        enqueue.assign({ killSwitch: { active: false, reason: null } });
        enqueue(() => deps.onEvent(event.event));
      }),
      forwardKill: enqueueActions(({ event, enqueue, system }) => {
        if (event.type === 'engine.kill') enqueue.sendTo(system.get('supervisor') as AnyActorRef, { type: 'trading.kill', reason: event.reason, ts: event.ts });
        if (event.type === 'engine.resetKill') enqueue.sendTo(system.get('supervisor') as AnyActorRef, { type: 'trading.resetKill', ts: event.ts });
      }),
      markWarm: assign({ warmedUp: true }),
      reportActorFailure: ({ event }) => {
        const failure = event as unknown as { type: string; error: unknown };
        deps.onActorFailed(failure.type.replace('xstate.error.actor.', ''), failure.error);
      },
      recordError: assign(({ event }) => ({ error: String((event as unknown as { error: unknown }).error instanceof Error ? ((event as unknown as { error: Error }).error.message) : (event as unknown as { error: unknown }).error) })),
    },
    guards: {
      warmedUp: ({ context }) => context.warmedUp,
    },
  }).createMachine({
    id: 'engine',
    description: 'Lifecycle of the trading engine; owns the cycle, the control inputs and the children.',
    context: ({ input }) => ({
      runId: input.runId,
      symbols: input.symbols,
      spawned: false,
      warmedUp: false,
      cycle: 0,
      lastCycleTs: null,
      cursor: null,
      killSwitch: { active: false, reason: null },
      faults: 0,
      error: null,
    }),
    initial: 'booting',
    on: {
      'symbol.faulted': { actions: 'countFault' },
      'risk.killSwitchTripped': { actions: 'recordKill' },
      'risk.killSwitchCleared': { actions: 'recordKillCleared' },
      'engine.kill': { actions: 'forwardKill' },
      'engine.resetKill': { actions: 'forwardKill' },
      'engine.restarted': { target: '.booting' },
      'xstate.error.actor.*': { actions: 'reportActorFailure' },
    },
    states: {
      booting: {
        description: 'Spawn the supervisor and the symbol actors (once; a restored tree has them).',
        entry: 'spawnChildren',
        always: 'loadingModels',
      },
      loadingModels: {
        description: 'Load and verify the model artifacts.',
        invoke: { src: 'loadModels', onDone: 'warmingUp', onError: { target: 'failed', actions: 'recordError' } },
      },
      warmingUp: {
        description: 'Run recent history through features and models so windows are ready (skipped after a restore).',
        always: { guard: 'warmedUp', target: 'reconciling' },
        invoke: { src: 'warmUp', onDone: { target: 'reconciling', actions: 'markWarm' }, onError: { target: 'failed', actions: 'recordError' } },
        on: { 'market.sliceReceived': { actions: 'forwardSlice' } },
      },
      reconciling: {
        description: 'Compare positions, cash and open orders with the broker before the first cycle.',
        invoke: { src: 'reconcile', onDone: 'running', onError: { target: 'failed', actions: 'recordError' } },
      },
      running: {
        description: 'Taking data and running a cycle on every clock.cycle.',
        initial: 'idle',
        on: {
          'engine.pause': '#engine.paused',
          'engine.stop': '#engine.stopping',
        },
        states: {
          idle: {
            description: 'Waiting for data or the next cycle.',
            on: {
              'market.sliceReceived': { actions: 'forwardSlice' },
              'clock.cycle': { target: 'predicting', actions: 'markCycleStart' },
            },
          },
          predicting: {
            description: 'One batched prediction call over every symbol.',
            invoke: {
              src: 'predictBatch',
              input: ({ context }) => ({
                cycle: context.cycle + 1,
                ts: context.lastCycleTs!,
                symbols: context.symbols.map((symbol) => {
                  const state = deps.store.get(symbol);
                  return { symbol, bars: state.bars, barCount: state.barCount };
                }),
              }),
              onDone: { target: 'awaitingSupervisor', actions: 'dispatchCycle' },
              onError: { target: 'idle', actions: 'recordError' },
            },
          },
          awaitingSupervisor: {
            description: 'Symbols propose, the supervisor constructs and executes; back to idle on cycle.completed.',
            on: { 'cycle.completed': { target: 'idle', actions: 'completeCycle' } },
          },
        },
      },
      paused: {
        description: 'Operator pause: the process stays alive and keeps taking data; no cycles run.',
        on: {
          'market.sliceReceived': { actions: 'forwardSlice' },
          'engine.resume': 'running',
          'engine.stop': 'stopping',
        },
      },
      stopping: {
        description: 'Finish the cycle in progress, flush and persist.',
        always: 'stopped',
      },
      stopped: { description: 'Stopped cleanly.', type: 'final' },
      failed: { description: 'Could not start (models, warm-up or reconciliation failed).', type: 'final' },
    },
  });
}

/** score_h multiplier (1 - e) + e*K*p_h from the supervisor's bandit (SPEC 7); 1 while inactive. */
function banditMultipliers(sup: SupervisorContext, config: LiveTradingConfig): Record<string, number> {
  const { arms, logWeights, samples } = sup.bandit;
  const e = config.online_learning.enabled ? effectiveBlend(samples, config.online_learning) : 0;
  if (e === 0) return Object.fromEntries(arms.map((arm) => [arm, 1]));
  const max = Math.max(...logWeights);
  const exps = logWeights.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return Object.fromEntries(arms.map((arm, i) => [arm, banditMultiplier(exps[i] / sum, arms.length, e)]));
}

export type EngineMachine = ReturnType<typeof createEngineMachine>;
