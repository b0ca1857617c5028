// The one class of errors a person can act on: every transport reports a UsageError (or a subclass, such as
// DatasetError, ImageReadError or OnnxModelError) as bad input, and the CLI exits with 2. Anything else is a failure.

/** A bad option, value, file or combination the user can fix; the message says what to do. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The one wording, everywhere, for a folder that is not there. */
export function noSuchFolder(path: string): string {
  return `The folder ${path} does not exist: check the path`;
}

/** The one wording, everywhere, for a file given where a folder is needed. */
export function notAFolder(path: string): string {
  return `${path} is a file, not a folder: choose the folder that holds it`;
}
