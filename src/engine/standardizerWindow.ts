/**
 * The standardizer FIFO of one slot, with what `standardize` derives from it kept up to date:
 * the scale max|x| (recomputed only when the largest value leaves or a larger one arrives) and
 * every value divided by it. A cycle's z then costs two additions per value instead of two
 * divisions, and stays bit-identical: the same x/scale quotients, summed in the same order.
 */
import { standardize, standardizedZScaled } from '../pipeline/standardize.ts';
import { RollingWindow, type LaneAllocator } from './rollingWindow.ts';

const RAW = 0;
const SCALED = 1;

export class StandardizerWindow {
  /** Lane 0: raw outputs (float32-rounded); lane 1: raw / scale. */
  readonly window: RollingWindow;
  /** max |raw| over the window (NaN while a NaN is in it). */
  private scale = 0;
  /** Sequence number of the newest non-finite raw, -1 for none. */
  private nonFinite = -1;

  /** `alloc`: where the lanes live (a restore passes an arena, see rollingWindow.ts). */
  constructor(initial: ArrayLike<number> = [], alloc?: LaneAllocator) {
    this.window = new RollingWindow(initial, [Float32Array, Float64Array], alloc);
    for (let i = 0; i < initial.length; i++) if (!Number.isFinite(initial[i])) this.nonFinite = i;
    this.rescale();
  }

  get length(): number {
    return this.window.length;
  }

  push(value: number, cap: number): void {
    const w = this.window;
    const dropped = Math.max(0, w.length + 1 - cap);
    let maxLeaves = false;
    for (let k = 0; k < dropped; k++) if (Math.abs(w.lanes[RAW][w.start + k]) === this.scale) maxLeaves = true;
    const row = w.appendRow(cap);
    w.write(RAW, row, value);
    if (!Number.isFinite(value)) this.nonFinite = w.pushed - 1;
    if (maxLeaves || Math.abs(value) > this.scale || Number.isNaN(this.scale)) this.rescale();
    else w.lanes[SCALED][row] = value / this.scale;
  }

  /** standardize(window, minSamples).z: null while warming up; a non-finite raw throws its typed error. */
  z(minSamples: number): number | null {
    const w = this.window;
    if (this.nonFinite >= w.pushed - w.length) return standardize(w.toArray(), minSamples).z;
    return standardizedZScaled(w.lanes[SCALED], w.start, w.end, this.scale, minSamples);
  }

  toArray(): number[] {
    return this.window.toArray();
  }

  private rescale(): void {
    const { lanes, start, end } = this.window;
    let scale = 0;
    for (let i = start; i < end; i++) scale = Math.max(scale, Math.abs(lanes[RAW][i]));
    this.scale = scale;
    for (let i = start; i < end; i++) lanes[SCALED][i] = lanes[RAW][i] / scale;
  }
}
