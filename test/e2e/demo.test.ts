/**
 * The README's main command: the demo replays bundled real data through the engine with the
 * bundled training run's models. Trades occur and every decision's trace explains itself. A
 * tampered model file stops the run before any trading (never silently missing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, runLive, tempDir } from './run-helpers.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

interface Family { family: string; status: string; raw: number | null; z: number | null; confidence: { confidence: number; icEff: number; freshness: number; capacity: number; stability: number } | null }
interface Decision {
  action: string;
  target_weight: number;
  trace: {
    horizons: { horizon: string; families: Family[]; blendWeights: Record<string, number>; costs: { spreadCost: number; timingCost: number; impactCost: number; totalCost: number; netBps: number; score: number } | null }[];
    spreadGate: { passed: boolean };
    arbitration: { bestHorizon: string; edge: boolean } | null;
    barrier: { gate: number; reason: string } | null;
    sizing: { wRaw: number; targetWeight: number } | null;
    portfolio: { shares: number } | null;
  };
}

describe('the demo (npm start)', () => {
  it('trades on replayed real data with real models, and each trade has a full trace', async () => {
    const logDir = tempDir('demo');
    const r = await runLive(['demo', '--log-dir', logDir], 180_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("models of training run 'demo'");
    expect(r.stdout).toMatch(/trades [1-9]\d* \(long entries [1-9]\d*, short entries [1-9]\d*, exits [1-9]\d*\)/);
    const trades = readJsonl<Decision>(path.join(logDir, 'decisions.jsonl')).filter((d) => d.action === 'TRADE' && d.target_weight !== 0);
    expect(trades.length).toBeGreaterThan(5);
    const families = new Set<string>();
    for (const d of trades) {
      const t = d.trace;
      expect(t.spreadGate.passed).toBe(true);
      expect(t.arbitration?.edge).toBe(true);
      const best = t.horizons.find((h) => h.horizon === t.arbitration!.bestHorizon)!;
      expect(Object.values(best.blendWeights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      for (const f of best.families.filter((x) => x.status === 'ok')) {
        families.add(f.family);
        expect(Number.isFinite(f.raw) && Number.isFinite(f.z)).toBe(true);
        const c = f.confidence!;
        expect(c.confidence).toBeCloseTo(c.icEff * c.freshness * c.capacity * c.stability, 12);
      }
      for (const h of t.horizons.filter((x) => x.costs)) expect(h.costs!.totalCost).toBeCloseTo(h.costs!.spreadCost + h.costs!.timingCost + h.costs!.impactCost, 9);
      expect(t.barrier!.gate).toBeGreaterThan(0);
      expect(Math.abs(t.sizing!.targetWeight)).toBeLessThanOrEqual(Math.abs(t.sizing!.wRaw) + 1e-12);
      expect(t.portfolio!.shares).not.toBe(0);
    }
    expect([...families].sort()).toEqual(['LightGBM', 'MLP', 'XGBoost']);
  }, 200_000);

  it('refuses to trade with a tampered model file, naming the file (checksum)', async () => {
    const root = tempDir('tampered');
    fs.cpSync(path.join(EXAMPLES, 'run'), root, { recursive: true });
    const model = path.join(root, 'runs', 'demo', '20131007T200000Z', 'targets', 'fwd_ret_5m', 'models', 'view=CROSS_SECTIONAL', 'family=XGBoost', 'model.json');
    fs.appendFileSync(model, ' ');
    const logDir = tempDir('tampered-log');
    const r = await runLive(['demo', '--results-root', root, '--log-dir', logDir, '--max-cycles', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CHECKSUM|checksum/);
    expect(r.stderr).toContain('model.json');
    expect(readJsonl(path.join(logDir, 'orders.jsonl'))).toHaveLength(0);
    expect(readJsonl(path.join(logDir, 'decisions.jsonl'))).toHaveLength(0);
  }, 60_000);
});
