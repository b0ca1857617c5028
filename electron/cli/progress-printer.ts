// How `darkroom train` shows a run: JSON lines on stdout (--json), or human text on stderr with one
// updating status line on a terminal and a plain line per update elsewhere (logs, CI).
import type { TrainingEvent } from '../../models/train/events.js';
import { formatEvent, formatProgress } from '../services/progress.js';
import { cliText, inCliWords } from '../remedy-words.js';

/** The part of a stream the printers use (process.stderr satisfies it). */
export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Printer {
  print(event: TrainingEvent): void;
  note(text: string): void;
  finish(): void;
}

export class JsonPrinter implements Printer {
  constructor(
    private readonly out: TextStream = process.stdout,
    private readonly err: TextStream = process.stderr,
  ) {}
  print(event: TrainingEvent) {
    this.out.write(JSON.stringify(inCliWords(event)) + '\n');
  }
  note(text: string) {
    this.err.write(cliText(text) + '\n');
  }
  finish() {}
}

/** One updating status line on a terminal; a plain line per update otherwise (logs, CI). */
export class ProgressPrinter implements Printer {
  private statusShown = false;
  constructor(private readonly out: TextStream = process.stderr) {}

  private get live() {
    return this.out.isTTY === true;
  }

  private clearStatus() {
    if (this.live && this.statusShown) this.out.write('\r\x1b[2K');
    this.statusShown = false;
  }

  print(event: TrainingEvent) {
    if (event.type === 'sample') return; // the grids are in RUN/samples; a line each would drown the progress
    if (event.type === 'failed' && event.badInput) return this.note(`darkroom train: ${event.message}`);
    if (event.type === 'progress') {
      const line = formatProgress(event);
      if (this.live) {
        const width = this.out.columns ?? 120;
        this.out.write(`\r\x1b[2K${line.length > width - 1 ? line.slice(0, width - 2) + '…' : line}`);
        this.statusShown = true;
      } else this.out.write(line + '\n');
      return;
    }
    this.note(formatEvent(event));
  }

  /** A line of text; what the library's messages ask for is said as flags and commands. */
  note(text: string) {
    this.clearStatus();
    this.out.write(cliText(text) + '\n');
  }

  finish() {
    if (this.live && this.statusShown) this.out.write('\n');
    this.statusShown = false;
  }
}
