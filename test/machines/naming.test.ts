/**
 * Naming conventions (SPEC 3, ARCHITECTURE "Decisions already taken"), checked by walking every
 * machine's StateNode tree: states are camelCase, handled events are `domain.fact` /
 * `domain.verb`, and every state says what it is for in a `description` (the diagrams use it).
 */
import { describe, expect, it } from 'vitest';
import { createMachine, fromPromise, setup, type AnyStateMachine } from 'xstate';
import { ORDER_EVENTS, ORDER_STATES } from '../../machines/order.transitions.ts';
import { documentedMachines, handledEvents, stateNodes } from '../../src/observability/diagram.ts';

const STATE_NAME = /^[a-z][a-zA-Z0-9]*$/;
const EVENT_NAME = /^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/;

/** xstate's own events (invoke done/error, init) and the wildcard are not ours to name. */
const isOwnEvent = (type: string) => type !== '*' && !type.startsWith('xstate.');

/** Every naming problem of a machine, one line each; empty when the machine follows the rules. */
function namingProblems(machine: AnyStateMachine): string[] {
  const problems: string[] = [];
  if (!machine.root.description?.trim()) problems.push(`machine ${machine.id}: no description`);
  for (const node of [machine.root, ...stateNodes(machine)]) {
    const where = `${machine.id}:${node.path.join('.') || '(root)'}`;
    if (node !== machine.root) {
      if (!STATE_NAME.test(node.key)) problems.push(`${where}: state name '${node.key}' is not camelCase`);
      if (!node.description?.trim()) problems.push(`${where}: no description`);
    }
    for (const event of handledEvents(node).filter(isOwnEvent)) {
      if (!EVENT_NAME.test(event)) problems.push(`${where}: event '${event}' is not domain.fact / domain.verb`);
    }
  }
  return problems;
}

/** Machines reachable from `root` through the actors it registers (children spawned by key). */
function machineTree(root: AnyStateMachine): AnyStateMachine[] {
  const found = new Map<string, AnyStateMachine>();
  const visit = (machine: AnyStateMachine) => {
    if (found.has(machine.id)) return;
    found.set(machine.id, machine);
    for (const logic of Object.values(machine.implementations.actors ?? {})) {
      if (logic && typeof logic === 'object' && 'root' in logic) visit(logic as AnyStateMachine);
    }
  };
  visit(root);
  return [...found.values()];
}

const machines = documentedMachines();

describe('naming checker (self-check: it must be able to fail)', () => {
  it('rejects BadState and order_filled as state names and orderFilled, order_filled as event names', () => {
    expect(STATE_NAME.test('BadState')).toBe(false);
    expect(STATE_NAME.test('order_filled')).toBe(false);
    expect(EVENT_NAME.test('orderFilled')).toBe(false);
    expect(EVENT_NAME.test('order_filled')).toBe(false);
    expect(EVENT_NAME.test('Order.filled')).toBe(false);
    expect(EVENT_NAME.test('order.filled.twice')).toBe(false);
    expect(STATE_NAME.test('partiallyFilled')).toBe(true);
    expect(EVENT_NAME.test('order.partiallyFilled')).toBe(true);
  });

  it('finds every bad name and missing description when walking a badly named machine', () => {
    const bad = setup({ actors: { work: fromPromise(async () => 1) } }).createMachine({
      id: 'bad',
      description: 'A machine that breaks every rule.',
      initial: 'BadState',
      states: {
        BadState: { description: 'Capitalised.', on: { orderFilled: 'order_filled' } },
        order_filled: {
          description: 'Snake case.',
          invoke: { src: 'work', onDone: 'fine' },
          on: { 'order_filled.now': 'fine', '*': 'fine' },
        },
        fine: { initial: 'inner', states: { inner: { on: { 'Order.filled': '#bad.BadState' } } } },
      },
    });
    expect(namingProblems(bad)).toEqual([
      "bad:BadState: state name 'BadState' is not camelCase",
      "bad:BadState: event 'orderFilled' is not domain.fact / domain.verb",
      "bad:order_filled: state name 'order_filled' is not camelCase",
      "bad:order_filled: event 'order_filled.now' is not domain.fact / domain.verb",
      'bad:fine: no description',
      'bad:fine.inner: no description',
      "bad:fine.inner: event 'Order.filled' is not domain.fact / domain.verb",
    ]);
  });

  it('reports a machine without a description', () => {
    expect(namingProblems(createMachine({ id: 'bare', initial: 'idle', states: { idle: { description: 'x' } } }))).toEqual(['machine bare: no description']);
  });
});

describe('every machine follows the naming rules', () => {
  it('documents exactly the machines of the engine tree: engine, symbol, supervisor, order', () => {
    expect(machines.map((m) => m.name)).toEqual(['engine', 'symbol', 'supervisor', 'order']);
    const engine = machines.find((m) => m.name === 'engine')!.machine;
    expect(machineTree(engine).map((m) => m.id).sort()).toEqual(['engine', 'order', 'supervisor', 'symbol']);
  });

  it.each(machines.map((m) => [m.name, m.machine] as const))('%s: camelCase states, domain.fact/domain.verb events, a description on every state', (_name, machine) => {
    expect(stateNodes(machine).length).toBeGreaterThan(2);
    expect(namingProblems(machine)).toEqual([]);
  });

  it('the order table itself uses the same conventions', () => {
    for (const state of ORDER_STATES) expect(state).toMatch(STATE_NAME);
    for (const event of ORDER_EVENTS) expect(event).toMatch(EVENT_NAME);
  });
});
