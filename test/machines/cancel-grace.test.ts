import { afterEach, describe, expect, it } from 'vitest';
import { CANCEL_GRACE_MS } from '../../machines/supervisor.machine.ts';
import type { OrderRequest, SubmitResult } from '../../src/brokers/types.ts';
import { createHarness, directionScript, MINUTE_MS, zigzag, type Harness } from './helpers.ts';

let h: Harness | null = null;
afterEach(async () => {
  await h?.engine.stop();
  h = null;
});

describe('canceled orders', () => {
  it('stay open for the late-fill grace period, then leave the supervisor and their actor stops', async () => {
    h = await createHarness({ symbols: ['AAA'], price: (_s, i) => zigzag(100, i), script: directionScript(() => 1) });
    // A broker that accepts and immediately cancels every order (e.g. an unfillable IOC).
    h.broker.submitOrder = async (req: OrderRequest): Promise<SubmitResult> => ({
      outcome: 'accepted',
      fills: [],
      order: { clientOrderId: req.clientOrderId, brokerOrderId: `X-${req.clientOrderId}`, symbol: req.symbol, side: req.side, qty: req.qty, filledQty: 0, avgFillPrice: null, status: 'canceled', submittedAtMs: req.tsMs, updatedAtMs: req.tsMs },
    });
    let canceled: string | null = null;
    for (let i = 0; i < 40 && canceled === null; i++) {
      const report = await h.step();
      canceled = report?.orders.find((o) => o.state === 'canceled')?.clientOrderId ?? null;
    }
    expect(canceled).not.toBeNull();
    const sup = () => h!.engine.supervisorContext();
    expect(sup().openOrders[canceled!]?.state).toBe('canceled');
    expect(h.engine.engineActor.system.get(`order:${canceled}`)).toBeDefined();
    // Still there just before the grace period ends (cycles are one minute apart).
    const steps = Math.floor(CANCEL_GRACE_MS / MINUTE_MS);
    for (let i = 0; i < steps - 1; i++) await h.step();
    expect(sup().openOrders[canceled!]?.state).toBe('canceled');
    await h.step();
    await h.step();
    expect(sup().openOrders[canceled!]).toBeUndefined();
    expect(h.engine.engineActor.system.get(`order:${canceled}`)).toBeUndefined();
  });
});
