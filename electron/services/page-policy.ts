// What the studio's own page is served with, in Electron (app://) and in browser mode alike: one table of content
// types for its files and one Content-Security-Policy. The transports differ only in the sources they add: Electron's
// media protocol for images, browser mode's WebSocket for events.
import { extname } from 'node:path';
import { INLINE_MEDIA_TYPES } from './media-policy.js';

const PAGE_CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  ...INLINE_MEDIA_TYPES,
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.onnx': 'application/octet-stream',
};

/** The Content-Type of one of the page's files (a download for anything the table does not know). */
export const pageContentType = (file: string): string => PAGE_CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/** The page's CSP: only its own scripts and styles, images also from `images`, connections also to `connect`. */
export function pageCsp(extra: { images?: readonly string[]; connect?: readonly string[] } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Svelte's scoped styles are external; the unsafe-inline covers style="" attributes only.
    "style-src 'self' 'unsafe-inline'",
    ["img-src 'self'", ...(extra.images ?? []), 'data:', 'blob:'].join(' '),
    ["connect-src 'self'", ...(extra.connect ?? [])].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
