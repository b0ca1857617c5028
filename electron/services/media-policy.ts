// How workspace files (MediaRefs) are answered, by browser mode's /media/ and by Electron's media protocol alike:
// raster images a page may show inline, everything else (HTML, SVG, JSON, ONNX…) only as a download; always a
// sandboxing CSP and nosniff, so a file is data, never a document. Which requests may ask is checked here too.
import { basename, extname } from 'node:path';
import { MEDIA_PROTOCOL_HOST } from '../api.js';

/** The raster images a page may show inline (the studio's own page serves them with these types too). */
export const INLINE_MEDIA_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
};

/** Media is data, never a document: no scripts, no loads, a sandboxed origin even if opened directly. */
const MEDIA_CSP = "default-src 'none'; sandbox";

/** The response headers for a workspace file; `download` names the file and makes it an attachment. */
export function mediaHeaders(file: string, download?: string | null): Record<string, string> {
  const inlineType = INLINE_MEDIA_TYPES[extname(file).toLowerCase()];
  const headers: Record<string, string> = {
    'Content-Type': inlineType ?? 'application/octet-stream',
    'Content-Security-Policy': MEDIA_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
  if (download || !inlineType) headers['Content-Disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(download || basename(file))}`;
  return headers;
}

/** A URL path's percent-escapes decoded; null when one is malformed (the request is bad, not the server). */
export function decodePath(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

/** The MediaRef an Electron media URL names, or null for another host or a malformed escape. */
export function electronMediaRef(url: URL): string | null {
  if (url.host !== MEDIA_PROTOCOL_HOST) return null;
  return decodePath(url.pathname.replace(/^\/+/, ''));
}

/**
 * Whether a browser request for media may be answered, from its Sec-Fetch-Site header: only the studio's own page
 * (same-origin) or the user typing the address (none). A page of another port on 127.0.0.1 is "same-site" and a
 * foreign page "cross-site": both refused, so a media URL is useless to them even when they learn it. Clients
 * without fetch metadata (command-line tools, old browsers) still need the media key.
 */
export function mediaRequestAllowed(secFetchSite: string | string[] | undefined): boolean {
  return secFetchSite === undefined || secFetchSite === 'same-origin' || secFetchSite === 'none';
}
