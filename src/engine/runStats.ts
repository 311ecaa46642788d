/** Running totals for the end-of-run summary: P&L, trades, fees, holds and blocks by reason. */
import type { DataStats } from '../market/types.ts';
import type { CycleReport } from './TradingEngine.ts';

export class RunStats {
  readonly initialValue: number;
  cycles = 0;
  trades = 0;
  fills = 0;
  fees = 0;
  rejected = 0;
  holdsByReason: Record<string, number> = {};
  blockedByReason: Record<string, number> = {};
  killEvents = 0;
  longEntries = 0;
  shortEntries = 0;
  exits = 0;

  constructor(initialValue: number) {
    this.initialValue = initialValue;
  }

  add(report: CycleReport): void {
    this.cycles += 1;
    this.trades += report.result.trades;
    this.fills += report.fills.length;
    for (const fill of report.fills) this.fees += fill.fee;
    this.rejected += report.orders.filter((o) => o.state === 'rejected').length;
    this.killEvents += report.events.filter((e) => e.event_type === 'kill_switch').length;
    for (const d of report.result.decisions) {
      const reason = d.reason.replace(/:.*/, '');
      if (d.action === 'HOLD') this.holdsByReason[reason] = (this.holdsByReason[reason] ?? 0) + 1;
      if (d.action === 'BLOCKED') this.blockedByReason[reason] = (this.blockedByReason[reason] ?? 0) + 1;
      if (d.action === 'TRADE') {
        if (d.targetWeight === 0) this.exits += 1;
        else if (d.shares > 0 && d.targetWeight > 0) this.longEntries += 1;
        else if (d.shares < 0 && d.targetWeight < 0) this.shortEntries += 1;
      }
    }
  }

  summaryLines(finalValue: number, data: DataStats): string[] {
    const pnl = finalValue - this.initialValue;
    const by = (m: Record<string, number>) =>
      Object.entries(m)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none';
    return [
      '── summary ──',
      `cycles ${this.cycles}   final PV ${finalValue.toFixed(2)}   P&L ${pnl >= 0 ? '+' : ''}${pnl.toFixed(2)} (${((pnl / this.initialValue) * 100).toFixed(3)} %)`,
      `trades ${this.trades} (long entries ${this.longEntries}, short entries ${this.shortEntries}, exits ${this.exits})   fills ${this.fills}   fees ${this.fees.toFixed(2)}   rejected orders ${this.rejected}`,
      `holds by reason: ${by(this.holdsByReason)}`,
      `blocked by reason: ${by(this.blockedByReason)}`,
      `kill-switch trips ${this.killEvents}   bad data rows skipped ${data.badRows}${data.badRows ? ` (${by(data.badRowsByReason)})` : ''}`,
    ];
  }
}
