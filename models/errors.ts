// Errors a person can act on. The CLI maps UsageError (and data errors) to exit code 2: bad usage or
// bad input found before any work started.

/** A bad option, value or combination, found before any work. The message says what to do. */
export class UsageError extends Error {
  override name = 'UsageError';
}
