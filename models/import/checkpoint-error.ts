import { UsageError } from '../errors.js';

/** A checkpoint Darkroom will not or cannot import; the message names the file and says what to do. CLI exit code 2. */
export class CheckpointError extends UsageError {
  override name = 'CheckpointError';
}
