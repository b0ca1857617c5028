// The studio's "Export to ONNX": the run exporter behind `darkroom export` (export.ts), writing into the run's
// exports/ folder. A translator run gives every direction it has (CycleGAN both) unless one is asked for.
import { join } from 'node:path';
import type { RunInfo } from '../../models/train/run-dir.js';
import { FAMILY_TRAITS, type Direction, type ExportPartName } from '../api.js';
import { exportRun } from './export.js';

export interface ExportedFile {
  path: string;
  /** e.g. "AtoB generator", for the model's name. */
  label: string;
}

export async function exportRunModels(runDir: string, info: RunInfo, options: { direction?: Direction; part?: ExportPartName }): Promise<ExportedFile[]> {
  const directions: (Direction | undefined)[] =
    !options.direction && (!options.part || options.part === 'generator') && FAMILY_TRAITS[info.family].directions.length > 0 ? [...FAMILY_TRAITS[info.family].directions] : [options.direction];
  const files: ExportedFile[] = [];
  for (const direction of directions) {
    const part = options.part ?? (FAMILY_TRAITS[info.family].directions.length > 0 || info.family === 'gan' ? 'generator' : 'decoder');
    const stem = [info.family, part, direction].filter(Boolean).join('-');
    const result = await exportRun({ runDir, out: join(runDir, 'exports', `${stem}.onnx`), direction, part: options.part });
    files.push({ path: result.path, label: [result.direction, result.part].filter(Boolean).join(' ') });
  }
  return files;
}
