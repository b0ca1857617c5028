// What every `darkroom` command module exports (named exports; the module itself is the command).
export interface CliCommand {
  /** The word after `darkroom`, e.g. "train". */
  name: string;
  /** One line for `darkroom --help`. */
  summary: string;
  /** The full text for `darkroom <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code (0 done, 1 failed, 2 bad usage/input, 3 partly failed). */
  run(argv: string[]): Promise<number>;
}
