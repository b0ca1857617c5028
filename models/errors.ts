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

// ---------------------------------------------------------------------------------------------------
// Remedies: what a message asks the user to set or do, named by each transport in its own words. The library
// knows no command line and no form: `darkroom` names an option as its flag (`--size 64`), the studio as the field
// of its form ("“Image size” 64"). A message carries a remedy as a marker (remedy()), which survives every text
// channel (IPC, run.json, the API) and is put into words only where a person reads it (sayRemedies()).

/** A setting, by its option name (`size`, `batch`, `lambdaNce`…), and the value to give it if the message has one. */
export interface OptionRemedy {
  option: string;
  value?: string | number;
}

/** Something to do: resume a run (optionally with settings: a new total of iterations, another backend)… */
export type ActionRemedy =
  | { action: 'resume'; run: string; with?: Record<string, string | number> }
  /** …stop the run now (it saves a checkpoint), see the devices this machine has, or translate with a checkpoint as it is. */
  | { action: 'stop' }
  | { action: 'devices' }
  | { action: 'convert-checkpoint'; file: string }
  /** …or run one of the command line's own commands (`setup cuda`, `sample`), which the studio has no button for. */
  | { action: 'command'; command: string };

export type Remedy = OptionRemedy | ActionRemedy;

/** How a transport names remedies. */
export type RemedyWords = (remedy: Remedy) => string;

const OPEN = '\u27e6'; // ⟦
const CLOSE = '\u27e7'; // ⟧
const MARKER = /\u27e6(\{[^\u27e7]*\})\u27e7/g;

/** A remedy inside a message's text; a transport puts it into words (sayRemedies). */
export function remedy(what: Remedy): string {
  // The payload is JSON; a ⟧ in a value (a path) is escaped so that the marker ends where it should.
  return OPEN + JSON.stringify(what).replace(/\u27e7/g, '\\u27e7') + CLOSE;
}

/** The setting `option` (with a value), inside a message's text: `--size 64` on the command line, “Image size” 64 in the studio. */
export const option = (name: string, value?: string | number): string => remedy(value === undefined ? { option: name } : { option: name, value });

function isRemedy(value: unknown): value is Remedy {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.option === 'string') return v.value === undefined || typeof v.value === 'string' || typeof v.value === 'number';
  switch (v.action) {
    case 'resume':
      return typeof v.run === 'string' && (v.with === undefined || (typeof v.with === 'object' && v.with !== null));
    case 'stop':
    case 'devices':
      return true;
    case 'convert-checkpoint':
      return typeof v.file === 'string';
    case 'command':
      return typeof v.command === 'string';
    default:
      return false;
  }
}

/** The text with each remedy put into the transport's words (text without remedies comes back as it is). */
export function sayRemedies(text: string, words: RemedyWords): string {
  if (!text.includes(OPEN)) return text;
  return text.replace(MARKER, (marker, json: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return marker;
    }
    return isRemedy(parsed) ? words(parsed) : marker;
  });
}

/** Every string in a JSON-like value (an event, an API answer) with its remedies put into words; the rest unchanged. */
export function sayRemediesIn<T>(value: T, words: RemedyWords): T {
  if (typeof value === 'string') return sayRemedies(value, words) as T;
  if (Array.isArray(value)) {
    // Most answers hold no remedy at all: only what holds one is copied.
    let copy: unknown[] | null = null;
    value.forEach((item, i) => {
      const said = sayRemediesIn(item, words);
      if (said !== item) (copy ??= [...value])[i] = said;
    });
    return (copy ?? value) as T;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    let copy: Record<string, unknown> | null = null;
    for (const [key, item] of Object.entries(value)) {
      const said = sayRemediesIn(item, words);
      if (said !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = said;
    }
    return (copy ?? value) as T;
  }
  return value;
}
