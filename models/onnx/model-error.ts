import { UsageError } from '../errors.js';

/** A model Darkroom cannot open or will not run; the message names the file and says why. CLI exit code 2. */
export class OnnxModelError extends UsageError {
  override name = 'OnnxModelError';
}
