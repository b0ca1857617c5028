// Adapter from the studio's "Export to ONNX" to the run exporter behind `darkroom export`.
import { ApiError, type Direction, type ExportPart } from '../api.js';
import type { RunInfo } from '../../models/train/run-dir.js';

export interface ExportedFile {
  path: string;
  /** e.g. "AtoB generator", for the model's name. */
  label: string;
}

export async function exportRunModels(_runDir: string, _info: RunInfo, _options: { direction?: Direction; part?: ExportPart }): Promise<ExportedFile[]> {
  throw new ApiError('failed', 'Exporting from the studio is not available yet; use `darkroom export RUN --out FILE.onnx` meanwhile.');
}
