/**
 * One interface over the three model formats the engine deploys (SPEC 6.3): ONNX through
 * onnxruntime-node, LightGBM text and XGBoost JSON through native TypeScript evaluators.
 * Inference is batched: one `predict` call carries every symbol's row for this cycle.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LiveTradingError, ModelLoadError } from '../core/errors.ts';

export type ModelFormat = 'onnx' | 'lightgbm' | 'xgboost';

export interface ModelRuntime {
  readonly format: ModelFormat;
  /** Names the model file itself carries (LightGBM header, XGBoost JSON, ONNX metadata), else null. */
  readonly featureNames: readonly string[] | null;
  /** Tabular: columns per row. Sequence: channels C per time step. */
  readonly nFeatures: number;
  readonly inputKind: 'tabular' | 'sequence';
  readonly outputKind: 'regression' | 'probability';
  /** Sequence models: the fixed window length T the file declares, else null. Tabular: null. */
  readonly sequenceLength: number | null;
  /**
   * One output per row. Rows are arrays or one row-major Float64Array of nRows * nFeatures;
   * NaN means missing (tree models route it as the training library does).
   */
  predict(rows: readonly (readonly number[])[] | Float64Array, nRows?: number): Promise<Float64Array>;
  /** Sequence models only: windows row-major [nRows, T, C]. */
  predictSequence?(windows: Float32Array, nRows: number, T: number, C: number): Promise<Float64Array>;
  close(): Promise<void>;
}

/** A call with inputs of the wrong shape; the model itself is fine. */
export class ModelInputError extends LiveTradingError {}

// Formats that can run code on load (pickle) or need another runtime: never loaded, always named.
const REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [/\.(pkl|pickle|joblib)$/i, 'pickle/joblib files can execute code when loaded and are not supported'],
  [/\.(h5|keras)$/i, 'Keras files are not supported'],
  [/\.(pt|pth)$/i, 'PyTorch files are not supported (torch.save uses pickle)'],
  [/\.cbm$/i, 'CatBoost binary models are not supported'],
];

/** Which runtime a file name asks for: *.onnx, model.txt (LightGBM text), model.json (XGBoost JSON). */
export function formatOfFile(modelFile: string): ModelFormat {
  const name = basename(modelFile);
  for (const [pattern, why] of REFUSED) {
    if (pattern.test(name)) {
      throw new ModelLoadError('UNSUPPORTED_FORMAT', `refusing ${modelFile}: ${why}; export the model to ONNX (model.onnx)`, {
        input: modelFile,
        hint: 'export to ONNX (skl2onnx, onnxmltools, torch.onnx.export, tf2onnx) and save it as model.onnx',
      });
    }
  }
  if (/\.onnx$/i.test(name)) return 'onnx';
  if (/\.txt$/i.test(name)) return 'lightgbm';
  if (/\.json$/i.test(name)) return 'xgboost';
  throw new ModelLoadError('UNSUPPORTED_FORMAT', `refusing ${modelFile}: unknown model file type`, {
    input: modelFile,
    hint: 'expected model.onnx, model.txt (LightGBM text) or model.json (XGBoost JSON)',
  });
}

/** Opens a model file with the runtime its name selects; refusals and parse errors are ModelLoadError. */
export async function openRuntime(modelFile: string): Promise<ModelRuntime> {
  const format = formatOfFile(modelFile);
  let bytes: Buffer;
  try {
    bytes = await readFile(modelFile);
  } catch (cause) {
    throw new ModelLoadError('MODEL_UNREADABLE', `cannot read ${modelFile}: ${(cause as Error).message}`, {
      input: modelFile,
      cause,
    });
  }
  // Imported lazily so a LightGBM-only deployment never loads the ONNX native binding.
  if (format === 'lightgbm') {
    const { LightGbmRuntime } = await import('./runtimes/lightgbm.ts');
    return LightGbmRuntime.fromText(bytes.toString('utf8'), modelFile);
  }
  if (format === 'xgboost') {
    const { XGBoostRuntime } = await import('./runtimes/xgboost.ts');
    return XGBoostRuntime.fromJson(bytes.toString('utf8'), modelFile);
  }
  const { OnnxRuntime } = await import('./runtimes/onnx.ts');
  return OnnxRuntime.fromBytes(bytes, modelFile);
}

/**
 * Flattens rows to one row-major array of nRows * nFeatures, checking every row's width: a new
 * Float64Array, the input itself when it is a Float64Array already, or `into` (from element 0)
 * when given and large enough (a Float32Array rounds each value to float32 as it stores it).
 */
export function flattenRows<T extends Float64Array | Float32Array = Float64Array>(
  rows: readonly (readonly number[])[] | Float64Array,
  nFeatures: number,
  source: string,
  nRows?: number,
  into?: T,
): { data: T | Float64Array; nRows: number } {
  if (rows instanceof Float64Array) {
    const n = nRows ?? rows.length / nFeatures;
    if (!Number.isInteger(n) || n * nFeatures !== rows.length) {
      throw new ModelInputError('INPUT_SHAPE', `${source}: ${rows.length} values are not ${nRows ?? '?'} rows of ${nFeatures} features`, {
        input: source,
      });
    }
    if (!into || into.length < rows.length) return { data: rows, nRows: n };
    into.set(rows);
    return { data: into, nRows: n };
  }
  const n = nRows ?? rows.length;
  if (n > rows.length) {
    throw new ModelInputError('INPUT_SHAPE', `${source}: asked for ${n} rows, got ${rows.length}`, { input: source });
  }
  const data = into && into.length >= n * nFeatures ? into : new Float64Array(n * nFeatures);
  for (let r = 0; r < n; r++) {
    const row = rows[r];
    if (row.length !== nFeatures) {
      throw new ModelInputError('INPUT_SHAPE', `${source}: row ${r} has ${row.length} features, the model takes ${nFeatures}`, {
        input: source,
      });
    }
    data.set(row, r * nFeatures);
  }
  return { data, nRows: n };
}

/** A load error naming the file and the problem: the file is corrupt or not a model (MODEL_PARSE). */
export function loadError(file: string, problem: string, hint?: string): ModelLoadError {
  return new ModelLoadError('MODEL_PARSE', `${file}: ${problem}`, { input: file, hint });
}

/** A valid model the engine cannot run (multi-class, ZipMap output, linear trees...): UNSUPPORTED_MODEL. */
export function unsupportedModel(file: string, problem: string, hint = 'export the model to ONNX (model.onnx)'): ModelLoadError {
  return new ModelLoadError('UNSUPPORTED_MODEL', `${file}: ${problem}`, { input: file, hint });
}
