import { describe, expect, it } from 'vitest';
import {
  BrokerError,
  PaperBroker,
  PAPER_MAX_TERMINAL_ORDERS,
  type OrderRequest,
  type OrderSide,
  type PaperBrokerOptions,
  type SubmitResult,
} from '../../src/brokers/index.ts';
import { VirtualClock } from '../../src/core/clock.ts';
import { StateError } from '../../src/core/errors.ts';
import type { Quote } from '../../src/core/types.ts';

function close(actual: number, expected: number, rel = 1e-9): void {
  const scale = Math.max(Math.abs(expected), 1e-12);
  expect(Math.abs(actual - expected) / scale).toBeLessThan(rel);
}

function setup(overrides: Partial<PaperBrokerOptions> = {}) {
  const book = new Map<string, Quote>();
  const clock = new VirtualClock(1_700_000_000_000);
  const setQuote = (symbol: string, bid: number, ask: number) =>
    book.set(symbol, { symbol, ts: clock.now(), bid, ask, bidSize: 100, askSize: 100 });
  const broker = new PaperBroker({
    initialCash: 100_000, slippageBps: 5, feeBps: 1, allowShort: true,
    quotes: (s) => book.get(s) ?? null, clock, ...overrides,
  });
  setQuote('SPY', 449.8875, 450.1125);
  let n = 0;
  const order = (side: OrderSide, qty: number, extra: Partial<OrderRequest> = {}): OrderRequest => ({
    clientOrderId: `run-1-SPY-${++n}`, symbol: 'SPY', side, qty, type: 'market', timeInForce: 'day',
    tsMs: clock.now(), ...extra,
  });
  return { broker, clock, book, setQuote, order };
}

