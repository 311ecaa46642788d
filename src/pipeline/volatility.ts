/**
 * Volatility (SPEC 4.1): per-bar sigma from close-to-close returns, scaled to a horizon by the
 * square root of time in trading minutes. No annualised volatility anywhere (deliberate).
 */
import { DataError } from '../core/errors.ts';
import { invalidParam } from './stats.ts';

/** r_i = C_i / C_{i-1} - 1; every close must be finite and > 0. */
export function simpleReturns(closes: readonly number[]): number[] {
  for (let i = 0; i < closes.length; i++) {
    const c = closes[i];
    if (typeof c !== 'number' || !Number.isFinite(c) || c <= 0) {
      throw new DataError('BAD_PRICE', `close[${i}] is ${String(c)}: prices must be finite and > 0`, {
        input: `close[${i}]=${String(c)}`,
        hint: 'repair or drop the bad bar in the data source',
      });
    }
  }
  const returns = new Array<number>(Math.max(0, closes.length - 1));
  for (let i = 1; i < closes.length; i++) returns[i - 1] = closes[i] / closes[i - 1] - 1;
  return returns;
}

/** sigma_bar = sample std (n-1) of the last volWindow simple returns; null if < 2 returns. */
export function sigmaBar(closes: readonly number[], volWindow: number): number | null {
  if (!Number.isInteger(volWindow) || volWindow < 2) {
    throw invalidParam('sizing.vol_window', volWindow, 'an integer >= 2');
  }
  // Validates every close (a bad price anywhere in the history is a data fault), then keeps the tail.
  for (let i = 0; i < closes.length; i++) {
    const c = closes[i];
    if (typeof c !== 'number' || !Number.isFinite(c) || c <= 0) simpleReturns(closes); // throws the typed error
  }
  // sampleStd(simpleReturns(closes).slice(-volWindow)) without the two arrays: same operations, same order.
  const from = Math.max(1, closes.length - volWindow);
  const n = closes.length - from;
  if (n < 2) return null;
  let sum = 0;
  for (let i = from; i < closes.length; i++) sum += closes[i] / closes[i - 1] - 1;
  const m = sum / n;
  let ss = 0;
  for (let i = from; i < closes.length; i++) {
    const d = closes[i] / closes[i - 1] - 1 - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - 1));
}

/** sigma_h = sigma_bar * sqrt(h / bar_minutes). */
export function horizonSigma(sigmaBarValue: number, horizonMinutes: number, barMinutes: number): number {
  if (!Number.isFinite(sigmaBarValue) || sigmaBarValue < 0) {
    throw new DataError('BAD_VOLATILITY', `sigma_bar is ${String(sigmaBarValue)}, expected a finite number >= 0`, {
      input: String(sigmaBarValue),
    });
  }
  if (!Number.isFinite(horizonMinutes) || horizonMinutes <= 0) {
    throw invalidParam('horizon minutes', horizonMinutes, 'a finite number > 0');
  }
  if (!Number.isFinite(barMinutes) || barMinutes <= 0) {
    throw invalidParam('bar_minutes', barMinutes, 'a finite number > 0 (1 for 1-minute bars, 390 for daily)');
  }
  return sigmaBarValue * Math.sqrt(horizonMinutes / barMinutes);
}

/** sigma_5m = sigma_bar * sqrt(5 / bar_minutes): the unit of the timing cost (SPEC 4.5). */
export function sigma5m(sigmaBarValue: number, barMinutes: number): number {
  return horizonSigma(sigmaBarValue, 5, barMinutes);
}
