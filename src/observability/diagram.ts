/**
 * Machine diagrams generated from the machines themselves (SPEC 10): `toMermaid` reads an XState
 * v5 machine's `machine.root` StateNode tree and writes a Mermaid `stateDiagram-v2`.
 *
 * Hand-written (~100 lines) because nothing on npm does it: `@xstate/graph` walks paths but emits
 * no Mermaid, and Stately's visualiser is an online page. Mermaid's rules this respects: `;` ends a
 * statement (so it never appears in text), state ids are global (so nested ids are their path),
 * and an edge is written in the block that holds both ends (else Mermaid re-parents the node).
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { Broker } from '../brokers/types.ts';
import { defaultConfig } from '../config/schema.ts';
import { SymbolStore } from '../engine/symbolStore.ts';
import { ScriptedPredictor } from '../engine/scriptedPredictor.ts';
import { createEngineMachine } from '../../machines/engine.machine.ts';
import { createOrderMachine } from '../../machines/order.machine.ts';
import { ORDER_EVENTS, ORDER_STATES, ORDER_TRANSITIONS } from '../../machines/order.transitions.ts';
import { createSupervisorMachine } from '../../machines/supervisor.machine.ts';
import { createSymbolMachine } from '../../machines/symbol.machine.ts';

type Transition = AnyStateNode['always'] extends (infer T)[] | undefined ? T : never;

/** Every state node below the root, depth first in definition order. */
export function stateNodes(machine: AnyStateMachine): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const visit = (node: AnyStateNode) => {
    for (const child of Object.values(node.states) as AnyStateNode[]) {
      out.push(child);
      visit(child);
    }
  };
  visit(machine.root);
  return out;
}

/** Every transition of a node: evented ones (incl. invoke done/error) and eventless `always`. */
export function transitionsOf(node: AnyStateNode): Transition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

/** Event types a node handles itself (not its ancestors), including `xstate.*` and `*`. */
export function handledEvents(node: AnyStateNode): string[] {
  return [...node.transitions.keys()];
}

/** A guard as written: `name`, or `and(a, not(b))` for xstate's higher-order guards. */
export function guardLabel(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const nested = (guard as { guards?: unknown[] }).guards;
    return nested ? `${guard.name}(${nested.map(guardLabel).join(', ')})` : guard.name || 'inline';
  }
  return (guard as { type?: string }).type ?? 'inline';
}

/** Event label: `done: <src>` / `error: <src>` for invoke results, `always` for eventless ones. */
export function eventLabel(t: Transition): string {
  if (t.eventType === '') return 'always';
  if (t.eventType === '*') return '* (any other event)';
  const invoke = /^xstate\.(done|error)\.actor\.(.+)$/.exec(t.eventType);
  if (invoke) {
    const def = t.source.invoke.find((i: { id: string }) => i.id === invoke[2]);
    return `${invoke[1]}: ${typeof def?.src === 'string' ? def.src : invoke[2]}`;
  }
  return t.eventType;
}

function label(t: Transition): string {
  const guard = guardLabel(t.guard);
  return guard ? `${eventLabel(t)} [${guard}]` : eventLabel(t);
}

