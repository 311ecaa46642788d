/** Input window of a raw_sequence model (SPEC 6.3), normalised against the window's own first bar. */
import type { Bar } from '../core/types.ts';
import { DataError, ModelLoadError } from '../core/errors.ts';
import { assertBarUsable } from './series.ts';

export type SequenceNormalization = 'returns' | 'log_returns' | 'minmax' | 'none';

const CHANNELS = ['open', 'high', 'low', 'close', 'volume'] as const;
type Channel = (typeof CHANNELS)[number];

/** Bar field of a channel name (case-insensitive); throws ModelLoadError UNKNOWN_CHANNEL. */
function channelField(name: string): Channel {
  const field = name.toLowerCase();
  if (!(CHANNELS as readonly string[]).includes(field)) {
    throw new ModelLoadError('UNKNOWN_CHANNEL', `unknown sequence channel '${name}'; known: ${CHANNELS.join(', ')}`, {
      input: name,
      hint: 'sequence_channels in model_meta.json must name bar fields',
    });
  }
  return field as Channel;
}

/**
 * Last `length` bars as [T, C] row-major float32: returns x/x_0 - 1, log_returns ln(x/x_0),
 * minmax (x - min)/(max - min) per channel (0 for a constant channel), none x. Null when fewer
 * than `length` bars; DataError BAD_BAR for a bad bar, ZERO_BASE when x_0 = 0 (or a later x = 0
 * under log_returns), NOT_FINITE when a value overflows float32.
 */
export function sequenceWindow(
  bars: readonly Bar[],
  length: number,
  channels: readonly string[],
  normalization: SequenceNormalization,
): Float32Array | null {
  if (!Number.isInteger(length) || length < 1) {
    throw new ModelLoadError('SEQUENCE_LENGTH_INVALID', `sequence_length must be a positive integer, got ${length}`, {
      input: String(length),
    });
  }
  const fields = channels.map(channelField);
  if (bars.length < length) return null;
  const start = bars.length - length;
  for (let i = start; i < bars.length; i++) assertBarUsable(bars[i], i);

  const width = fields.length;
  const out = new Float32Array(length * width);
  fields.forEach((field, c) => {
    const series = bars.slice(start).map((bar) => bar[field]);
    const normalized = normalizeChannel(series, normalization, bars[start].symbol, field);
    for (let t = 0; t < length; t++) {
      out[t * width + c] = normalized[t];
      if (!Number.isFinite(out[t * width + c])) {
        throw new DataError('NOT_FINITE', `sequence value of ${bars[start].symbol}.${field} at row ${t} is not a finite float32`, {
          input: `${field}[${t}]=${normalized[t]}`,
        });
      }
    }
  });
  return out;
}

/** One channel normalised as `normalization` says, in float64. */
function normalizeChannel(series: number[], normalization: SequenceNormalization, symbol: string, field: string): number[] {
  const first = series[0];
  if (normalization === 'none') return series;
  if (normalization === 'minmax') {
    const min = series.reduce((a, b) => Math.min(a, b));
    const range = series.reduce((a, b) => Math.max(a, b)) - min;
    return series.map((x) => (range === 0 ? 0 : (x - min) / range));
  }
  const zeroAt = normalization === 'log_returns' ? series.indexOf(0) : first === 0 ? 0 : -1;
  if (zeroAt >= 0) {
    throw new DataError('ZERO_BASE', `${normalization} of ${symbol}.${field}: value at row ${zeroAt} of the window is 0`, {
      input: `${symbol}.${field}`,
      hint: 'a returns-normalised channel needs a non-zero first value (volume can be 0: use minmax or none for it)',
    });
  }
  return normalization === 'returns' ? series.map((x) => x / first - 1) : series.map((x) => Math.log(x / first));
}
