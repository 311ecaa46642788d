import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BrokerOrder, BrokerPosition } from '../../src/brokers/types.ts';
import { BrokerError, ConfigError, LiveTradingError, StateError } from '../../src/core/errors.ts';
import type { Book, BookPosition } from '../../src/engine/book.ts';
import { reconcile, type ReconcileInput, type ReconcileParams } from '../../src/reconcile/reconcile.ts';
import { ReconciliationError, throwIfRefused } from '../../src/reconcile/errors.ts';

const NOW = Date.UTC(2024, 2, 15, 14, 30);
const OPENED = Date.UTC(2024, 2, 14, 15, 0);

function position(symbol: string, shares: number, avgEntryPrice: number, extra: Partial<BookPosition> = {}): BookPosition {
  return { symbol, shares, avgEntryPrice, openedAtMs: OPENED, horizon: '60m', entryNotional: Math.abs(shares) * avgEntryPrice, realisedPnl: 12.5, fees: 0.75, ...extra };
}

function book(cash: number, positions: BookPosition[]): Book {
  return { cash, positions: Object.fromEntries(positions.map((p) => [p.symbol, p])), marks: { SPY: 451, QQQ: 390 }, feesPaid: 3.25, realisedPnl: 40 };
}

function order(clientOrderId: string, status: BrokerOrder['status'] = 'accepted', symbol = 'SPY'): BrokerOrder {
  return { clientOrderId, brokerOrderId: `b-${clientOrderId}`, symbol, side: 'buy', qty: 5, filledQty: 0, avgFillPrice: null, status, submittedAtMs: NOW - 1000, updatedAtMs: NOW - 1000 };
}

const ENGINE = book(50_000, [position('SPY', 10, 450), position('QQQ', -20, 380)]);
const BROKER: BrokerPosition[] = [
  { symbol: 'QQQ', qty: -20, avgEntryPrice: 380 },
  { symbol: 'SPY', qty: 10, avgEntryPrice: 450 },
];

function input(over: Partial<ReconcileInput> = {}): ReconcileInput {
  return { book: ENGINE, brokerPositions: BROKER, brokerCash: 50_000, brokerOpenOrders: [order('run-3-SPY-0')], knownOpenOrderIds: ['run-3-SPY-0'], nowMs: NOW, defaultHorizon: '1d', ...over };
}

const params = (mode: ReconcileParams['mode'], qty_tolerance = 0.01, cash_tolerance = 1.0): ReconcileParams => ({ mode, qty_tolerance, cash_tolerance });
const MODES = ['strict', 'warn', 'sync'] as const;

describe('reconcile: engine and broker agree', () => {
  for (const mode of MODES) {
    it(`reports ok with action none and no synced book in ${mode} mode`, () => {
      expect(reconcile(input(), params(mode))).toEqual({ ok: true, mismatches: [], action: 'none', syncedBook: null });
    });
  }

  it('ignores average entry prices (brokers compute them differently) and broker order ordering', () => {
    const brokerPositions = [{ symbol: 'SPY', qty: 10, avgEntryPrice: 449.2 }, { symbol: 'QQQ', qty: -20, avgEntryPrice: 381 }];
    expect(reconcile(input({ brokerPositions }), params('strict')).ok).toBe(true);
  });
});

describe('reconcile: tolerances at the boundary', () => {
  it('passes a share difference exactly at qty_tolerance (0.31 vs 0.30 with 0.01, despite float rounding) and flags one just above', () => {
    const engine = book(50_000, [position('SPY', 0.3, 450)]);
    const at = reconcile(input({ book: engine, brokerPositions: [{ symbol: 'SPY', qty: 0.31, avgEntryPrice: 450 }], brokerOpenOrders: [], knownOpenOrderIds: [] }), params('strict'));
    expect(at.ok).toBe(true);
    const above = reconcile(input({ book: engine, brokerPositions: [{ symbol: 'SPY', qty: 0.3101, avgEntryPrice: 450 }], brokerOpenOrders: [], knownOpenOrderIds: [] }), params('strict'));
    expect(above.mismatches).toEqual([expect.objectContaining({ kind: 'position', symbol: 'SPY', engine: 0.3, broker: 0.3101 })]);
  });

  it('passes cash 1.00 apart with cash_tolerance 1.0 and flags 1.01 apart, in either direction', () => {
    expect(reconcile(input({ brokerCash: 50_001 }), params('strict')).ok).toBe(true);
    expect(reconcile(input({ brokerCash: 49_999 }), params('strict')).ok).toBe(true);
    const over = reconcile(input({ brokerCash: 49_998.99 }), params('strict'));
    expect(over.mismatches).toEqual([{ kind: 'cash', engine: 50_000, broker: 49_998.99, detail: 'cash: engine 50000, broker 49998.99 (differ by 1.01; tolerance 1)' }]);
  });

  it('with zero tolerance flags any whole-share difference', () => {
    const result = reconcile(input({ brokerPositions: [BROKER[0]!, { symbol: 'SPY', qty: 11, avgEntryPrice: 450 }] }), params('strict', 0, 0));
    expect(result.mismatches.map((m) => [m.symbol, m.engine, m.broker])).toEqual([['SPY', 10, 11]]);
  });

  it('treats a symbol on one side only as 0 shares on the other (null in the report), inside the tolerance too', () => {
    const brokerPositions = [...BROKER, { symbol: 'AAPL', qty: 3, avgEntryPrice: 170 }, { symbol: 'IWM', qty: 0.004, avgEntryPrice: 200 }];
    const result = reconcile(input({ brokerPositions }), params('strict'));
    expect(result.mismatches).toEqual([
      { kind: 'position', symbol: 'AAPL', engine: null, broker: 3, detail: 'AAPL shares: engine none, broker 3 (only the broker holds it; tolerance 0.01)' },
    ]);
  });
});