/** Mermaid-safe text: no statement ends, quotes or tags. */
function text(s: string): string {
  return s.replace(/;/g, ',').replace(/"/g, "'").replace(/</g, '‹').replace(/>/g, '›').replace(/\s+/g, ' ').trim();
}

/** Break a description into lines of about `width` characters for a readable box. */
function wrap(s: string, width = 44): string {
  const lines: string[] = [];
  for (const word of text(s).split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + word.length < width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.join('<br/>');
}

const isAncestor = (a: AnyStateNode, b: AnyStateNode) => a !== b && a.path.every((k: string, i: number) => b.path[i] === k);

/** The node whose block holds an edge between `a` and `b`: their closest common container. */
function blockOf(a: AnyStateNode, b: AnyStateNode): AnyStateNode {
  let block: AnyStateNode = a.parent ?? a;
  while (block.parent && !(isAncestor(block, b) && isAncestor(block, a))) block = block.parent;
  return block;
}

/**
 * Mermaid `stateDiagram-v2` of a machine: one box per state (atomic ones carry their description,
 * compound ones only their name), one arrow per transition labelled `event [guard]`; handlers of a
 * compound state that stay inside it become a note "in every state of <name>".
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as AnyStateNode;
  const id = (node: AnyStateNode) => (node === root ? root.id : node.path.join('_'));
  const edges = new Map<AnyStateNode, string[]>();
  const notes = new Map<AnyStateNode, string[]>();
  const push = (map: Map<AnyStateNode, string[]>, key: AnyStateNode, line: string) => map.set(key, [...(map.get(key) ?? []), line]);

  for (const node of [root, ...stateNodes(machine)]) {
    const atomic = node.type === 'atomic' || node.type === 'final';
    for (const t of transitionsOf(node)) {
      const targets: AnyStateNode[] = t.target?.length ? [...t.target] : [node];
      for (const target of targets) {
        // A box cannot hold an arrow to itself or into itself: those go in a note on the box.
        if (!atomic && (target === node || isAncestor(node, target))) {
          push(notes, node, target === node ? text(label(t)) : `${text(label(t))} → ${target.key}`);
        } else {
          push(edges, blockOf(node, target), `${id(node)} --> ${id(target)} : ${text(label(t))}`);
        }
      }
    }
  }

  const lines: string[] = ['stateDiagram-v2'];
  const emit = (node: AnyStateNode, indent: string) => {
    const children = Object.values(node.states) as AnyStateNode[];
    const inner = `${indent}  `;
    lines.push(`${indent}state "${node.key}" as ${id(node)}`, `${indent}state ${id(node)} {`);
    if (node.type === 'compound') lines.push(`${inner}[*] --> ${id(node.initial.target[0] as AnyStateNode)}`);
    children.forEach((child, i) => {
      if (node.type === 'parallel' && i > 0) lines.push(`${inner}--`);
      if (child.type === 'compound' || child.type === 'parallel') emit(child, inner);
      else lines.push(`${inner}state "${child.key}${child.description ? `<br/>${wrap(child.description)}` : ''}" as ${id(child)}`);
      if (child.type === 'final') lines.push(`${inner}${id(child)} --> [*]`);
    });
    for (const edge of edges.get(node) ?? []) lines.push(`${inner}${edge}`);
    lines.push(`${indent}}`);
    const handled = notes.get(node);
    if (handled) lines.push(`${indent}note right of ${id(node)}`, `${inner}in every state of ${node.key}:`, ...handled.map((h) => `${inner}${h}`), `${indent}end note`);
  };
  emit(root, '  ');
  return `${lines.join('\n')}\n`;
}

/** Markdown page: the diagram, the state descriptions and any extra section. */
export function toMarkdown(name: string, machine: AnyStateMachine, extra = ''): string {
  const rows = stateNodes(machine).map((n) => `| \`${n.path.join('.')}\` | ${n.type} | ${(n.description ?? '').replace(/\|/g, '\\|')} |`);
  return [
    `# ${name} machine`,
    '',
    `<!-- Generated from machines/${name}.machine.ts by \`live-trading diagram\`; do not edit by hand. -->`,
    '',
    machine.root.description ?? '',
    '',
    '```mermaid',
    toMermaid(machine).trimEnd(),
    '```',
    '',
    '## States',
    '',
    '| state | kind | description |',
    '| --- | --- | --- |',
    ...rows,
    '',
    ...(extra ? [extra.trimEnd(), ''] : []),
  ].join('\n');
}

/** ORDER_TRANSITIONS as a table: each cell is the next state; `-` means refused and recorded. */
export function orderTransitionTable(): string {
  const header = `| state | ${ORDER_EVENTS.map((e) => `\`${e}\``).join(' | ')} |`;
  const rule = `| --- | ${ORDER_EVENTS.map(() => '---').join(' | ')} |`;
  const rows = ORDER_STATES.map((s) => `| \`${s}\` | ${ORDER_EVENTS.map((e) => ORDER_TRANSITIONS[s][e] ?? '-').join(' | ')} |`);
  return ['## Transition table', '', 'Generated from `machines/order.transitions.ts`: each cell is the next state; `-` is refused (the state stays and the pair is appended to `context.refused`).', '', header, rule, ...rows].join('\n');
}

/** A broker for building machines only: diagrams never start an actor, so nothing is called. */
const inertBroker: Broker = new Proxy({ name: 'paper' } as Broker, {
  get: (target, key) => (key in target ? target[key as keyof Broker] : () => Promise.reject(new Error('diagram-only broker'))),
});

export interface DocumentedMachine {
  name: 'engine' | 'symbol' | 'supervisor' | 'order';
  machine: AnyStateMachine;
  extra: string;
}

/** The four machines built through their factories with inert dependencies (default config). */
export function documentedMachines(): DocumentedMachine[] {
  const config = defaultConfig();
  const predictor = new ScriptedPredictor({ horizons: config.horizons });
  const limits = { maxBars: 64, standardizationWindow: 20, icWindow: 20, blendWindow: 20, barMinutes: 1 };
  const order = createOrderMachine({ broker: inertBroker });
  const store = new SymbolStore([], predictor.slots, limits);
  const symbol = createSymbolMachine({ params: { config, slots: predictor.slots, barMinutes: 1 }, limits, store });
  const supervisor = createSupervisorMachine({ config, orderMachine: order });
  const noop = async () => {};
  const engine = createEngineMachine({
    config, predictor, symbolMachine: symbol, supervisorMachine: supervisor, limits, store, initialCash: config.paper.initial_cash,
    loadModels: noop, warmUp: noop, reconcile: noop, onCycleCompleted: () => {}, onEvent: () => {}, onActorFailed: () => {},
  });
  return [
    { name: 'engine', machine: engine, extra: '' },
    { name: 'symbol', machine: symbol, extra: '' },
    { name: 'supervisor', machine: supervisor, extra: '' },
    // The order states are built from the table and typed `never` in the factory, hence the cast.
    { name: 'order', machine: order as unknown as AnyStateMachine, extra: orderTransitionTable() },
  ];
}

/** Files of docs/machines: `<name>.mmd` and/or `<name>.md`, paths relative to the output dir. */
export function machineDocFiles(format: 'mermaid' | 'md' | 'both' = 'both'): { file: string; content: string }[] {
  return documentedMachines().flatMap(({ name, machine, extra }) => [
    ...(format !== 'md' ? [{ file: `${name}.mmd`, content: toMermaid(machine) }] : []),
    ...(format !== 'mermaid' ? [{ file: `${name}.md`, content: toMarkdown(name, machine, extra) }] : []),
  ]);
}
