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
  part: ExportPartName;
  direction?: Direction;
}

/**
 * Short names for a translator's two domains from its datasets' names: words both share at the start or the
 * end are dropped ("Sample: day scenes", "Sample: night scenes" → "day", "night"), never all of a name.
 */
export function domainNames(a: string, b: string): [string, string] {
  const wa = a.trim().split(/\s+/);
  const wb = b.trim().split(/\s+/);
  let start = 0;
  while (start < wa.length - 1 && start < wb.length - 1 && wa[start].toLowerCase() === wb[start].toLowerCase()) start++;
  let end = 0;
  while (end < wa.length - start - 1 && end < wb.length - start - 1 && wa[wa.length - 1 - end].toLowerCase() === wb[wb.length - 1 - end].toLowerCase()) end++;
  const short = (words: string[]) => words.slice(start, words.length - end).join(' ').replace(/^[\p{P}\s]+|[\p{P}\s]+$/gu, '');
  const [sa, sb] = [short(wa), short(wb)];
  return sa && sb && sa.toLowerCase() !== sb.toLowerCase() ? [sa, sb] : [a.trim(), b.trim()];
}

export async function exportRunModels(runDir: string, info: RunInfo, options: { direction?: Direction; part?: ExportPartName }): Promise<ExportedFile[]> {
  const directions: (Direction | undefined)[] =
    !options.direction && (!options.part || options.part === 'generator') && FAMILY_TRAITS[info.family].directions.length > 0 ? [...FAMILY_TRAITS[info.family].directions] : [options.direction];
  const files: ExportedFile[] = [];
  for (const direction of directions) {
    const part = options.part ?? FAMILY_TRAITS[info.family].exportPart;
    const stem = [info.family, part, direction].filter(Boolean).join('-');
    const result = await exportRun({ runDir, out: join(runDir, 'exports', `${stem}.onnx`), direction, part: options.part });
    files.push({ path: result.path, label: [result.direction, result.part].filter(Boolean).join(' '), part: result.part, direction: result.direction });
  }
  return files;
}
