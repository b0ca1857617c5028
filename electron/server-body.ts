// Request bodies for browser mode's API: a JSON body of at most `maxBytes`, refused from its Content-Length before
// any of it is read. Bodies being read at once are bounded in two separate pools, so that a few large uploads can
// neither hold the server's memory nor keep everyday calls out: small bodies (at most `smallBytes`, what every
// call but a dropped photo or an imported model sends) share `smallInFlightBytes`, large ones `inFlightBytes`.
// A body that stops arriving for `idleMs` is dropped, so an upload held open cannot keep its reservation.
// Refusals carry the HTTP status to answer with.
import type { IncomingMessage } from 'node:http';

export class BodyRefused extends Error {
  override name = 'BodyRefused';
  constructor(
    readonly status: 400 | 408 | 413 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface BodyLimits {
  /** One request's body. */
  maxBytes: number;
  /** Every large body being received at the same time, counted by what each declared or has sent so far. */
  inFlightBytes: number;
  /** A body of at most this many bytes is small; default 1 MiB. */
  smallBytes?: number;
  /** Every small body being received at the same time; default 64 small bodies' worth. */
  smallInFlightBytes?: number;
  /** A body with no bytes for this long is dropped; default 5 s. */
  idleMs?: number;
}

export const DEFAULT_SMALL_BYTES = 1024 * 1024;
export const DEFAULT_BODY_IDLE_MS = 5000;

const megabytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** One pool of bytes reserved by bodies being received. */
class Pool {
  used = 0;
  constructor(readonly capacity: number) {}
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used -= bytes;
  }
}

export function createBodyReader(limits: BodyLimits): (req: IncomingMessage) => Promise<Buffer> {
  const smallBytes = limits.smallBytes ?? DEFAULT_SMALL_BYTES;
  const idleMs = limits.idleMs ?? DEFAULT_BODY_IDLE_MS;
  const small = new Pool(limits.smallInFlightBytes ?? 64 * smallBytes);
  const large = new Pool(limits.inFlightBytes);
  const tooLarge = () =>
    new BodyRefused(413, `The request is larger than ${megabytes(limits.maxBytes)}, the most Darkroom accepts: convert or import a smaller file, or use the command line.`);
  const busy = () => new BodyRefused(503, 'Darkroom is receiving other large requests right now: try again when they have finished.');
  const stalled = () =>
    new BodyRefused(408, `The request's body stopped arriving (nothing for ${Math.round(idleMs / 1000)} s), so Darkroom dropped it: send it again.`);

  return (req) =>
    new Promise<Buffer>((done, fail) => {
      const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
      if (declared !== null && !(declared >= 0)) return fail(new BodyRefused(400, 'The request has an invalid Content-Length.'));
      if (declared !== null && declared > limits.maxBytes) return fail(tooLarge());
      // A declared body is reserved whole before it is read; a chunked one as it arrives, in the small pool until
      // it outgrows it.
      let reserved = declared ?? 0;
      let pool = reserved > smallBytes ? large : small;
      if (!pool.tryTake(reserved)) return fail(busy());
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const watch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => settle(stalled()), idleMs);
      };
      const settle = (error: Error | null, body?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        pool.give(reserved);
        if (error) {
          req.resume();
          fail(error);
        } else done(body!);
      };
      /** Reserves `size` bytes in all, moving to the large pool once past smallBytes; false when there is no room. */
      const grow = (size: number): boolean => {
        const target = size > smallBytes ? large : small;
        pool.give(reserved);
        if (target.tryTake(size)) {
          pool = target;
          reserved = size;
          return true;
        }
        pool.tryTake(reserved); // what it held is still free: nothing else ran in between
        return false;
      };
      const chunks: Buffer[] = [];
      let size = 0;
      watch();
      req.on('data', (chunk: Buffer) => {
        if (settled) return;
        watch();
        size += chunk.length;
        if (size > limits.maxBytes) return settle(tooLarge());
        if (size > reserved && !grow(size)) return settle(busy());
        chunks.push(chunk);
      });
      req.on('end', () => settle(null, Buffer.concat(chunks)));
      req.on('error', (error) => settle(error));
      req.on('close', () => settle(new BodyRefused(400, 'The request ended before its body was complete.')));
    });
}
