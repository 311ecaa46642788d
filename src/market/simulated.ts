/**
 * Seeded geometric Brownian motion bars and quotes. Every symbol has its own PRNG stream derived
 * from (seed, symbol), so adding a symbol never changes another symbol's path, and the same
 * options give byte-identical output. Bars are generated lazily per subscription (no memory
 * grows with `bars`); resuming replays the PRNG up to the cursor and discards, which is exact.
 */
import { Observable } from 'rxjs';
import type { Bar, Quote } from '../core/types.ts';
import { DataError } from '../core/errors.ts';
import { mulberry32, standardNormal, symbolSeed } from './rng.ts';
import { emptyStats, type DataCursor, type DataSource, type DataStats, type MarketSlice } from './types.ts';

const MINUTE_MS = 60_000;
/** Trading minutes per year (252 sessions x 390 min), to turn annual drift/vol into per-bar. */
const MINUTES_PER_YEAR = 252 * 390;

export interface SimulatedOptions {
  symbols: string[];
  seed: number;
  /** UTC ms where the first streamed bar STARTS; it ends at startMs + barMinutes. */
  startMs: number;
  barMinutes?: number;
  /** Bars per symbol in the stream. */
  bars: number;
  /** One start price for all, or per symbol; default: seeded per symbol in [20, 400). */
  startPrice?: number | Record<string, number>;
  /** Annualised log-return volatility, default 0.2 (only an input knob of the simulator). */
  annualVol?: number;
  /** Annualised drift, default 0. */
  annualDrift?: number;
  /** Mean quoted spread in bps, default 2; each quote draws uniformly in [0.5, 1.5] x this. */
  spreadBps?: number;
  /** Bars generated before startMs, reachable only through history() (warm-up), default 0. */
  warmupBars?: number;
}

interface PathState {
  next: () => number;
  close: number;
}

function requirePositive(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new DataError('SIM_INVALID', `simulated source: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`, {
      input: String(value),
    });
  }
}

export class SimulatedSource implements DataSource {
  readonly kind = 'simulated' as const;
  readonly symbols: readonly string[];
  readonly barMinutes: number;
  readonly stats: DataStats = emptyStats();
  private readonly opts: Required<Omit<SimulatedOptions, 'startPrice'>> & { startPrice?: SimulatedOptions['startPrice'] };
  private readonly barMs: number;
  private readonly sigma: number;
  private readonly mu: number;

  constructor(opts: SimulatedOptions) {
    this.symbols = [...new Set(opts.symbols.map((s) => s.trim().toUpperCase()).filter((s) => s !== ''))];
    if (this.symbols.length === 0) throw new DataError('NO_SYMBOLS', 'no symbols given for the simulated source');
    if (!Number.isInteger(opts.seed)) throw new DataError('SIM_INVALID', `simulated source: seed must be an integer, got ${opts.seed}`);
    if (!Number.isInteger(opts.startMs)) throw new DataError('SIM_INVALID', `simulated source: startMs must be integer ms, got ${opts.startMs}`);
    this.opts = { barMinutes: 1, annualVol: 0.2, annualDrift: 0, spreadBps: 2, warmupBars: 0, ...opts };
    requirePositive('barMinutes', this.opts.barMinutes);
    requirePositive('bars', this.opts.bars, true);
    requirePositive('annualVol', this.opts.annualVol, true);
    requirePositive('spreadBps', this.opts.spreadBps);
    requirePositive('warmupBars', this.opts.warmupBars, true);
    if (!Number.isFinite(this.opts.annualDrift)) throw new DataError('SIM_INVALID', 'simulated source: annualDrift must be finite');
    const given = this.opts.startPrice;
    for (const sym of this.symbols) {
      const price = typeof given === 'number' ? given : given?.[sym];
      if (price !== undefined) requirePositive(`startPrice of ${sym}`, price);
    }
    this.barMinutes = this.opts.barMinutes;
    this.barMs = Math.round(this.barMinutes * MINUTE_MS);
    const dt = this.barMinutes / MINUTES_PER_YEAR;
    this.sigma = this.opts.annualVol * Math.sqrt(dt);
    this.mu = this.opts.annualDrift * dt;
  }

