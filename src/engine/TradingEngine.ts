/**
 * TradingEngine: the facade over the actor tree. Created with a config, a broker, a data source
 * and a predictor; `runCycle()` takes the next market slice and runs one cycle; `getStateSummary()`
 * reads the actors. Everything time-related comes from the injected clock.
 */
import { createActor, type Actor, type InspectionEvent, type Snapshot } from 'xstate';
import type { Subscription } from 'rxjs';
import type { LiveTradingConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import { VirtualClock } from '../core/clock.ts';
import { StateError } from '../core/errors.ts';
import type { CycleResult } from '../core/types.ts';
import type { Broker, Fill } from '../brokers/types.ts';
import type { DataCursor, DataSource, MarketSlice } from '../market/types.ts';
import { createEngineMachine, type EngineContext, type EngineMachine } from '../../machines/engine.machine.ts';
import { createOrderMachine } from '../../machines/order.machine.ts';
import { createSupervisorMachine, type CycleCompletedEvent, type EngineEventRecord, type OrderRecord, type SupervisorContext } from '../../machines/supervisor.machine.ts';
import { createSymbolMachine, type SymbolContext } from '../../machines/symbol.machine.ts';
import { grossExposure, netExposure, portfolioValue } from './book.ts';
import type { Predictor } from './predictor.ts';
import { horizonBars, type SymbolState, type SymbolStateLimits } from './symbolState.ts';
import type { StageParams } from './stages.ts';
import { SymbolStore } from './symbolStore.ts';
import { riskMetrics } from '../pipeline/risk.ts';
import { reconcile } from '../reconcile/reconcile.ts';
import { throwIfRefused } from '../reconcile/errors.ts';

export interface CycleReport {
  result: CycleResult;
  orders: OrderRecord[];
  fills: Fill[];
  events: EngineEventRecord[];
}

export interface TradingEngineOptions {
  config: LiveTradingConfig;
  broker: Broker;
  dataSource: DataSource;
  predictor: Predictor;
  symbols: readonly string[];
  runId: string;
  clock?: Clock;
  initialCash?: number;
  /** Restart after a crash: the engine actor's persisted snapshot and the per-symbol windows. */
  restore?: { engine: Snapshot<unknown>; symbols: Record<string, SymbolState> };
  loadModels?: () => Promise<void>;
  warmUp?: (engine: TradingEngine) => Promise<void>;
  reconcile?: (engine: TradingEngine) => Promise<void>;
  onEvent?: (event: EngineEventRecord) => void;
  inspect?: (event: InspectionEvent) => void;
}

export class TradingEngine {
  readonly config: LiveTradingConfig;
  readonly broker: Broker;
  readonly dataSource: DataSource;
  readonly predictor: Predictor;
  readonly clock: Clock;
  readonly symbols: readonly string[];
  readonly runId: string;
  readonly machine: EngineMachine;
  readonly store: SymbolStore;
  readonly limits: SymbolStateLimits;
  readonly stageParams: StageParams;
  private readonly actor: Actor<EngineMachine>;
  private pending: { resolve: (r: CycleReport) => void; reject: (e: Error) => void } | null = null;
  private feed: { buffer: MarketSlice[]; done: boolean; error: Error | null; wake: (() => void) | null; subscription: Subscription | null } | null = null;
  private fatal: Error | null = null;
  private bootError: Error | null = null;
  private readonly onEvent: (event: EngineEventRecord) => void;

  constructor(options: TradingEngineOptions) {
    this.config = options.config;
    this.broker = options.broker;
    this.dataSource = options.dataSource;
    this.predictor = options.predictor;
    this.clock = options.clock ?? new VirtualClock(0);
    this.symbols = [...options.symbols];
    this.runId = options.runId;
    this.onEvent = (event) => options.onEvent?.(event);
    const barMinutes = options.dataSource.barMinutes;
    const maxHorizonBars = Math.max(...options.config.horizons.map((h) => horizonBars(h, barMinutes)));
    const limits = {
      maxBars: Math.max(options.predictor.lookbackBars, options.config.sizing.vol_window + 1, 21),
      standardizationWindow: options.config.standardization.window,
      icWindow: options.config.confidence.ic_window,
      blendWindow: options.config.blending.window,
      barMinutes,
    };
    void maxHorizonBars;
    this.store = new SymbolStore(this.symbols, options.predictor.slots, limits, options.restore?.symbols);
    const stageParams = { config: options.config, slots: options.predictor.slots, barMinutes };
    this.limits = limits;
    this.stageParams = stageParams;
    const orderMachine = createOrderMachine({ broker: options.broker });
    this.machine = createEngineMachine({
      config: options.config,
      predictor: options.predictor,
      symbolMachine: createSymbolMachine({ params: stageParams, limits, store: this.store }),
      supervisorMachine: createSupervisorMachine({ config: options.config, orderMachine }),
      limits,
      store: this.store,
      initialCash: options.initialCash ?? options.config.paper.initial_cash,
      loadModels: () => this.boot(async () => options.loadModels?.()),
      warmUp: () => this.boot(async () => options.warmUp?.(this)),
      reconcile: () => this.boot(async () => (options.reconcile ? options.reconcile(this) : this.reconcileWithBroker())),
      onCycleCompleted: (event) => this.cycleCompleted(event),
      onEvent: (event) => this.onEvent(event),
      // Any child actor that errors fails the cycle in progress (never a silent hang).
      onActorFailed: (id, error) => this.fail(new StateError('ACTOR_FAILED', `actor ${id} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })),
    });
    this.actor = createActor(this.machine, {
      input: { runId: options.runId, symbols: [...options.symbols] },
      ...(options.restore ? { snapshot: options.restore.engine as never } : {}),
      // Inspection costs an event object per microstep: only when asked (--inspect, tests).
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    this.actor.subscribe({ error: (error) => this.fail(error instanceof Error ? error : new Error(String(error))) });
  }

  /** Boot steps keep their typed error so start() can rethrow it as it was. */
  private async boot(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.bootError = error instanceof Error ? error : new Error(String(error));
      throw this.bootError;
    }
  }

  private fail(error: Error): void {
    this.fatal ??= error;
    this.pending?.reject(this.fatal);
    this.pending = null;
  }

  /** Boot (or reboot a restored tree) through reconciliation to `running`. */
  async start(): Promise<void> {
    const restored = this.actor.getSnapshot().status === 'active' && this.actor.getSnapshot().value !== undefined && this.isRestored();
    this.actor.start();
    if (restored) this.actor.send({ type: 'engine.restarted' });
    await this.waitFor((s) => s.matches('running') || s.matches('paused') || s.status === 'done');
    const snap = this.actor.getSnapshot();
    if (snap.matches('failed')) throw this.bootError ?? new StateError('ENGINE_FAILED', `engine failed to start: ${snap.context.error ?? 'unknown error'}`);
  }

  private isRestored(): boolean {
    return (this.actor.getSnapshot().context as EngineContext).spawned;
  }

  /** Hand a market slice to the symbol actors; a virtual clock moves to the slice time. */
  ingest(slice: MarketSlice): void {
    if (this.clock instanceof VirtualClock) this.clock.set(slice.ts);
    this.actor.send({ type: 'market.sliceReceived', ts: slice.ts, bars: slice.bars, quotes: slice.quotes, cursor: slice.cursor });
  }

  /** Run one cycle at the clock's time; null when the engine is paused or not running. */
  async cycle(): Promise<CycleReport | null> {
    if (this.fatal) throw this.fatal;
    const snap = this.actor.getSnapshot();
    if (!snap.matches({ running: 'idle' })) return null;
    const done = new Promise<CycleReport>((resolve, reject) => (this.pending = { resolve, reject }));
    this.actor.send({ type: 'clock.cycle', ts: this.clock.now() });
    return done;
  }

  /** Take the next slice from the data source and run a cycle on it (the seed's usage). */
  async runCycle(): Promise<CycleResult | null> {
    const slice = await this.nextSlice();
    if (!slice) return null;
    this.ingest(slice);
    const report = await this.cycle();
    return report ? report.result : null;
  }

  /** Next slice of the data source, resuming after the persisted cursor. */
  async nextSlice(): Promise<MarketSlice | null> {
    if (!this.feed) {
      const feed = { buffer: [] as MarketSlice[], done: false, error: null as Error | null, wake: null as (() => void) | null, subscription: null as Subscription | null };
      this.feed = feed;
      feed.subscription = this.dataSource.stream(this.cursor()).subscribe({
        next: (slice) => {
          feed.buffer.push(slice);
          feed.wake?.();
        },
        error: (error) => {
          feed.error = error instanceof Error ? error : new Error(String(error));
          feed.wake?.();
        },
        complete: () => {
          feed.done = true;
          feed.wake?.();
        },
      });
    }
    const feed = this.feed;
    while (feed.buffer.length === 0 && !feed.done && !feed.error) await new Promise<void>((resolve) => (feed.wake = resolve));
    if (feed.buffer.length > 0) return feed.buffer.shift()!;
    if (feed.error) throw feed.error;
    return null;
  }

  cursor(): DataCursor | null {
    return (this.actor.getSnapshot().context as EngineContext).cursor;
  }

  pause(): void {
    this.actor.send({ type: 'engine.pause' });
  }
  resume(): void {
    this.actor.send({ type: 'engine.resume' });
  }
  kill(reason = 'manual'): void {
    this.actor.send({ type: 'engine.kill', reason, ts: this.clock.now() });
  }
  resetKill(): void {
    this.actor.send({ type: 'engine.resetKill', ts: this.clock.now() });
  }

  async stop(): Promise<void> {
    this.feed?.subscription?.unsubscribe();
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'engine.stop' });
    this.actor.stop();
  }

  persistedSnapshot(): unknown {
    return this.actor.getPersistedSnapshot();
  }

  get engineActor(): Actor<EngineMachine> {
    return this.actor;
  }

  supervisorContext(): SupervisorContext {
    return this.actor.system.get('supervisor')!.getSnapshot().context as SupervisorContext;
  }

  symbolState(symbol: string): { value: unknown; context: SymbolContext; state: SymbolState } {
    const snap = this.actor.system.get(`symbol:${symbol}`)!.getSnapshot();
    return { value: snap.value, context: snap.context as SymbolContext, state: this.store.get(symbol) };
  }

  supervisorValue(): { trading: string; cycle: string } {
    return this.actor.system.get('supervisor')!.getSnapshot().value as { trading: string; cycle: string };
  }

  getStateSummary() {
    const snap = this.actor.getSnapshot();
    const context = snap.context as EngineContext;
    const sup = this.supervisorContext();
    const pv = portfolioValue(sup.book);
    const symbols: Record<string, string> = {};
    for (const symbol of this.symbols) symbols[symbol] = String(this.symbolState(symbol).value);
    return {
      status: typeof snap.value === 'string' ? snap.value : JSON.stringify(snap.value),
      cycle: context.cycle,
      lastCycleTs: context.lastCycleTs,
      portfolioValue: pv,
      cash: sup.book.cash,
      positions: Object.values(sup.book.positions).map((p) => ({ symbol: p.symbol, shares: p.shares, avgEntryPrice: p.avgEntryPrice, horizon: p.horizon, openedAtMs: p.openedAtMs })),
      grossExposure: grossExposure(sup.book, pv),
      netExposure: netExposure(sup.book, pv),
      trading: this.supervisorValue().trading,
      killSwitch: sup.risk.killSwitch,
      risk: riskMetrics(sup.risk, pv),
      faults: context.faults,
      symbols,
    };
  }

  /**
   * Startup reconciliation (every boot, fresh or restored): the supervisor's book against the
   * broker's positions, cash and open orders, by reconciliation.mode. strict refuses to trade on
   * a mismatch (start() rejects with RECONCILIATION_MISMATCH), warn logs, sync adopts the broker.
   */
  async reconcileWithBroker(): Promise<void> {
    const book = this.supervisorContext().book;
    const [brokerPositions, account, brokerOpenOrders] = await Promise.all([this.broker.getPositions(), this.broker.getAccount(), this.broker.getOpenOrders()]);
    const knownOpenOrderIds = Object.keys(this.supervisorContext().openOrders);
    const result = reconcile(
      { book, brokerPositions, brokerCash: account.cash, brokerOpenOrders, knownOpenOrderIds, nowMs: this.clock.now(), defaultHorizon: this.config.horizons[this.config.horizons.length - 1] },
      this.config.reconciliation,
    );
    const data = { mode: this.config.reconciliation.mode, action: result.action, mismatches: result.mismatches };
    this.onEvent({ event_type: 'reconciliation', timestamp: this.clock.now(), severity: result.ok ? 'info' : result.action === 'refuse' ? 'error' : 'warning', message: result.ok ? 'reconciled with the broker: books match' : `reconciliation found ${result.mismatches.length} mismatch(es): ${result.mismatches.map((m) => m.detail).join('; ')}`, data });
    throwIfRefused(result);
    if (result.action === 'sync' && result.syncedBook) this.actor.system.get('supervisor')!.send({ type: 'reconciliation.synced', book: result.syncedBook });
  }

  private cycleCompleted(event: CycleCompletedEvent): void {
    const pending = this.pending;
    this.pending = null;
    pending?.resolve({ result: event.result, orders: event.orders, fills: event.fills, events: event.events });
  }

  private waitFor(predicate: (s: ReturnType<Actor<EngineMachine>['getSnapshot']>) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const snap = this.actor.getSnapshot();
        if (predicate(snap)) {
          sub.unsubscribe();
          resolve();
        } else if (snap.status === 'error') {
          sub.unsubscribe();
          reject(snap.error instanceof Error ? snap.error : new Error(String(snap.error)));
        }
      };
      const sub = this.actor.subscribe({ next: check, error: (e) => reject(e instanceof Error ? e : new Error(String(e))) });
      check();
    });
  }
}
