// The names the transports share: IPC channels (Electron), the media protocol, browser mode's token header and
// queries. Imports nothing, so the renderer and the preload load these without the contract's validators.

/** IPC channels (Electron). */
export const IPC = {
  invoke: 'darkroom:invoke',
  event: 'darkroom:event',
  pickFolder: 'darkroom:pick-folder',
  pickFile: 'darkroom:pick-file',
  saveFile: 'darkroom:save-file',
  startDrag: 'darkroom:start-drag',
  openFolder: 'darkroom:open-folder',
} as const;

/** The Electron protocol that serves MediaRefs (darkroom-media://workspace/<ref>). */
export const MEDIA_PROTOCOL = 'darkroom-media';
/** The one host of media protocol URLs; the protocol handler refuses any other. */
export const MEDIA_PROTOCOL_HOST = 'workspace';

/**
 * Browser mode: the per-launch token travels in this header (API) or query parameter (the event socket, and the
 * address `darkroom serve` prints), never in a cookie: browsers send cookies to every port of a host. Its part
 * before the first "." is the media key, the query parameter that media URLs carry.
 */
export const TOKEN_HEADER = 'x-darkroom-token';
export const TOKEN_QUERY = 'token';
/** A single-use launch address's code: the page served for it carries the token in this meta tag, once. */
export const LAUNCH_QUERY = 'launch';
export const TOKEN_META = 'darkroom-token';
/**
 * How a person gets a new launch address from a running `darkroom serve` (electron/cli/serve.ts), in the words
 * every place that meets a spent one uses: the page, and the server's refusals.
 */
export const NEW_LAUNCH_ADDRESS =
  'For a new address, press Enter in the terminal where `darkroom serve` runs (or send it SIGUSR1: `kill -USR1 PID`, ' +
  'with the process id it printed); the studio and its training keep running.';
export const MEDIA_KEY_QUERY = 'key';

/** The media key within a token: what media URLs may carry without giving away the API. */
export function mediaKeyOf(token: string): string {
  return token.split('.')[0];
}
