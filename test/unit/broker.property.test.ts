import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../src/brokers/index.ts';
import { VirtualClock } from '../../src/core/clock.ts';
import type { Quote } from '../../src/core/types.ts';

const SYMBOLS = ['AAA', 'BBB', 'CCC'] as const;

const stepArb = fc.record({
  symbol: fc.constantFrom(...SYMBOLS),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  qty: fc.integer({ min: 1, max: 400 }),
  mid: fc.double({ min: 1, max: 1000, noNaN: true }),
  spreadBps: fc.double({ min: 0, max: 50, noNaN: true }),
});

describe('PaperBroker accounting invariants (property)', () => {
  it('cash + sum(qty*mid) = initialCash + realised + unrealised - fees, and qty = sum of signed fills', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        async (steps, slippageBps, feeBps) => {
          const book = new Map<string, Quote>();
          const clock = new VirtualClock(0);
          const initialCash = 100_000;
          const broker = new PaperBroker({
            initialCash, slippageBps, feeBps, allowShort: true, clock, quotes: (s) => book.get(s) ?? null,
          });
          const signedFilled = new Map<string, number>();
          let i = 0;
          for (const step of steps) {
            clock.advance(1000);
            const half = (step.mid * step.spreadBps) / 2e4;
            book.set(step.symbol, { symbol: step.symbol, ts: clock.now(), bid: step.mid - half, ask: step.mid + half, bidSize: 1, askSize: 1 });
            const r = await broker.submitOrder({
              clientOrderId: `p-${i++}`, symbol: step.symbol, side: step.side, qty: step.qty,
              type: 'market', timeInForce: 'day', tsMs: clock.now(),
            });
            // Some large orders are refused for buying power; those must change nothing.
            if (r.outcome === 'accepted') {
              for (const f of r.fills) {
                signedFilled.set(f.symbol, (signedFilled.get(f.symbol) ?? 0) + (f.side === 'buy' ? f.qty : -f.qty));
              }
            } else {
              expect(r.outcome === 'rejected' && r.code).toBe('INSUFFICIENT_BUYING_POWER');
            }
          }
          const mids = (s: string) => { const q = book.get(s)!; return (q.bid + q.ask) / 2; };
          const positions = await broker.getPositions();
          const unrealised = positions.reduce((sum, p) => sum + p.qty * (mids(p.symbol) - p.avgEntryPrice), 0);
          const { cash, positionsValue, equity } = broker.markToMarket();
          const lhs = cash + positions.reduce((sum, p) => sum + p.qty * mids(p.symbol), 0);
          const rhs = initialCash + broker.realisedPnl() + unrealised - broker.feesPaid();
          expect(Math.abs(lhs - rhs)).toBeLessThan(1e-6 * Math.max(1, Math.abs(rhs)));
          expect(Math.abs(cash + positionsValue - equity)).toBeLessThan(1e-9 * Math.max(1, Math.abs(equity)));
          for (const symbol of SYMBOLS) {
            const qty = positions.find((p) => p.symbol === symbol)?.qty ?? 0;
            expect(qty).toBe(signedFilled.get(symbol) ?? 0);
          }
          expect(Number.isFinite(cash)).toBe(true);
        },
      ),
      { numRuns: 300, seed: 20240607 },
    );
  });
});