  /** A fresh path at bar index -warmupBars (the very first generated bar). */
  private startPath(symbol: string): PathState {
    const next = mulberry32(symbolSeed(this.opts.seed, symbol));
    const given = this.opts.startPrice;
    const seeded = Math.round((20 + 380 * next()) * 100) / 100;
    return { next, close: typeof given === 'number' ? given : (given?.[symbol] ?? seeded) };
  }

  /** Next bar of a path: close = open * exp(mu - sigma^2/2 + sigma z); quote mid = close. */
  private step(symbol: string, path: PathState, ts: number): { bar: Bar; quote: Quote } {
    const { next } = path;
    const s = this.sigma;
    const open = path.close;
    const close = open * Math.exp(this.mu - (s * s) / 2 + s * standardNormal(next));
    const high = Math.max(open, close) * Math.exp(0.5 * s * Math.abs(standardNormal(next)));
    const low = Math.min(open, close) * Math.exp(-0.5 * s * Math.abs(standardNormal(next)));
    const volume = Math.round(10_000 * this.barMinutes * Math.exp(0.5 * standardNormal(next)));
    const halfSpread = (this.opts.spreadBps * (0.5 + next())) / 2e4;
    path.close = close;
    return {
      bar: { symbol, ts, open, high, low, close, volume },
      quote: { symbol, ts, bid: close * (1 - halfSpread), ask: close * (1 + halfSpread), bidSize: 100 * (1 + Math.floor(next() * 20)), askSize: 100 * (1 + Math.floor(next() * 20)) },
    };
  }

  /** End time of streamed bar k (k = 0 is the first streamed bar; negative k are warm-up bars). */
  private endTs(k: number): number {
    return this.opts.startMs + (k + 1) * this.barMs;
  }

  stream(from?: DataCursor | null): Observable<MarketSlice> {
    return new Observable<MarketSlice>((subscriber) => {
      const first = from ? Math.max(0, Math.floor((from.ts - this.opts.startMs) / this.barMs)) : 0;
      const paths = this.symbols.map((sym) => this.startPath(sym));
      for (let k = -this.opts.warmupBars; k < first && k < this.opts.bars; k++) {
        for (let i = 0; i < paths.length; i++) this.step(this.symbols[i], paths[i], 0);
      }
      for (let k = first; k < this.opts.bars && !subscriber.closed; k++) {
        const ts = this.endTs(k);
        const bars: Bar[] = [];
        const quotes: Quote[] = [];
        for (let i = 0; i < paths.length; i++) {
          const { bar, quote } = this.step(this.symbols[i], paths[i], ts);
          bars.push(bar);
          quotes.push(quote);
        }
        subscriber.next({ ts, bars, quotes, cursor: { index: k + 1, ts } });
      }
      subscriber.complete();
    });
  }

  /** Last `count` bars (warm-up or streamed) ending at or before endTs, oldest first. */
  history(symbol: string, endTs: number, count: number): Bar[] {
    const sym = symbol.toUpperCase();
    if (!this.symbols.includes(sym)) {
      throw new DataError('UNKNOWN_SYMBOL', `unknown symbol ${sym} for the simulated source`, { input: sym, hint: `symbols: ${this.symbols.join(', ')}` });
    }
    const path = this.startPath(sym);
    const out: Bar[] = [];
    for (let k = -this.opts.warmupBars; k < this.opts.bars && this.endTs(k) <= endTs; k++) {
      out.push(this.step(sym, path, this.endTs(k)).bar);
    }
    return out.slice(Math.max(0, out.length - Math.max(0, count)));
  }
}
