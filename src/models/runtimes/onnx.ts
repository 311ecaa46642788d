/**
 * ONNX models through onnxruntime-node (any family, tabular [N, F] or sequence [N, T, C]).
 *
 * - Sessions use 1 intra-op and 1 inter-op thread: on 2 cores the default threading was 3x
 *   slower and noisy, and the engine already batches all symbols into one run per cycle.
 * - Input: the single declared input, float32 or float64 (as declared); a dynamic first
 *   dimension is batched in one run, a fixed one (e.g. [1, T, C]) is run chunk by chunk.
 * - Output: the tensor whose name contains "prob" (classifiers: skl2onnx "output_probability",
 *   onnxmltools "probabilities"), column 1 of [N, 2] = P(class 1); otherwise the first output,
 *   which must be [N] or [N, 1]. A ZipMap (sequence of maps) probability output is refused:
 *   export with zipmap=False.
 * - featureNames: metadata_props key `feature_names`, comma-separated, when present.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ModelRuntime } from '../runtime.ts';
import { ModelInputError, flattenRows, loadError, unsupportedModel } from '../runtime.ts';
import { readOnnxMetadata } from './onnx-metadata.ts';

type TensorMeta = Extract<InferenceSession.ValueMetadata, { isTensor: true }>;

const fixedDim = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);

function chooseOutput(session: InferenceSession, file: string): { name: string; kind: 'regression' | 'probability' } {
  const outputs = session.outputMetadata;
  const prob = outputs.find((o) => /prob/i.test(o.name));
  if (prob && !prob.isTensor) {
    throw unsupportedModel(file, `output "${prob.name}" is a ZipMap (sequence of maps), not a tensor`,
      "re-export with zipmap=False (skl2onnx: options={id(model): {'zipmap': False}})");
  }
  const chosen = prob ?? outputs[0];
  if (!chosen || !chosen.isTensor) throw loadError(file, `first output "${chosen?.name ?? '<none>'}" is not a tensor`);
  if (chosen.type !== 'float32' && chosen.type !== 'float64') {
    throw loadError(file, `output "${chosen.name}" has type ${chosen.type}; expected float32 or float64`);
  }
  return { name: chosen.name, kind: prob ? 'probability' : 'regression' };
}

export class OnnxRuntime implements ModelRuntime {
  readonly format = 'onnx' as const;
  // Input values reused by every tabular call (one per cycle at 500 symbols is ~50 KB); a call
  // that starts while another is still awaiting its run gets a fresh array instead.
  private scratch: Float32Array | Float64Array | null = null;
  private scratchBusy = false;

  private constructor(
    private readonly session: InferenceSession,
    readonly file: string,
    private readonly input: TensorMeta,
    private readonly output: string,
    readonly outputKind: 'regression' | 'probability',
    readonly inputKind: 'tabular' | 'sequence',
    readonly nFeatures: number,
    readonly sequenceLength: number | null,
    readonly featureNames: readonly string[] | null,
    /** Rows per run when the file fixes the batch dimension; null when it is dynamic. */
    private readonly fixedBatch: number | null,
  ) {
    // Only sequence models have predictSequence (the interface marks it optional).
    if (inputKind === 'sequence') this.predictSequence = (w, n, T, C) => this.predictWindows(w, n, T, C);
  }

  /** Loads an ONNX model from its bytes; throws ModelLoadError naming `file` on any problem. */
  static async fromBytes(bytes: Uint8Array, file: string): Promise<OnnxRuntime> {
    let metadata: Map<string, string>;
    try {
      metadata = readOnnxMetadata(bytes);
    } catch (cause) {
      throw loadError(file, `not an ONNX model: protobuf parse failed (${(cause as Error).message})`);
    }
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
    } catch (cause) {
      throw loadError(file, `onnxruntime cannot load it: ${(cause as Error).message}`);
    }
    try {
      return OnnxRuntime.describe(session, file, metadata);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  private static describe(session: InferenceSession, file: string, metadata: Map<string, string>): OnnxRuntime {
    const inputs = session.inputMetadata;
    if (inputs.length !== 1) throw unsupportedModel(file, `has ${inputs.length} inputs; expected one [N, F] or [N, T, C] tensor`);
    const input = inputs[0];
    if (!input.isTensor || (input.type !== 'float32' && input.type !== 'float64')) {
      throw loadError(file, `input "${input.name}" must be a float32 or float64 tensor`);
    }
    const names = metadata.get('feature_names')?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? null;
    const { name: output, kind } = chooseOutput(session, file);
    const shape = input.shape;
    const fixedBatch = fixedDim(shape[0]);
    if (shape.length === 2) {
      const nFeatures = fixedDim(shape[1]) ?? names?.length ?? null;
      if (nFeatures === null) throw loadError(file, `input "${input.name}" declares no feature count and no feature_names metadata`);
      if (names && names.length !== nFeatures) {
        throw loadError(file, `feature_names lists ${names.length} names but the input takes ${nFeatures}`);
      }
      return new OnnxRuntime(session, file, input, output, kind, 'tabular', nFeatures, null, names, fixedBatch);
    }
    if (shape.length === 3) {
      const channels = fixedDim(shape[2]);
      if (channels === null) throw loadError(file, `sequence input "${input.name}" declares no channel count`);
      return new OnnxRuntime(session, file, input, output, kind, 'sequence', channels, fixedDim(shape[1]), names, fixedBatch);
    }
    throw loadError(file, `input "${input.name}" has rank ${shape.length}; expected [N, F] or [N, T, C]`);
  }

  async predict(rows: readonly (readonly number[])[] | Float64Array, nRows?: number): Promise<Float64Array> {
    if (this.inputKind === 'sequence') {
      throw new ModelInputError('INPUT_SHAPE', `${this.file} is a sequence model: call predictSequence`, { input: this.file });
    }
    const float32 = this.input.type === 'float32';
    const n = nRows ?? (rows instanceof Float64Array ? rows.length / this.nFeatures : rows.length);
    const size = Number.isInteger(n) && n > 0 ? n * this.nFeatures : 0;
    // float64 rows for a float64 input go in as they are; all else is copied into the scratch
    const scratch = float32 || !(rows instanceof Float64Array) ? this.takeScratch(float32, size) : undefined;
    try {
      const flat = flattenRows(rows, this.nFeatures, this.file, nRows, scratch);
      return await this.runRows(flat.data.subarray(0, flat.nRows * this.nFeatures), flat.nRows, [this.nFeatures]);
    } finally {
      if (scratch === this.scratch) this.scratchBusy = false;
    }
  }

  /** The reused input array (grown to `size`), or a fresh one while another call is using it. */
  private takeScratch(float32: boolean, size: number): Float32Array | Float64Array {
    const make = (length: number): Float32Array | Float64Array => (float32 ? new Float32Array(length) : new Float64Array(length));
    if (this.scratchBusy) return make(size);
    if (this.scratch === null || this.scratch.length < size) this.scratch = make(size);
    this.scratchBusy = true;
    return this.scratch;
  }

  readonly predictSequence?: (windows: Float32Array, nRows: number, T: number, C: number) => Promise<Float64Array>;

  private async predictWindows(windows: Float32Array, nRows: number, T: number, C: number): Promise<Float64Array> {
    if (C !== this.nFeatures || (this.sequenceLength !== null && T !== this.sequenceLength) || windows.length !== nRows * T * C) {
      const takes = `[N, ${this.sequenceLength ?? 'T'}, ${this.nFeatures}]`;
      const got = `${windows.length} values as [${nRows}, ${T}, ${C}]`;
      throw new ModelInputError('INPUT_SHAPE', `${this.file}: got ${got}; the model takes ${takes}`, { input: this.file });
    }
    const values = this.input.type === 'float64' ? Float64Array.from(windows) : windows;
    return this.runRows(values, nRows, [T, C]);
  }

  /** Runs all rows at once (dynamic batch) or in chunks of the fixed batch size (zero-padded). */
  private async runRows(values: Float32Array | Float64Array, nRows: number, rowShape: number[]): Promise<Float64Array> {
    const out = new Float64Array(nRows);
    if (nRows === 0) return out;
    const rowSize = rowShape.reduce((a, b) => a * b, 1);
    const chunk = this.fixedBatch ?? nRows;
    for (let start = 0; start < nRows; start += chunk) {
      const count = Math.min(chunk, nRows - start);
      let data = values.subarray(start * rowSize, (start + count) * rowSize);
      if (count < chunk) {
        const padded = new (values.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(chunk * rowSize);
        padded.set(data);
        data = padded;
      }
      const feeds = { [this.input.name]: new Tensor(this.input.type as 'float32', data, [chunk, ...rowShape]) };
      const result = (await this.session.run(feeds, [this.output]))[this.output];
      this.readOutput(result, chunk, count, out, start);
    }
    return out;
  }

  /** Copies one value per row from an [N], [N, 1] or (probabilities) [N, 2] tensor. */
  private readOutput(tensor: Tensor, batch: number, count: number, out: Float64Array, start: number): void {
    const data = tensor.data as Float32Array | Float64Array;
    const width = data.length / batch;
    const column = this.outputKind === 'probability' && width === 2 ? 1 : 0;
    if (!Number.isInteger(width) || width < 1 || (width > 1 && column === 0)) {
      const shape = `[${tensor.dims.join(', ')}]`;
      const problem = `output "${this.output}" has shape ${shape}; expected [N], [N, 1] or [N, 2] probabilities`;
      throw new ModelInputError('OUTPUT_SHAPE', `${this.file}: ${problem}`, {
        input: this.file,
        hint: 'multi-output and multi-class models are not supported',
      });
    }
    for (let i = 0; i < count; i++) out[start + i] = data[i * width + column];
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
