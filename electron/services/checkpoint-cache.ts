// `convert --model FILE.pth`: a PyTorch or safetensors checkpoint given where an ONNX model is expected is imported
// once into the workspace's cache (cache/imported/<content hash>.onnx) and the cached model used from then on. The
// hash is of the checkpoint's bytes, so a file changed in place is imported again and a renamed one is not.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { importGenerator, isCheckpointPath } from '../../models/import/import-generator.js';
import { CheckpointError } from '../../models/import/checkpoint-error.js';
import { writeModelFile } from '../../models/onnx/model-file.js';
import { readModelHeader } from '../../models/onnx/proto.js';
import { DARKROOM_VERSION } from './version.js';
import { defaultWorkspaceDir } from './workspace.js';

export { isCheckpointPath };

export interface CachedImport {
  /** The ONNX model to convert with. */
  model: string;
  /** false when an earlier run had imported it already. */
  imported: boolean;
  architecture: string;
}

/** The cached ONNX model for checkpoint `source`, importing it first when needed. Throws CheckpointError on refusal. */
export async function cachedImport(source: string, workspaceDir = defaultWorkspaceDir()): Promise<CachedImport> {
  const stat = await fs.stat(source).catch(() => null);
  if (!stat?.isFile()) throw new CheckpointError(`model ${source} does not exist or is not a file: check the path`);
  const bytes = await fs.readFile(source);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  const model = join(workspaceDir, 'cache', 'imported', `${hash}.onnx`);
  // Written atomically, so a model there is whole; one that does not read back is imported again.
  const cached = await fs.readFile(model).then((b) => readModelHeader(b).metadata['darkroom.architecture'], () => undefined).catch(() => undefined);
  if (cached !== undefined) return { model, imported: false, architecture: cached };
  // Refused files throw here, before anything is written.
  const result = importGenerator(bytes, basename(source), { version: DARKROOM_VERSION, label: source });
  await writeModelFile(model, result.onnx);
  return { model, imported: true, architecture: result.generator.architecture };
}
