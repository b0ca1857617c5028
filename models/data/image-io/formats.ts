// The image vocabulary the API contract, the CLI and the studio share with image-io: which files are images, the
// formats Darkroom writes and the pixel ranges models work in. Free of imports (no sharp, no node:), so every one of them can load it.

/** Extensions (lower case, without the dot) that Darkroom treats as images: listings, file pickers, dropped files. */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'tif', 'tiff', 'avif', 'gif', 'heic', 'heif'] as const;

/** True when a file name or path ends in one of IMAGE_EXTENSIONS (any case). Does not touch the file. */
export function hasImageExtension(name: string): boolean {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 && (IMAGE_EXTENSIONS as readonly string[]).includes(base.slice(dot + 1).toLowerCase());
}

/** Formats an image can be written in. */
export const OUTPUT_FORMATS = ['jpg', 'png', 'webp', 'tiff', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What a user may ask for: a format, or 'same' to keep each source's format where it can be written (else PNG). */
export const FORMAT_CHOICES = ['same', ...OUTPUT_FORMATS] as const;
export type FormatChoice = (typeof FORMAT_CHOICES)[number];

/** How float pixel values map to intensity: '-1,1' (tanh generators) or '0,1'. Same spelling as the CLI's --range. */
export const PIXEL_RANGES = ['-1,1', '0,1'] as const;
export type PixelRange = (typeof PIXEL_RANGES)[number];
