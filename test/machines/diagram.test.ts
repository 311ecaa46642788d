/**
 * Diagrams generated from the machines (SPEC 10): the Mermaid exporter's format on a small machine
 * with every feature, full coverage of each real machine (every state and event appears), and the
 * committed docs/machines files equal a fresh generation, so diagrams cannot drift from the code.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { and, fromPromise, not, setup } from 'xstate';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/run-cli.ts';
import {
  documentedMachines,
  guardLabel,
  handledEvents,
  machineDocFiles,
  stateNodes,
  toMarkdown,
  toMermaid,
  transitionsOf,
} from '../../src/observability/diagram.ts';

const DOCS = fileURLToPath(new URL('../../docs/machines/', import.meta.url));

const demo = setup({ actors: { load: fromPromise(async () => 1) }, guards: { ready: () => true, fresh: () => true } }).createMachine({
  id: 'demo',
  description: 'Demo.',
  initial: 'loading',
  on: { 'demo.reset': '.loading', 'demo.pinged': {} },
  states: {
    loading: { description: 'Load; then run.', invoke: { src: 'load', onDone: 'running', onError: 'failed' } },
    running: {
      description: 'Two regions.',
      type: 'parallel',
      on: { 'demo.stop': 'done' },
      states: {
        feed: {
          description: 'Feed.',
          initial: 'idle',
          states: {
            idle: { description: 'Idle.', on: { 'feed.ticked': { target: 'busy', guard: and(['ready', not('fresh')]) } } },
            busy: { description: 'Busy "now".', always: 'idle' },
          },
        },
        clock: { description: 'Clock.', initial: 'idle', states: { idle: { description: 'Waiting.', on: { 'clock.cycle': {} } } } },
      },
    },
    failed: { description: 'Failed.', type: 'final' },
    done: { description: 'Done.', type: 'final' },
  },
});

const DEMO_MERMAID = `stateDiagram-v2
  state "demo" as demo
  state demo {
    [*] --> loading
    state "loading<br/>Load, then run." as loading
    state "running" as running
    state running {
      state "feed" as running_feed
      state running_feed {
        [*] --> running_feed_idle
        state "idle<br/>Idle." as running_feed_idle
        state "busy<br/>Busy 'now'." as running_feed_busy
        running_feed_idle --> running_feed_busy : feed.ticked [and(ready, not(fresh))]
        running_feed_busy --> running_feed_idle : always
      }
      --
      state "clock" as running_clock
      state running_clock {
        [*] --> running_clock_idle
        state "idle<br/>Waiting." as running_clock_idle
        running_clock_idle --> running_clock_idle : clock.cycle
      }
    }
    state "failed<br/>Failed." as failed
    failed --> [*]
    state "done<br/>Done." as done
    done --> [*]
    loading --> running : done: load
    loading --> failed : error: load
    running --> done : demo.stop
  }
  note right of demo
    in every state of demo:
    demo.reset → loading
    demo.pinged
  end note
`;

describe('toMermaid on a machine with every feature', () => {
  it('writes nesting, parallel regions, initial and final states, guards, always, invoke done/error and notes', () => {
    expect(toMermaid(demo)).toBe(DEMO_MERMAID);
  });

  it('names higher-order guards as written', () => {
    expect(guardLabel('ready')).toBe('ready');
    expect(guardLabel(and(['a', not('b')]))).toBe('and(a, not(b))');
    expect(guardLabel({ type: 'named' })).toBe('named');
    expect(guardLabel(undefined)).toBeNull();
  });

  it('the markdown page holds the mermaid block and one table row per state', () => {
    const md = toMarkdown('demo', demo);
    expect(md).toContain(`\`\`\`mermaid\n${DEMO_MERMAID.trimEnd()}\n\`\`\``);
    expect(md).toContain('| `running.feed.busy` | atomic | Busy "now". |');
    expect(md.match(/^\| `/gm)).toHaveLength(stateNodes(demo).length);
  });
});

describe('generated diagrams of the four machines', () => {
  const machines = documentedMachines();

  it.each(machines.map((m) => [m.name, m] as const))('%s: mentions every state and every event it handles', (_name, { machine }) => {
    const mermaid = toMermaid(machine);
    for (const node of stateNodes(machine)) expect(mermaid, node.key).toContain(`state "${node.key}`);
    for (const node of [machine.root, ...stateNodes(machine)]) {
      for (const event of handledEvents(node).filter((e) => !e.startsWith('xstate.'))) expect(mermaid, event).toContain(event);
      for (const t of transitionsOf(node)) {
        if (t.eventType.startsWith('xstate.done.actor.')) expect(mermaid).toMatch(/ : done: [a-zA-Z]+/);
        if (t.eventType === '') expect(mermaid).toContain(' : always');
      }
    }
  });

  it.each(machines.map((m) => [m.name, m] as const))('%s: Mermaid-safe (no statement breaks, every arrow between declared states)', (_name, { machine }) => {
    const lines = toMermaid(machine).split('\n');
    expect(lines.filter((l) => l.includes(';'))).toEqual([]);
    const declared = new Set(lines.flatMap((l) => /^\s*state (?:"[^"]*" as )?(\w+)/.exec(l)?.slice(1) ?? []));
    for (const line of lines) {
      const edge = /^\s*(\S+) --> (\S+)/.exec(line);
      if (!edge) continue;
      for (const end of edge.slice(1)) if (end !== '[*]') expect(declared.has(end), `${end} in '${line.trim()}'`).toBe(true);
    }
  });

  it('the order page carries the full transition table', () => {
    const order = machineDocFiles('md').find((f) => f.file === 'order.md')!.content;
    expect(order).toContain('## Transition table');
    expect(order).toContain('| `canceled` | - | - | - | canceled | filled | - | - | - | - |');
    expect(order).toContain('| `submitting` | submitted | accepted | rejected | partiallyFilled | filled | - | - | unresolved | - |');
  });
});

describe('committed docs/machines match the machines', () => {
  it.each(machineDocFiles().map((f) => [f.file, f.content] as const))('docs/machines/%s equals a fresh generation (run `live-trading diagram` after changing a machine)', (file, content) => {
    const path = join(DOCS, file);
    expect(existsSync(path), `${path} missing`).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('docs/machines holds nothing else', () => {
    expect(readdirSync(DOCS).sort()).toEqual(machineDocFiles().map((f) => f.file).sort());
  });
});

describe('live-trading diagram', () => {
  const capture = (): CliIo & { out: string; err: string } => {
    const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
    return io;
  };

  it('writes the .mmd and .md of each machine into --out', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lt-diagram-'));
    const io = capture();
    expect(await main(['node', 'live-trading', 'diagram', '--out', out], io)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['engine.md', 'engine.mmd', 'order.md', 'order.mmd', 'supervisor.md', 'supervisor.mmd', 'symbol.md', 'symbol.mmd']);
    expect(readFileSync(join(out, 'order.mmd'), 'utf8')).toBe(readFileSync(join(DOCS, 'order.mmd'), 'utf8'));
    expect(io.out.trim().split('\n')).toHaveLength(8);
  });

  it('--format mermaid writes only the .mmd files', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lt-diagram-'));
    expect(await main(['node', 'live-trading', 'diagram', '--out', out, '--format', 'mermaid'], capture())).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['engine.mmd', 'order.mmd', 'supervisor.mmd', 'symbol.mmd']);
  });

  it('an unknown --format is a usage error (exit 2) with one line', async () => {
    const io = capture();
    expect(await main(['node', 'live-trading', 'diagram', '--out', mkdtempSync(join(tmpdir(), 'lt-diagram-')), '--format', 'svg'], io)).toBe(2);
    expect(io.err).toBe("DIAGRAM_FORMAT: unknown diagram format 'svg' (hint: use --format mermaid or --format md)\n");
  });
});