function accepted(r: SubmitResult) {
  if (r.outcome !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(r)}`);
  return r;
}

function rejectedCode(r: SubmitResult): string {
  if (r.outcome !== 'rejected') throw new Error(`expected rejected, got ${r.outcome}`);
  return r.code;
}

describe('PaperBroker fills (SPEC 9)', () => {
  it('fills the SPEC example BUY 10 at 450.33755625 with fee 0.45033755625 and cash -4503.8259...', async () => {
    const { broker, order, clock } = setup();
    const req = order('buy', 10);
    clock.advance(250); // the fill is stamped by the broker's clock, the order by the engine's submit time
    const r = accepted(await broker.submitOrder(req));
    const [fill] = r.fills;
    close(fill.price, 450.33755625);
    close(fill.fee, 0.45033755625);
    close(broker.markToMarket().cash - 100_000, -(4503.3755625 + 0.45033755625));
    expect(fill).toMatchObject({ executionId: 'paper-E1', qty: 10, cumulativeQty: 10, side: 'buy', tsMs: clock.now() });
    expect(r.order).toMatchObject({ brokerOrderId: 'paper-P1', status: 'filled', filledQty: 10, submittedAtMs: clock.now() - 250 });
    close(r.order.avgFillPrice!, 450.33755625);
    expect(await broker.getPositions()).toEqual([{ symbol: 'SPY', qty: 10, avgEntryPrice: fill.price }]);
  });

  it('fills a SELL at bid*(1-slippage) and credits notional minus fee', async () => {
    const { broker, order } = setup();
    const [fill] = accepted(await broker.submitOrder(order('sell', 10))).fills;
    close(fill.price, 449.8875 * (1 - 5 / 1e4));
    close(fill.price, 449.66255625);
    close(fill.fee, 4496.6255625 * 1e-4);
    close(broker.markToMarket().cash, 100_000 + 4496.6255625 - 0.44966255625);
    expect(await broker.getPositions()).toEqual([{ symbol: 'SPY', qty: -10, avgEntryPrice: fill.price }]);
  });

  it('a long round trip earns the price difference minus both fees', async () => {
    const { broker, order, setQuote } = setup();
    const buy = accepted(await broker.submitOrder(order('buy', 20))).fills[0];
    setQuote('SPY', 455, 455.2);
    const sell = accepted(await broker.submitOrder(order('sell', 20))).fills[0];
    const pnl = (sell.price - buy.price) * 20 - buy.fee - sell.fee;
    close(broker.markToMarket().cash - 100_000, pnl);
    close(broker.realisedPnl('SPY'), (sell.price - buy.price) * 20);
    close(broker.feesPaid(), buy.fee + sell.fee);
    expect(await broker.getPositions()).toEqual([]);
  });

  it('a short round trip earns the entry minus the cover price minus both fees', async () => {
    const { broker, order, setQuote } = setup();
    const sell = accepted(await broker.submitOrder(order('sell', 7))).fills[0];
    setQuote('SPY', 440, 440.1);
    const buy = accepted(await broker.submitOrder(order('buy', 7))).fills[0];
    close(broker.equity() - 100_000, (sell.price - buy.price) * 7 - buy.fee - sell.fee);
    close(broker.realisedPnl(), (sell.price - buy.price) * 7);
  });

  it('marks positions at the mid, and at the entry price when the quote disappears', async () => {
    const { broker, order, book } = setup({ slippageBps: 0, feeBps: 0 });
    await broker.submitOrder(order('buy', 10));
    close(broker.markToMarket().positionsValue, 10 * 450);
    book.delete('SPY');
    close(broker.markToMarket().positionsValue, 10 * 450.1125);
    const account = await broker.getAccount();
    close(account.equity!, account.cash + 4501.125);
    close(account.buyingPower!, 2 * account.equity! - 4501.125);
  });
});

describe('PaperBroker rejections are results, recorded, never thrown', () => {
  it('NO_QUOTE when the symbol has no quote', async () => {
    const { broker, order } = setup();
    const r = await broker.submitOrder(order('buy', 1, { symbol: 'AAPL' }));
    expect(rejectedCode(r)).toBe('NO_QUOTE');
    expect(await broker.getOrder(r.outcome === 'rejected' ? r.order.clientOrderId : '')).toMatchObject({
      status: 'rejected', rejectCode: 'NO_QUOTE', brokerOrderId: 'paper-P1', filledQty: 0, avgFillPrice: null,
    });
  });

  it('BAD_QUOTE for NaN, non-positive, crossed or wrong-symbol quotes', async () => {
    const { broker, order, setQuote, book } = setup();
    for (const [bid, ask] of [[Number.NaN, 450], [0, 450], [-1, 450], [451, 450], [450, Number.POSITIVE_INFINITY]]) {
      setQuote('SPY', bid, ask);
      expect(rejectedCode(await broker.submitOrder(order('buy', 1)))).toBe('BAD_QUOTE');
    }
    book.set('SPY', { symbol: 'QQQ', ts: 0, bid: 1, ask: 1.1, bidSize: 1, askSize: 1 });
    expect(rejectedCode(await broker.submitOrder(order('buy', 1)))).toBe('BAD_QUOTE');
    expect(await broker.getPositions()).toEqual([]);
    expect(broker.markToMarket().cash).toBe(100_000);
  });

  it('INVALID_QTY for zero, negative, non-finite and fractional quantities (whole shares)', async () => {
    const { broker, order } = setup();
    for (const qty of [0, -3, Number.NaN, Number.POSITIVE_INFINITY, 1.5]) {
      expect(rejectedCode(await broker.submitOrder(order('buy', qty)))).toBe('INVALID_QTY');
    }
    expect(broker.toJSON().orders).toHaveLength(5);
  });

  it('accepts fractional quantities when fractionalShares is on', async () => {
    const { broker, order } = setup({ fractionalShares: true });
    expect(accepted(await broker.submitOrder(order('buy', 1.5))).fills[0].qty).toBe(1.5);
  });

  it('INVALID_ORDER for an unsupported order type', async () => {
    const { broker, order } = setup();
    const bad = { ...order('buy', 1), type: 'limit' } as unknown as OrderRequest;
    expect(rejectedCode(await broker.submitOrder(bad))).toBe('INVALID_ORDER');
  });

  it('SHORT_NOT_ALLOWED for opening or flipping into a short, but selling a long to flat is fine', async () => {
    const { broker, order } = setup({ allowShort: false });
    expect(rejectedCode(await broker.submitOrder(order('sell', 1)))).toBe('SHORT_NOT_ALLOWED');
    accepted(await broker.submitOrder(order('buy', 5)));
    expect(rejectedCode(await broker.submitOrder(order('sell', 6)))).toBe('SHORT_NOT_ALLOWED');
    accepted(await broker.submitOrder(order('sell', 5)));
    expect(await broker.getPositions()).toEqual([]);
  });

  it('INSUFFICIENT_BUYING_POWER when gross exposure after the fill would exceed 2 x equity, both sides', async () => {
    const { broker, order } = setup({ initialCash: 10_000 });
    expect(rejectedCode(await broker.submitOrder(order('buy', 45)))).toBe('INSUFFICIENT_BUYING_POWER');
    expect(rejectedCode(await broker.submitOrder(order('sell', 45)))).toBe('INSUFFICIENT_BUYING_POWER');
    accepted(await broker.submitOrder(order('buy', 44))); // gross 19800 <= 2 * ~9983
    expect(rejectedCode(await broker.submitOrder(order('buy', 1)))).toBe('INSUFFICIENT_BUYING_POWER');
  });

  it('always allows a reduction, even when the account is over-leveraged', async () => {
    const { broker, order, setQuote } = setup({ initialCash: 10_000 });
    accepted(await broker.submitOrder(order('buy', 40)));
    setQuote('SPY', 299.9, 300.1); // equity ~3985, gross 12000 > 2 x equity
    expect(rejectedCode(await broker.submitOrder(order('buy', 1)))).toBe('INSUFFICIENT_BUYING_POWER');
    accepted(await broker.submitOrder(order('sell', 10)));
    expect((await broker.getPositions())[0].qty).toBe(30);
  });

  it('REDUCE_ONLY_VIOLATION for a reduce-only order from flat, adding, or flipping; a true reduction passes', async () => {
    const { broker, order } = setup();
    expect(rejectedCode(await broker.submitOrder(order('sell', 1, { reduceOnly: true })))).toBe('REDUCE_ONLY_VIOLATION');
    accepted(await broker.submitOrder(order('buy', 10)));
    expect(rejectedCode(await broker.submitOrder(order('buy', 1, { reduceOnly: true })))).toBe('REDUCE_ONLY_VIOLATION');
    expect(rejectedCode(await broker.submitOrder(order('sell', 11, { reduceOnly: true })))).toBe('REDUCE_ONLY_VIOLATION');
    accepted(await broker.submitOrder(order('sell', 10, { reduceOnly: true })));
    expect(await broker.getPositions()).toEqual([]);
  });

  it('DUPLICATE_CLIENT_ORDER_ID for a reused id with other parameters; the first order stays untouched', async () => {
    const { broker, order } = setup();
    const first = order('buy', 10);
    accepted(await broker.submitOrder(first));
    const r = await broker.submitOrder({ ...first, qty: 11 });
    expect(rejectedCode(r)).toBe('DUPLICATE_CLIENT_ORDER_ID');
    expect(await broker.getOrder(first.clientOrderId)).toMatchObject({ qty: 10, status: 'filled' });
    expect(broker.toJSON().orders).toHaveLength(1);
  });
});

describe('PaperBroker idempotency, queries and state', () => {
  it('re-submitting the same clientOrderId returns the booked fill and books nothing twice', async () => {
    const { broker, order } = setup();
    const req = order('buy', 10);
    const a = accepted(await broker.submitOrder(req));
    const before = broker.toJSON();
    const b = accepted(await broker.submitOrder(req));
    expect(b).toEqual(a);
    expect(broker.toJSON()).toEqual(before);
    const next = accepted(await broker.submitOrder(order('buy', 1)));
    expect(next.fills[0].executionId).toBe('paper-E2');
    expect(next.order.brokerOrderId).toBe('paper-P2');
  });

  it('re-submitting a rejected clientOrderId returns the same rejection even once a quote exists', async () => {
    const { broker, order, setQuote } = setup();
    const req = order('buy', 1, { symbol: 'AAPL' });
    expect(rejectedCode(await broker.submitOrder(req))).toBe('NO_QUOTE');
    setQuote('AAPL', 200, 200.1);
    expect(rejectedCode(await broker.submitOrder(req))).toBe('NO_QUOTE');
    expect(await broker.getPositions()).toEqual([]);
  });

  it('getOrder finds an order by client order id and returns null for an unknown one', async () => {
    const { broker, order } = setup({ idPrefix: 'acct7' });
    const req = order('sell', 3);
    await broker.submitOrder(req);
    expect(await broker.getOrder(req.clientOrderId)).toMatchObject({ brokerOrderId: 'acct7-P1', side: 'sell', filledQty: 3 });
    expect(await broker.getOrder('nope')).toBeNull();
    expect(await broker.getOpenOrders()).toEqual([]);
  });

  it('cancel of a filled or unknown order fails with a reason', async () => {
    const { broker, order } = setup();
    const req = order('buy', 1);
    await broker.submitOrder(req);
    expect(await broker.cancelOrder(req.clientOrderId)).toMatchObject({ ok: false, order: { status: 'filled' } });
    expect((await broker.cancelOrder('nope')).reason).toMatch(/unknown/);
  });

  it('getFills returns fills after an execution id cursor, oldest first', async () => {
    const { broker, order } = setup();
    for (let i = 0; i < 3; i++) await broker.submitOrder(order('buy', 1));
    expect((await broker.getFills()).map((f) => f.executionId)).toEqual(['paper-E1', 'paper-E2', 'paper-E3']);
    expect((await broker.getFills('paper-E1')).map((f) => f.executionId)).toEqual(['paper-E2', 'paper-E3']);
    expect(await broker.getFills('paper-E3')).toEqual([]);
  });

  it('keeps only the last 1000 terminal orders in state', async () => {
    const { broker, order } = setup({ fractionalShares: true, initialCash: 1e9 });
    const first = order('buy', 1);
    await broker.submitOrder(first);
    for (let i = 0; i < PAPER_MAX_TERMINAL_ORDERS; i++) await broker.submitOrder(order('buy', 1));
    expect(broker.toJSON().orders).toHaveLength(PAPER_MAX_TERMINAL_ORDERS);
    expect(await broker.getOrder(first.clientOrderId)).toBeNull();
    expect((await broker.getFills('paper-E1000')).map((f) => f.executionId)).toEqual(['paper-E1001']);
  });

  it('state round-trips through JSON and the restored broker continues identically', async () => {
    const a = setup();
    const b = setup();
    const script: Array<[OrderSide, number, number, number]> = [
      ['buy', 10, 449.8875, 450.1125], ['buy', 5, 451, 451.2], ['sell', 20, 448, 448.3],
      ['buy', 3, 447, 447.1], ['sell', 1, 452, 452.05], ['buy', 9, 450, 450.5],
    ];
    const run = async (s: ReturnType<typeof setup>, steps: typeof script) => {
      const out: SubmitResult[] = [];
      for (const [side, qty, bid, ask] of steps) {
        s.clock.advance(60_000);
        s.setQuote('SPY', bid, ask);
        out.push(await s.broker.submitOrder(s.order(side, qty)));
      }
      return out;
    };
    await run(a, script.slice(0, 3));
    await run(b, script.slice(0, 3));
    const restored = new PaperBroker({
      initialCash: 1, slippageBps: 5, feeBps: 1, allowShort: true,
      quotes: (s) => b.book.get(s) ?? null, clock: b.clock, state: JSON.parse(JSON.stringify(b.broker.toJSON())),
    });
    const tailA = await run(a, script.slice(3));
    const tailB = await run({ ...b, broker: restored }, script.slice(3));
    expect(tailB).toEqual(tailA);
    expect(restored.toJSON()).toEqual(a.broker.toJSON());
  });

  it('rejects an invalid restored state with a StateError', () => {
    const { clock } = setup();
    const state = { version: 1, cash: 'lots' } as unknown as PaperBroker['toJSON'] extends () => infer S ? S : never;
    expect(() => new PaperBroker({ initialCash: 1, slippageBps: 0, feeBps: 0, allowShort: true, quotes: () => null, clock, state }))
      .toThrow(StateError);
  });

  it('throws a definitive BrokerError after close', async () => {
    const { broker, order } = setup();
    await broker.close();
    await expect(broker.submitOrder(order('buy', 1))).rejects.toBeInstanceOf(BrokerError);
    await expect(broker.submitOrder(order('buy', 1))).rejects.toMatchObject({ outcome: 'definitive', code: 'BROKER_CLOSED' });
  });
});
