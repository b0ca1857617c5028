// The one class of errors a person can act on: every transport reports a UsageError (or a subclass, such as
// DatasetError, ImageReadError or OnnxModelError) as bad input, and the CLI exits with 2. Anything else is a failure.

/** A bad option, value, file or combination the user can fix; the message says what to do. */
export class UsageError extends Error {
  override name = 'UsageError';
}
