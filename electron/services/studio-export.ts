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
const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * Punctuation left at the ends once the shared words are gone ("Sample: day" → "day"), but not a bracket that
 * belongs to the name: "Street (day)" keeps its closing parenthesis; "(day)" as a whole loses both.
 */
function trimSeparators(text: string): string {
  let t = text.replace(/^[^\p{L}\p{N}([{]+|[^\p{L}\p{N})\]}]+$/gu, '');
  const open = t[0];
  if (open in PAIRS && t.endsWith(PAIRS[open]) && t.indexOf(PAIRS[open]) === t.length - 1) return trimSeparators(t.slice(1, -1));
  // A bracket whose partner the shared words took ("photos (day" of "photos (day) 2019"): dropped.
  for (const [opener, closer] of Object.entries(PAIRS)) {
    if (t.startsWith(opener) && !t.includes(closer)) t = t.slice(1);
    if (t.endsWith(closer) && !t.includes(opener)) t = t.slice(0, -1);
  }
  return t.trim();
}

export function domainNames(a: string, b: string): [string, string] {
  const wa = a.trim().split(/\s+/);
  const wb = b.trim().split(/\s+/);
  let start = 0;
  while (start < wa.length - 1 && start < wb.length - 1 && wa[start].toLowerCase() === wb[start].toLowerCase()) start++;
  let end = 0;
  while (end < wa.length - start - 1 && end < wb.length - start - 1 && wa[wa.length - 1 - end].toLowerCase() === wb[wb.length - 1 - end].toLowerCase()) end++;
  const short = (words: string[]) => trimSeparators(words.slice(start, words.length - end).join(' '));
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
