// Request bodies for browser mode's API: a JSON body of at most `maxBytes`, refused from its Content-Length before
// any of it is read, and all bodies being read at once together within `inFlightBytes`, so a few large uploads
// cannot hold the server's memory. Refusals carry the HTTP status to answer with.
import type { IncomingMessage } from 'node:http';

export class BodyRefused extends Error {
  override name = 'BodyRefused';
  constructor(
    readonly status: 400 | 413 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface BodyLimits {
  /** One request's body. */
  maxBytes: number;
  /** Every body being received at the same time, counted by what each declared or has sent so far. */
  inFlightBytes: number;
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

export function createBodyReader(limits: BodyLimits): (req: IncomingMessage) => Promise<Buffer> {
  let inFlight = 0;
  const tooLarge = () =>
    new BodyRefused(413, `The request is larger than ${megabytes(limits.maxBytes)}, the most Darkroom accepts: convert or import a smaller file, or use the command line.`);
  const busy = () => new BodyRefused(503, 'Darkroom is receiving other large requests right now: try again when they have finished.');

  return (req) =>
    new Promise<Buffer>((done, fail) => {
      const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
      if (declared !== null && !(declared >= 0)) return fail(new BodyRefused(400, 'The request has an invalid Content-Length.'));
      if (declared !== null && declared > limits.maxBytes) return fail(tooLarge());
      // A declared body is reserved whole before it is read; a chunked one as it arrives.
      let reserved = declared ?? 0;
      if (inFlight + reserved > limits.inFlightBytes) return fail(busy());
      inFlight += reserved;
      let settled = false;
      const settle = (error: Error | null, body?: Buffer) => {
        if (settled) return;
        settled = true;
        inFlight -= reserved;
        if (error) {
          req.resume();
          fail(error);
        } else done(body!);
      };
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > limits.maxBytes) return settle(tooLarge());
        if (size > reserved) {
          if (inFlight - reserved + size > limits.inFlightBytes) return settle(busy());
          inFlight += size - reserved;
          reserved = size;
        }
        chunks.push(chunk);
      });
      req.on('end', () => settle(null, Buffer.concat(chunks)));
      req.on('error', (error) => settle(error));
      req.on('close', () => settle(new BodyRefused(400, 'The request ended before its body was complete.')));
    });
}
