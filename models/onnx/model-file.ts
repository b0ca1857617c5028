// Writing a model file: the one place exported and imported models reach the disk.
import { dirname } from 'node:path';
import { writeFailureReason, writeFileAtomic } from '../atomic-fs.js';
import { createOutputFolder } from '../output-folder.js';

/** Writes model bytes atomically: a temporary file beside the target, then a rename. Creates the folder. */
export async function writeModelFile(path: string, bytes: Uint8Array): Promise<void> {
  await createOutputFolder(dirname(path), 'the folder for the model');
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new Error(`could not write the model to ${path}: ${writeFailureReason(error) ?? (error as Error).message}`, { cause: error });
  }
}
