/**
 * Bad input gives one clear line (naming the input, with a hint) and never an order on bad data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, runLive, SHARED_LEAN, tempDir } from './run-helpers.ts';

const base = (dataDir: string, symbols: string, logDir: string) => ['run', '--dry-run', '--data', 'replay', '--data-dir', dataDir, '--symbols', symbols, '--start', '2013-10-08', '--end', '2013-10-08', '--log-dir', logDir, '--no-state', '--log-level', 'error'];

/** A private copy of one real SPY day whose files a test may damage. */
function spyDay(): string {
  const dir = tempDir('data');
  const target = path.join(dir, 'minute', 'spy');
  fs.mkdirSync(target, { recursive: true });
  for (const kind of ['trade', 'quote']) fs.copyFileSync(path.join(SHARED_LEAN, 'minute', 'spy', `20131008_spy_minute_${kind}.csv`), path.join(target, `20131008_spy_minute_${kind}.csv`));
  return dir;
}

describe('bad input on the run command', () => {
  it('an unknown symbol: one line naming it and the data directory, exit 1, nothing traded', async () => {
    const logDir = tempDir('bad-sym');
    const r = await runLive(base(SHARED_LEAN, 'SPY,ZZZZ', logDir));
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/UNKNOWN_SYMBOL.*ZZZZ/);
    expect(lines[0]).toContain(SHARED_LEAN);
    expect(readJsonl(path.join(logDir, 'orders.jsonl'))).toHaveLength(0);
  });

  it('an empty data directory: one line naming it with a hint', async () => {
    const empty = tempDir('empty');
    const r = await runLive(base(empty, 'SPY', tempDir('log')));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/NO_DATA.*hint/);
    expect(r.stderr).toContain(empty);
  });

  it('an unknown broker or missing model run is a usage error (exit 2)', async () => {
    const r = await runLive(['run', '--broker', 'ibkr', '--dry-run', '--max-cycles', '1', '--log-dir', tempDir('log'), '--no-state']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ibkr is not available yet.*hint: use --broker paper/);
    const noModels = await runLive(['run', '--max-cycles', '1', '--log-dir', tempDir('log'), '--no-state']);
    expect(noModels.code).toBe(2);
    expect(noModels.stderr).toMatch(/NO_MODELS.*--dry-run/);
  });

  it('corrupt CSV rows and a crossed quote are counted, logged and skipped; no order is priced on them', async () => {
    const dir = spyDay();
    const trade = path.join(dir, 'minute', 'spy', '20131008_spy_minute_trade.csv');
    const quote = path.join(dir, 'minute', 'spy', '20131008_spy_minute_quote.csv');
    const tradeLines = fs.readFileSync(trade, 'utf8').split('\n');
    const quoteLines = fs.readFileSync(quote, 'utf8').split('\n');
    // 10:00 ET bar start = 36,000,000 ms: a NaN close, then a crossed quote a few minutes later.
    const ti = tradeLines.findIndex((l) => l.startsWith('36000000,'));
    tradeLines[ti] = tradeLines[ti].replace(/^(\d+,\d+,\d+,\d+),\d+/, '$1,NaN');
    const qi = quoteLines.findIndex((l) => l.startsWith('36300000,'));
    const q = quoteLines[qi].split(',');
    q[4] = String(Number(q[9]) + 5000); // bid close above ask close: crossed by 50 cents
    quoteLines[qi] = q.join(',');
    fs.writeFileSync(trade, tradeLines.join('\n'));
    fs.writeFileSync(quote, quoteLines.join('\n'));
    const logDir = tempDir('corrupt');
    const r = await runLive([...base(dir, 'SPY', logDir), '--log-level', 'debug']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bad data rows skipped \d+ \(.*crossed_quote 1.*not_numeric 1/);
    const log = fs.readFileSync(path.join(logDir, 'live-trading.log'), 'utf8');
    expect(log).toMatch(/"line":\d+,"reason":"not_numeric"/);
    expect(log).toMatch(/"reason":"crossed_quote"/);
    const decisions = readJsonl<{ ts: string; trace: { spreadGate: { bid: number | null; ask: number | null } } }>(path.join(logDir, 'decisions.jsonl'));
    // No decision ever saw the crossed quote, and the NaN bar never reached a symbol actor.
    for (const d of decisions) {
      const g = d.trace.spreadGate;
      if (g.bid !== null && g.ask !== null) expect(g.bid).toBeLessThanOrEqual(g.ask);
    }
    expect(decisions.some((d) => d.ts === '2013-10-08T14:01:00.000Z')).toBe(false);
    const fills = readJsonl<{ price: number }>(path.join(logDir, 'fills.jsonl'));
    for (const f of fills) expect(Number.isFinite(f.price) && f.price > 0).toBe(true);
  });
});

describe('--inspect', () => {
  it('streams the stage walk of every symbol actor as JSON lines', async () => {
    const logDir = tempDir('inspect');
    const r = await runLive(['run', '--dry-run', '--data', 'simulated', '--symbols', 'AAA,BBB', '--bars', '30', '--log-dir', logDir, '--no-state', '--inspect', '--log-level', 'error']);
    expect(r.code, r.stderr).toBe(0);
    const lines = readJsonl<{ type: string; actor: string; value: unknown }>(path.join(logDir, 'inspect.jsonl'));
    const walk = lines.filter((l) => l.type === 'microstep' && l.actor === 'symbol:AAA').map((l) => l.value);
    const last = walk.lastIndexOf('gatingSpread');
    expect(walk.slice(last, last + 7)).toEqual(['gatingSpread', 'predicting', 'blending', 'arbitrating', 'gatingBarrier', 'sizing', 'proposed']);
    expect(lines.some((l) => l.actor === 'supervisor')).toBe(true);
  });
});
