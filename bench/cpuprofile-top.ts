/**
 * Summarises a V8 .cpuprofile: the top self-time functions and self time grouped by area
 * (GC, xstate, pipeline maths, engine glue, machines, Node internals). Usage:
 *   node --import tsx bench/cycle.ts --symbols 500 --profile /tmp/cycle500.cpuprofile
 *   node --import tsx bench/cpuprofile-top.ts /tmp/cycle500.cpuprofile [top=15]
 * (or any `node --cpu-prof` output).
 * With several files (tsx's loader thread writes a second, tiny one) the largest is used.
 * Line numbers are omitted: under tsx V8 reports positions in the compiled code.
 */
import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  key: string;
  area: string;
  ms: number;
  share: number;
}

/** Where a frame belongs, for the by-area roll-up. */
export function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(idle)') return name;
  if (url.includes('/node_modules/xstate/')) return 'xstate';
  if (url.includes('/node_modules/rxjs/')) return 'rxjs';
  if (url.includes('/node_modules/')) return 'other node_modules';
  if (url.includes('/src/pipeline/')) return 'src/pipeline (maths)';
  if (url.includes('/src/engine/')) return 'src/engine (stages, state, predictor)';
  if (url.includes('/machines/')) return 'machines (actions, guards)';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.includes('/src/')) return 'src/other';
  if (url.startsWith('node:') || url === '') return 'node internals / builtins';
  return 'other';
}

export function selfTimes(profile: CpuProfile): { total: number; rows: SelfTime[]; areas: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { area: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/(src|machines|bench|node_modules)\//, '$1/');
    const key = `${functionName || '(anonymous)'}  ${file}`;
    const entry = selfUs.get(key) ?? { area: areaOf(url, functionName), us: 0 };
    entry.us += profile.timeDeltas[i] ?? 0;
    selfUs.set(key, entry);
    total += profile.timeDeltas[i] ?? 0;
  });
  const rows = [...selfUs].map(([key, e]) => ({ key, area: e.area, ms: e.us / 1000, share: e.us / total })).sort((a, b) => b.ms - a.ms);
  const areaUs = new Map<string, number>();
  for (const r of rows) areaUs.set(r.area, (areaUs.get(r.area) ?? 0) + r.ms);
  const areas = [...areaUs].map(([area, ms]) => ({ key: area, area, ms, share: ms / (total / 1000) })).sort((a, b) => b.ms - a.ms);
  return { total: total / 1000, rows, areas };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2).filter((a) => a.endsWith('.cpuprofile'));
  const top = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);
  if (files.length === 0) throw new Error('usage: bench/cpuprofile-top.ts <file.cpuprofile>... [top]');
  const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const { total, rows, areas } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const pct = (s: number): string => `${(100 * s).toFixed(1).padStart(5)} %`;
  console.log(`${file}: ${total.toFixed(0)} ms sampled\n\ntop ${top} self time:`);
  for (const r of rows.slice(0, top)) console.log(`${r.ms.toFixed(0).padStart(7)} ms ${pct(r.share)}  ${r.key}`);
  console.log('\nby area:');
  for (const a of areas) console.log(`${a.ms.toFixed(0).padStart(7)} ms ${pct(a.share)}  ${a.area}`);
}
