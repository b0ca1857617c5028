// What an opened ONNX model is to its users, apart from ONNX Runtime: runtime.ts implements it, image-model.ts
// and translate.ts read it. Types only, so checking a model's shape never imports the runtime.
import type { Dim, ModelHeader } from './proto.js';
import type { DeviceUse } from './devices.js';

export interface TensorInfo {
  name: string;
  /** "float32", "uint8", …; "non-tensor" for sequences and maps. */
  type: string;
  /** Fixed sizes as numbers, symbolic ones (e.g. "N", "H") as their names; [] when the model declares no shape. */
  dims: Dim[];
}

export interface RunResult {
  data: Float32Array;
  dims: number[];
}

export interface OnnxModel {
  /** The file path, or "<bytes>" for a model opened from memory. */
  readonly source: string;
  /**
   * What messages call it: the file as the user knows it — the checkpoint they gave, not the cache file imported
   * from it; a model by its name in the studio — else its path.
   */
  readonly label: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** The model's metadata_props (e.g. darkroom.family, darkroom.range). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly header: ModelHeader;
  /** Where it runs now; a model its device rejected runs on the CPU, with the reason in `fallback`. */
  readonly device: DeviceUse;
  readonly threads: number;
  /** Runs the first input on `input` (float32, row-major `dims`) and returns the first output. */
  run(input: Float32Array, dims: readonly number[]): Promise<RunResult>;
  /** Gives the session back to the cache; the last holder's dispose lets it be released. Idempotent. */
  dispose(): Promise<void>;
}
