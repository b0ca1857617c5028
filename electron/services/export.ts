// Exporting a trained run's networks to ONNX: the one implementation behind `darkroom export` and the
// studio's "Export to ONNX". Loads the run's newest good checkpoint, picks the part, writes atomically.
import { UsageError } from '../../models/errors.js';
import { FAMILY_TRAITS, type Direction, type ExportPart, type ExportPartName, type FamilyId } from '../../models/families/family.js';
import { initBackend } from '../../models/backend/index.js';
import { loadRunModel } from '../../models/train/load-run.js';
import { exportPartToFile } from '../../models/onnx/export.js';
import { DARKROOM_VERSION } from './version.js';

export { DARKROOM_VERSION };

export interface ExportRequest {
  runDir: string;
  out: string;
  direction?: Direction;
  part?: ExportPartName;
}

export interface ExportResult {
  path: string;
  family: string;
  part: ExportPartName;
  direction?: Direction;
  iteration: number;
  description: string;
}

/** The part a request means, or a UsageError listing what the run has. Defaults: the family's (FAMILY_TRAITS). */
function choosePart(family: FamilyId, parts: ExportPart[], request: Pick<ExportRequest, 'part' | 'direction'>): ExportPart {
  const listing = parts.map((p) => (p.direction ? `--direction ${p.direction}` : `--part ${p.part}`)).join(', ');
  if (request.direction && !parts.some((p) => p.direction))
    throw new UsageError(`a ${family} run has no directions; choose one of: ${listing}`);
  const wantedPart = request.part ?? FAMILY_TRAITS[family].exportPart;
  const wantedDirection = request.direction ?? FAMILY_TRAITS[family].directions[0];
  const found = parts.find((p) => p.part === wantedPart && p.direction === wantedDirection);
  if (!found) throw new UsageError(`a ${family} run has no ${wantedPart}${wantedDirection ? ` ${wantedDirection}` : ''}; choose one of: ${listing}`);
  return found;
}

export async function exportRun(request: ExportRequest): Promise<ExportResult> {
  if (!request.out.toLowerCase().endsWith('.onnx')) throw new UsageError(`--out must name a .onnx file (got ${request.out})`);
  // Export reads weights and writes a graph: the plain cpu backend is fast enough and always there.
  await initBackend('cpu');
  const loaded = await loadRunModel(request.runDir);
  try {
    const part = choosePart(loaded.runInfo.family, loaded.model.exportParts(), request);
    const trainSize = Number(loaded.config.size);
    await exportPartToFile(part, { family: loaded.runInfo.family, trainSize, version: DARKROOM_VERSION }, request.out);
    return {
      path: request.out,
      family: loaded.runInfo.family,
      part: part.part,
      direction: part.direction,
      iteration: loaded.iteration,
      description: part.description,
    };
  } finally {
    loaded.model.dispose();
  }
}
