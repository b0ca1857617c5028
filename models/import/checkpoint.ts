// Opens a checkpoint file of any format Darkroom reads and returns its tensors by name: the state dict, found at
// the top or under a common key, with DataParallel's `module.` prefix taken off. Every way a file can be refused
// ends here as a CheckpointError naming the file and what to do.
import { ForbiddenGlobalError, PickleFormatError, type PyValue } from './pickle.js';
import { CheckpointError } from './checkpoint-error.js';
import { looksLikeSafetensors, readSafetensors, SafetensorsFormatError } from './safetensors.js';
import { findStateDict, type StateDict } from './state-dict.js';
import type { CheckpointTensor } from './tensor.js';
import { readTorchLegacy, readTorchZip } from './torch-file.js';
import { looksLikeZip, ZipFormatError } from './zip.js';

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

export interface Checkpoint extends StateDict {
  format: CheckpointFormat;
}

/** Python pickles start with PROTO (0x80) and a protocol number; torch's legacy files with protocol 2. */
const isPickle = (bytes: Uint8Array) => bytes.length > 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
/** A tar archive ("ustar" at byte 257): torch's format before 0.1.10. */
const isTar = (bytes: Uint8Array) => bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar';

/** `label` names the file in messages; `key` picks a nested state dict by name. */
export function readCheckpoint(bytes: Uint8Array, label: string, key?: string): Checkpoint {
  const formats = 'a PyTorch checkpoint (.pth/.pt, saved by torch.save) or a .safetensors file';
  if (bytes.length === 0) throw new CheckpointError(`${label} is an empty file (0 bytes), not ${formats}`);
  let format: CheckpointFormat;
  let tensors: PyValue | Map<string, CheckpointTensor>;
  try {
    if (looksLikeZip(bytes)) (format = 'torch-zip'), (tensors = readTorchZip(bytes));
    else if (isPickle(bytes)) (format = 'torch-legacy'), (tensors = readTorchLegacy(bytes));
    else if (looksLikeSafetensors(bytes)) (format = 'safetensors'), (tensors = readSafetensors(bytes));
    else if (isTar(bytes)) throw new CheckpointError(`${label} is in the tar format of torch before 0.1.10, which Darkroom does not read: load it with an old torch and save it again with torch.save`);
    else throw new CheckpointError(`${label} is not ${formats}: its first bytes match none of these formats (is it damaged, or another kind of file?)`);
  } catch (error) {
    if (error instanceof ForbiddenGlobalError)
      throw new CheckpointError(
        `${label}: this file asks to run ${error.global} when loaded; Darkroom never runs code from a checkpoint, so it refuses the file. ` +
          'A generator checkpoint needs nothing but tensors (a state dict): if you made this file, save model.state_dict() instead of the model or other objects; if you downloaded it, do not open it with torch.load either.',
        { cause: error },
      );
    if (error instanceof PickleFormatError || error instanceof ZipFormatError || error instanceof SafetensorsFormatError || (error instanceof Error && !(error instanceof CheckpointError)))
      throw new CheckpointError(`${label} cannot be read as ${formats}: ${error.message}`, { cause: error });
    throw error;
  }
  return { format, ...findStateDict(tensors, label, key) };
}
