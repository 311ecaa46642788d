/**
 * The CLI on one day of real replayed data for 4 symbols (scripted predictor, paper broker), as a
 * user runs it: exit 0, one decision per symbol per cycle, fills that follow the paper formula,
 * books that add up, longs, shorts and exits, and byte-identical journals on a second run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runLive, SHARED_LEAN, tempDir } from './run-helpers.ts';

const SYMBOLS = ['SPY', 'AIG', 'BAC', 'IBM'];
const args = (logDir: string) => ['run', '--dry-run', '--data', 'replay', '--data-dir', SHARED_LEAN, '--symbols', SYMBOLS.join(','), '--start', '2013-10-08', '--end', '2013-10-08', '--log-dir', logDir, '--no-state', '--log-level', 'warn'];

interface Decision { cycle: number; symbol: string; action: string; shares: number; target_weight: number; trace: { spreadGate: { bid: number; ask: number } } }
interface Fill { cycle: number; symbol: string; side: 'buy' | 'sell'; qty: number; price: number; fee: number; client_order_id: string }

describe('live-trading run on a replayed real day', () => {
  const dirA = tempDir('runA');
  const dirB = tempDir('runB');
  let stdout = '';
  let code = -1;

  beforeAll(async () => {
    const [a, b] = await Promise.all([runLive(args(dirA)), runLive(args(dirB))]);
    stdout = a.stdout;
    code = a.code;
    expect(a.stderr).toBe('');
    expect(b.code).toBe(0);
  }, 180_000);

  it('exits 0 and prints a line per cycle and a summary', () => {
    expect(code).toBe(0);
    expect(stdout).toMatch(/^cycle +1 2013-10-08T13:31:00.000Z PV 100000.00/m);
    expect(stdout).toContain('── summary ──');
    expect(stdout).toMatch(/trades \d+ \(long entries [1-9]\d*, short entries [1-9]\d*, exits [1-9]\d*\)/);
  });

  it('journals one decision per symbol per cycle', () => {
    const decisions = readJsonl<Decision>(path.join(dirA, 'decisions.jsonl'));
    const cycles = new Map<number, string[]>();
    for (const d of decisions) cycles.set(d.cycle, [...(cycles.get(d.cycle) ?? []), d.symbol]);
    expect(cycles.size).toBeGreaterThan(380);
    for (const symbols of cycles.values()) expect(symbols).toEqual(SYMBOLS);
  });

  it('fills every order at the paper formula and the books add up to the reported value', () => {
    const decisions = readJsonl<Decision>(path.join(dirA, 'decisions.jsonl'));
    const fills = readJsonl<Fill>(path.join(dirA, 'fills.jsonl'));
    const orders = readJsonl<{ client_order_id: string; state: string }>(path.join(dirA, 'orders.jsonl'));
    expect(fills.length).toBeGreaterThan(10);
    expect(orders.every((o) => o.state === 'filled')).toBe(true);
    const quoteOf = new Map(decisions.map((d) => [`${d.cycle}|${d.symbol}`, d.trace.spreadGate]));
    let cash = 100_000;
    const shares = new Map<string, number>();
    for (const f of fills) {
      const q = quoteOf.get(`${f.cycle}|${f.symbol}`)!;
      const expected = f.side === 'buy' ? q.ask * (1 + 5 / 1e4) : q.bid * (1 - 5 / 1e4);
      expect(Math.abs(f.price - expected) / expected).toBeLessThan(1e-12);
      expect(Math.abs(f.fee - f.qty * f.price * 1e-4)).toBeLessThan(1e-9);
      cash += f.side === 'buy' ? -f.qty * f.price - f.fee : f.qty * f.price - f.fee;
      shares.set(f.symbol, (shares.get(f.symbol) ?? 0) + (f.side === 'buy' ? f.qty : -f.qty));
    }
    const summary = JSON.parse(fs.readFileSync(path.join(dirA, 'summary.json'), 'utf8'));
    expect(Math.abs(summary.cash - cash)).toBeLessThan(1e-6);
    let value = summary.cash;
    for (const p of summary.positions) {
      expect(p.shares).toBe(shares.get(p.symbol));
      value += p.shares * p.mark;
    }
    expect(Math.abs(value - summary.final_value)).toBeLessThan(1e-6);
  });

  it('trades both ways and exits', () => {
    const decisions = readJsonl<Decision>(path.join(dirA, 'decisions.jsonl'));
    const trades = decisions.filter((d) => d.action === 'TRADE');
    expect(trades.some((d) => d.target_weight < 0 && d.shares < 0)).toBe(true);
    expect(trades.some((d) => d.target_weight > 0 && d.shares > 0)).toBe(true);
    expect(trades.some((d) => d.target_weight === 0)).toBe(true);
  });

  it('is deterministic: a second run gives byte-identical journals', () => {
    for (const name of ['decisions.jsonl', 'orders.jsonl', 'fills.jsonl']) {
      const a = fs.readFileSync(path.join(dirA, name));
      const b = fs.readFileSync(path.join(dirB, name));
      expect(a.length).toBeGreaterThan(0);
      expect(a.equals(b), name).toBe(true);
    }
  });
});
