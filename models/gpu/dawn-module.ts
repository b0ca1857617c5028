// Where the `webgpu` package (Dawn for Node) loads from. In the packaged app it sits inside app.asar, which
// Node's ESM loader cannot read, and electron-builder unpacks it beside (asarUnpack): use that copy.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A file: URL of the webgpu package's entry, outside any asar archive; throws where it is not installed. */
export function dawnModuleUrl(): string {
  const entry = createRequire(import.meta.url).resolve('webgpu');
  const packed = `${sep}app.asar${sep}`;
  const unpacked = entry.replace(packed, `${sep}app.asar.unpacked${sep}`);
  return pathToFileURL(entry.includes(packed) && existsSync(unpacked) ? unpacked : entry).href;
}