describe('reconcile: mismatching positions, cash and orders', () => {
  const bad = () =>
    input({
      brokerPositions: [{ symbol: 'SPY', qty: 12, avgEntryPrice: 451 }, { symbol: 'MSFT', qty: 4, avgEntryPrice: 410 }],
      brokerCash: 48_000,
      brokerOpenOrders: [order('manual-1', 'accepted', 'MSFT'), order('run-3-SPY-0', 'partially_filled'), order('old-9', 'filled')],
      knownOpenOrderIds: ['run-3-SPY-0', 'run-3-QQQ-1'],
    });

  it('lists every mismatch in a fixed order: positions by symbol, cash, unknown orders, missing orders', () => {
    const result = reconcile(bad(), params('warn'));
    expect(result.ok).toBe(false);
    expect(result.mismatches.map((m) => [m.kind, m.symbol ?? null, m.engine, m.broker])).toEqual([
      ['position', 'MSFT', null, 4],
      ['position', 'QQQ', -20, null],
      ['position', 'SPY', 10, 12],
      ['cash', null, 50_000, 48_000],
      ['unknown_open_order', 'MSFT', null, 'manual-1'],
      ['missing_open_order', null, 'run-3-QQQ-1', null],
    ]);
    // A filled order in the broker's "open" list is not open: neither unknown nor matching.
    expect(result.mismatches.some((m) => m.broker === 'old-9')).toBe(false);
  });

  it('strict: action refuse, no synced book, and throwIfRefused raises a one-line RECONCILIATION_MISMATCH naming each mismatch and hinting warn|sync', () => {
    const result = reconcile(bad(), params('strict'));
    expect(result.action).toBe('refuse');
    expect(result.syncedBook).toBeNull();
    let error: unknown;
    try {
      throwIfRefused(result);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ReconciliationError);
    expect(error).toBeInstanceOf(LiveTradingError);
    const e = error as ReconciliationError;
    expect(e.code).toBe('RECONCILIATION_MISMATCH');
    expect(e.mismatches).toHaveLength(6);
    const line = e.toLine();
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^RECONCILIATION_MISMATCH: engine and broker disagree \(6 mismatches\), refusing to trade: MSFT shares: engine none, broker 4/);
    for (const part of ['QQQ shares: engine -20, broker none', 'SPY shares: engine 10, broker 12', 'cash: engine 50000, broker 48000', 'manual-1', 'run-3-QQQ-1']) expect(line).toContain(part);
    expect(line).toContain('reconciliation.mode: warn');
    expect(line).toContain('sync');
  });

  it('warn: action warn, trades on the engine view (no synced book), throwIfRefused lets it through', () => {
    const result = reconcile(bad(), params('warn'));
    expect(result.action).toBe('warn');
    expect(result.syncedBook).toBeNull();
    expect(throwIfRefused(result)).toBe(result);
  });

  it('sync: adopts the broker positions and cash, keeps metadata of same-side positions, opens new ones now on the default horizon', () => {
    const before = structuredClone(bad().book);
    const result = reconcile(bad(), params('sync'));
    expect(result.action).toBe('sync');
    expect(result.syncedBook).toEqual({
      cash: 48_000,
      positions: {
        // Broker-only: opened now, on the default horizon, no history.
        MSFT: { symbol: 'MSFT', shares: 4, avgEntryPrice: 410, openedAtMs: NOW, horizon: '1d', entryNotional: 1640, realisedPnl: 0, fees: 0 },
        // Same side, different size: the broker's qty and price, the engine's opening time, horizon and running P&L.
        SPY: { symbol: 'SPY', shares: 12, avgEntryPrice: 451, openedAtMs: OPENED, horizon: '60m', entryNotional: 5412, realisedPnl: 12.5, fees: 0.75 },
      },
      marks: { SPY: 451, QQQ: 390 },
      feesPaid: 3.25,
      realisedPnl: 40,
    });
    expect(bad().book).toEqual(before); // the input book is not modified
    expect(result.syncedBook!.positions).not.toHaveProperty('QQQ');
  });

  it('sync: a position whose side flipped at the broker is a new position; an unchanged one keeps its entry notional', () => {
    const engine = book(1000, [position('SPY', 10, 450, { entryNotional: 4400 }), position('QQQ', -20, 380)]);
    const brokerPositions = [{ symbol: 'SPY', qty: 10, avgEntryPrice: 450 }, { symbol: 'QQQ', qty: 5, avgEntryPrice: 391 }];
    const synced = reconcile(input({ book: engine, brokerPositions, brokerCash: 1000 }), params('sync')).syncedBook!;
    expect(synced.positions.QQQ).toEqual({ symbol: 'QQQ', shares: 5, avgEntryPrice: 391, openedAtMs: NOW, horizon: '1d', entryNotional: 1955, realisedPnl: 0, fees: 0 });
    expect(synced.positions.SPY).toEqual(position('SPY', 10, 450, { entryNotional: 4400 }));
  });

  it('sync with only order mismatches still returns a synced book (positions and cash as before) and leaves orders to the caller', () => {
    const result = reconcile(input({ brokerOpenOrders: [], knownOpenOrderIds: ['run-3-SPY-0'] }), params('sync'));
    expect(result.mismatches.map((m) => m.kind)).toEqual(['missing_open_order']);
    expect(result.syncedBook).toEqual(ENGINE);
  });

  it('a synced book reconciles cleanly against the same broker view (property)', () => {
    const symbol = fc.constantFrom('AAPL', 'DIA', 'IWM', 'MSFT', 'QQQ', 'SPY');
    const shares = fc.integer({ min: -500, max: 500 }).filter((q) => q !== 0);
    const price = fc.double({ min: 1, max: 1000, noNaN: true });
    const side = fc.uniqueArray(fc.record({ symbol, shares, price }), { selector: (p) => p.symbol, maxLength: 6 });
    fc.assert(
      fc.property(side, side, fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (mine, theirs, cash, brokerCash) => {
        const engine = book(cash, mine.map((p) => position(p.symbol, p.shares, p.price)));
        const brokerPositions = theirs.map((p) => ({ symbol: p.symbol, qty: p.shares, avgEntryPrice: p.price }));
        const first = reconcile(input({ book: engine, brokerPositions, brokerCash, brokerOpenOrders: [], knownOpenOrderIds: [] }), params('sync', 0, 0));
        const after = reconcile(input({ book: first.syncedBook ?? engine, brokerPositions, brokerCash, brokerOpenOrders: [], knownOpenOrderIds: [] }), params('strict', 0, 0));
        expect(after.ok).toBe(true);
      }),
      { numRuns: 300, seed: 20240315 },
    );
  });
});

