/**
 * actor.stage_walk_floor.<N> (ms): what XState alone costs for one cycle of N symbol actors.
 * The real symbol machine (machines/symbol.machine.ts) with every action replaced by a no-op
 * through `machine.provide()`, so each `clock.cycle` walks the SPEC 3 stages
 * gatingSpread -> predicting -> blending -> arbitrating -> gatingBarrier -> sizing -> proposed
 * (seven eventless microsteps after the event) and does nothing else: no maths, no traces, no
 * supervisor. Whatever a full cycle costs on top of this is ours; this much is the interpreter's.
 * Standalone: `node --import tsx bench/actor-floor.ts [symbols]`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createActor, type AnyActorRef } from 'xstate';
import { defaultConfig } from '../src/config/schema.ts';
import { SymbolStore } from '../src/engine/symbolStore.ts';
import type { CycleInput } from '../src/engine/stages.ts';
import { createSymbolMachine } from '../machines/symbol.machine.ts';
import { summarize, type BenchResult } from './stats.ts';

const WARMUP = 50;
const RUNS = 300;

/** No-op implementations of every action the symbol machine registers (its setup() actions). */
function noopActions(machine: ReturnType<typeof createSymbolMachine>): Record<string, () => void> {
  return Object.fromEntries(Object.keys(machine.implementations.actions).map((name) => [name, () => undefined]));
}

export async function benchActorFloor(symbols = 500): Promise<BenchResult[]> {
  const config = defaultConfig();
  const limits = { maxBars: 64, standardizationWindow: 100, icWindow: 50, blendWindow: 50, barMinutes: 1 };
  const names = Array.from({ length: symbols }, (_, i) => `S${i}`);
  const machine = createSymbolMachine({ params: { config, slots: [], barMinutes: 1 }, limits, store: new SymbolStore(names, [], limits) });
  const floor = machine.provide({ actions: noopActions(machine), guards: { faultRaised: () => false, proposalReady: () => false, gateBlocked: () => false } });
  const actors: AnyActorRef[] = names.map((symbol) => createActor(floor, { input: { symbol } }).start());
  const input = { cycle: 1, ts: 0, pv: 1, position: null, prediction: { ok: true, outputs: {} }, bandit: {} } as unknown as CycleInput;
  const event = { type: 'clock.cycle' as const, input };
  const walk = (): number => {
    const t0 = performance.now();
    for (const actor of actors) actor.send(event);
    return performance.now() - t0;
  };
  for (let i = 0; i < WARMUP; i++) walk();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(walk());
  const value = actors[0].getSnapshot().value;
  if (value !== 'proposed') throw new Error(`actor floor bench: expected the walk to end in proposed, got ${JSON.stringify(value)}`);
  for (const actor of actors) actor.stop();
  return [summarize(`actor.stage_walk_floor.${symbols}`, 'ms', samples)];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchActorFloor(Number(process.argv[2] ?? 500))));
}