describe('reconcile: bad numbers are typed errors, never a silent pass', () => {
  const cases: [string, Partial<ReconcileInput>, new (...args: never[]) => LiveTradingError, string][] = [
    ['a NaN broker quantity', { brokerPositions: [{ symbol: 'SPY', qty: Number.NaN, avgEntryPrice: 450 }] }, BrokerError, 'BROKER_BAD_DATA'],
    ['a zero broker entry price', { brokerPositions: [{ symbol: 'SPY', qty: 10, avgEntryPrice: 0 }] }, BrokerError, 'BROKER_BAD_DATA'],
    ['a symbol reported twice', { brokerPositions: [BROKER[1]!, BROKER[1]!] }, BrokerError, 'BROKER_BAD_DATA'],
    ['infinite broker cash', { brokerCash: Number.POSITIVE_INFINITY }, BrokerError, 'BROKER_BAD_DATA'],
    ['NaN shares in the engine book', { book: book(50_000, [position('SPY', Number.NaN, 450)]) }, StateError, 'RECONCILIATION_BAD_BOOK'],
    ['NaN engine cash', { book: book(Number.NaN, []) }, StateError, 'RECONCILIATION_BAD_BOOK'],
  ];
  for (const [what, over, type, code] of cases) {
    it(`throws ${code} for ${what}`, () => {
      expect(() => reconcile(input(over), params('warn'))).toThrow(type);
      try {
        reconcile(input(over), params('warn'));
      } catch (err) {
        expect((err as LiveTradingError).code).toBe(code);
      }
    });
  }

  it('refuses a negative or NaN tolerance as a configuration error', () => {
    expect(() => reconcile(input(), params('strict', -0.01))).toThrow(ConfigError);
    expect(() => reconcile(input(), params('strict', 0.01, Number.NaN))).toThrow(ConfigError);
  });
});
